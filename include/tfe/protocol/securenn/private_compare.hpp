// tfe/protocol/securenn/private_compare.hpp: SecureNN's PrivateCompare (Wagh, Gupta, Chandran,
// "SecureNN: 3-Party Secure Computation for Neural Network Training", PoPETs 2019, Algorithm 3),
// vectorized over n elements, with the random permutation step.
//
// Inputs: servers 0 and 1 hold Z_p shares of the k bits x[i] of a secret k-bit x (bit_shares.hpp: bit i
// of element e at zp_index(e, i, n, k), block-major), a public k-bit r and a public bit β (both
// known to both servers, neither to the helper). Output: the helper learns β ⊕ [x > r] for every
// element; the servers learn nothing.
//
// Math (all mod p; j ∈ {0, 1} is the server, so public constants enter once, at server 1):
//   β = 0:                    w_i = x_i ⊕ r_i,  c_i =  r_i − x_i + 1 + Σ_{m>i} w_m
//   β = 1, r ≠ 2^k − 1:       t = r + 1, w_i = x_i ⊕ t_i, c_i = −t_i + x_i + 1 + Σ_{m>i} w_m
//   β = 1, r = 2^k − 1:       c_i = [i ≠ 0]   (x > r is impossible, so exactly one zero)
//   d_i = s_i · c_i with s_i uniform in Z_p^*.
// For β = 0, c_i = 0 exactly at the highest bit where x and r differ if there x_i = 1 > r_i = 0, i.e.
// iff x > r; every other c_i lies in [1, k + 1] (so p > k + 1 is needed: see fields.hpp). For β = 1
// the same argument with t = r + 1 finds a zero iff x < t, i.e. x ≤ r. So the d_i contain at most one
// zero, and one iff β ⊕ [x > r] = 1, and the helper outputs exactly that.
//
// What the helper sees, and the two steps that make it independent of x and r:
//   * permutation π: the servers move the k values of every element to slots by a common random
//     permutation. Without it the position of the zero is the highest bit where x and r differ, which
//     the helper would learn. (TF Encrypted's securenn.py left this step as a TODO.) We draw π from
//     the cyclic rotations, uniformly: slot t holds bit (t − ρ) mod k for ρ uniform in [0, k). That
//     gives the helper exactly the view of a uniformly random permutation: the values other than the
//     zero are independent and uniform over Z_p^* (s_i·c_i with c_i ≠ 0), so their arrangement carries
//     nothing, and the view depends on the inputs only through the slot of the (at most one) zero,
//     which is (z + ρ) mod k: uniform for every position z, as under any uniform permutation. A
//     rotation costs one keystream draw per element (Fisher–Yates: k − 1) and is applied as a barrel
//     shifter, ⌈log2 k⌉ stages of "rotate by 2^b if bit b of ρ is set", each a byte blend over a block
//     of elements.
//   * re-randomization: the servers add a common random m_i to server 0's d_i and subtract it from
//     server 1's. Algorithm 3 sends s_i·⟨c_i⟩_j directly; then the ratio of the two shares a helper
//     receives is ⟨c_i⟩_0/⟨c_i⟩_1, and in ShareConvert / ComputeMSB the helper dealt the bit shares
//     ⟨x_i⟩_j itself, so that ratio would tell it bits of r (hence of the protected value). With the
//     m_i each received pair is a uniform sharing of d_i.
// The helper's view per element is then: k values that are independent uniform elements of Z_p^*,
// with the one in a uniformly random slot replaced by 0 iff β ⊕ [x > r] = 1, and β is a uniform bit
// the helper does not know, so the view is independent of the inputs (tests/test_securenn_security.cpp
// checks it statistically, the zero's slot included).
//
// Common randomness (the servers' shared stream), per block of zp_block elements (b in a block), in
// this order: s (k·b values in Z_p^*, row by row), m (k·b values in Z_p), ρ (b values in [0, k)), all
// by sample_below. Server j's message holds slot t of element e at zp_index(e, t, n, k).
//
// Kernel: per block, for i = k−1 .. 0 one pass over the block's elements computes c_i, the running
// Σ w and d_i with byte arithmetic (zp_const: no division), into a k × b tile that stays in cache;
// then the barrel shifter, then the tile's rows go to the message. No per-element branches, so the
// loops vectorize.
//
// Cost, n elements: 1 round; each server sends the helper one message of zp_words(n·k) words
// (n·k bytes, rounded up to 8); the helper sends nothing. The paper counts 2k·log p bits per element.
#pragma once

#include "tfe/protocol/securenn/bit_shares.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace tfe::securenn_detail {

/// Server j's d values for one block of b elements into `tile` (k rows of b bytes), before rotation.
/// xs: this server's bit shares of the block (row i at xs + i·b); pub: the public operand per element;
/// bflag, edge: β and the β = 1, r = 2^k − 1 case per element; sv, mv: s and m, bit-major in the block.
/// One bit position i of private_compare_tile over b elements, at server J (restrict: the arrays never
/// overlap, which lets the compiler vectorize without run-time alias checks). With u the public bit and
/// x this server's share of the secret bit (so the public constants enter at server 1 only):
///   w = x ⊕ u:  server 0: u ? −x : x;   server 1: u ? 1 − x : x
///   c − Σw:     server 0: β ? x : −x;   server 1: (β ? x : −x) + κ, κ = β ? 1 − u : 1 + u
/// (β = 0: c = u − x + 1 + Σw; β = 1: c = −u + x + 1 + Σw), then d = s·c ± m.
template <unsigned P, unsigned J>
void private_compare_row(std::uint8_t edge_c, std::size_t b, const std::uint8_t* __restrict u,
                         const std::uint8_t* __restrict x, const std::uint8_t* __restrict bflag,
                         const std::uint8_t* __restrict edge, const std::uint8_t* __restrict sv,
                         const std::uint8_t* __restrict mv, std::uint8_t* __restrict sum, std::uint8_t* __restrict d) {
  using F = zp_const<P>;
  for (std::size_t e = 0; e < b; ++e) {
    const std::uint8_t xe = x[e], ue = u[e], bf = bflag[e];
    const std::uint8_t negx = F::sub(0, xe);
    const std::uint8_t sx = bf ? xe : negx;
    std::uint8_t w, c;
    if constexpr (J == 0) {
      w = ue ? negx : xe;
      c = F::add(sx, sum[e]);
    } else {
      w = ue ? F::sub(1, xe) : xe;
      const auto kappa = static_cast<std::uint8_t>(bf ? 1 - ue : 1 + ue);
      c = F::add(F::add(sx, kappa), sum[e]);
    }
    c = edge[e] ? edge_c : c;
    sum[e] = F::add(sum[e], w);
    const std::uint8_t dv = F::mul(sv[e], c);
    d[e] = J == 0 ? F::add(dv, mv[e]) : F::sub(dv, mv[e]);
  }
}

/// Byte q of each public operand (plane q of the block): 64-bit lanes once per byte instead of once per bit.
template <class R>
void public_byte_plane(unsigned q, std::size_t b, const R* __restrict pub, std::uint8_t* __restrict plane) {
  for (std::size_t e = 0; e < b; ++e) plane[e] = static_cast<std::uint8_t>((pub[e] >> (8 * q)) & R(0xff));
}

/// The public bits of position i, one byte per element, from byte plane i / 8.
inline void public_bits_row(unsigned i, std::size_t b, const std::uint8_t* __restrict plane,
                            std::uint8_t* __restrict u) {
  const unsigned shift = i % 8;
  for (std::size_t e = 0; e < b; ++e) u[e] = static_cast<std::uint8_t>((plane[e] >> shift) & 1u);
}

/// Server j's d values for one block of b elements into `tile` (k rows of b bytes), before rotation.
/// xs: this server's bit shares of the block (row i at xs + i·b); pub: the public operand per element;
/// bflag, edge: β and the β = 1, r = 2^k − 1 case per element; sv, mv: s and m, bit-major in the block;
/// acc, ubuf, plane: b bytes of scratch each.
template <unsigned P, class R>
void private_compare_tile(unsigned j, const std::uint8_t* xs, std::size_t b, unsigned k, const R* pub,
                          const std::uint8_t* bflag, const std::uint8_t* edge, const std::uint8_t* sv,
                          const std::uint8_t* mv, std::uint8_t* acc, std::uint8_t* ubuf, std::uint8_t* plane,
                          std::uint8_t* tile) {
  std::fill(acc, acc + b, std::uint8_t{0});  // this server's share of Σ_{m>i} w_m
  for (unsigned i = k; i-- > 0;) {
    const std::size_t row = static_cast<std::size_t>(i) * b;
    if (i % 8 == 7 || i == k - 1) public_byte_plane<R>(i / 8, b, pub, plane);
    public_bits_row(i, b, plane, ubuf);
    // the edge case's c_i = [i ≠ 0] enters at server 0
    const std::uint8_t edge_c = (j == 0 && i != 0) ? 1 : 0;
    if (j == 0)
      private_compare_row<P, 0>(edge_c, b, ubuf, xs + row, bflag, edge, sv + row, mv + row, acc, tile + row);
    else
      private_compare_row<P, 1>(edge_c, b, ubuf, xs + row, bflag, edge, sv + row, mv + row, acc, tile + row);
  }
}

/// o = mask ? moved : keep, byte by byte (mask bytes 0x00 or 0xff).
inline void blend_row(std::size_t b, const std::uint8_t* __restrict mask, const std::uint8_t* __restrict moved,
                      const std::uint8_t* __restrict keep, std::uint8_t* __restrict o) {
  for (std::size_t e = 0; e < b; ++e) o[e] = static_cast<std::uint8_t>((moved[e] & mask[e]) | (keep[e] & ~mask[e]));
}

/// Rotates every element's k values (column e of the k × b tile `in`) so slot t holds row (t − ρ_e)
/// mod k, into `out`: a barrel shifter, stage h = 2^bit rotating by h the columns whose ρ has that bit
/// set, ping-ponging between `in` and `scratch` (both overwritten) and writing the last stage to `out`;
/// `mask` holds b bytes of scratch.
inline void rotate_tile(std::uint8_t* in, std::uint8_t* scratch, std::uint8_t* out, std::size_t b, unsigned k,
                        const std::uint8_t* rho, std::uint8_t* mask) {
  unsigned stages = 0;
  while ((1u << stages) < k) ++stages;
  if (stages == 0) {
    std::memcpy(out, in, static_cast<std::size_t>(k) * b);
    return;
  }
  std::uint8_t* src = in;
  std::uint8_t* spare = scratch;
  for (unsigned bit = 0; bit < stages; ++bit) {
    const unsigned h = 1u << bit;
    std::uint8_t* dst = bit + 1 == stages ? out : spare;
    for (std::size_t e = 0; e < b; ++e) mask[e] = static_cast<std::uint8_t>(0u - ((rho[e] >> bit) & 1u));
    for (unsigned t = 0; t < k; ++t)
      blend_row(b, mask, src + static_cast<std::size_t>((t + k - h) % k) * b, src + static_cast<std::size_t>(t) * b,
                dst + static_cast<std::size_t>(t) * b);
    spare = src;
    src = dst;
  }
}

/// Server side of PrivateCompare: computes the rotated, re-randomized d values and sends them to
/// the helper. x: this server's Z_p shares of the bits; r: public values (< 2^k); beta: public bits.
template <class R, class S>
void private_compare_send(S& s, bit_shares& x, const R* r, const std::uint8_t* beta, std::size_t n, unsigned k) {
  constexpr unsigned p = prime<R>;
  const std::size_t me = s.id();
  TFE_ASSERT(me < 2);
  TFE_ENFORCE(k >= 1 && k <= ring_traits<R>::bits && k + 1 < p, protocol_error, "private compare over ", k,
              " bits needs 1 <= k <= ", ring_traits<R>::bits, " and p = ", p, " > k + 1");
  TFE_ENFORCE(x.n() == n && x.k() == k, protocol_error, "private compare: bit shares of ", x.n(), " x ", x.k(), " for ",
              n, " x ", k);
  prg& common = s.pair_prg(1 - me);
  const R kmask = k == ring_traits<R>::bits ? static_cast<R>(~R(0)) : static_cast<R>((R(1) << k) - 1);
  const unsigned j = static_cast<unsigned>(me);
  const std::size_t cap = std::min(n, zp_block), m = n * k;
  zp_vec sv(k * cap), mv(k * cap), tile(k * cap), scratch(k * cap), xscratch(k * cap);
  zp_vec rho(cap), acc(cap), ubuf(cap), plane(cap), bflag(cap), edge(cap);
  std::vector<R> pub(cap);
  auto sc = std::make_unique<sample_scratch>();
  s.net().template send_filled<std::uint64_t>(helper, zp_words(m), [&](std::uint8_t* d) {
    for (std::size_t e0 = 0; e0 < n; e0 += cap) {
      const std::size_t b = std::min(cap, n - e0);
      sample_below(common, p - 1, 1, sv.data(), k * b, *sc);
      sample_below(common, p, 0, mv.data(), k * b, *sc);
      sample_below(common, k, 0, rho.data(), b, *sc);
      for (std::size_t e = 0; e < b; ++e) {
        const R re = r[e0 + e] & kmask;
        const bool bf = beta[e0 + e] != 0;
        bflag[e] = bf ? 1 : 0;
        edge[e] = bf && re == kmask ? 1 : 0;
        pub[e] = bf ? static_cast<R>((re + 1) & kmask) : re;  // the public operand the bits are compared with
      }
      private_compare_tile<p, R>(j, x.block(e0, xscratch.data()), b, k, pub.data(), bflag.data(), edge.data(),
                                 sv.data(), mv.data(), acc.data(), ubuf.data(), plane.data(), tile.data());
      rotate_tile(tile.data(), scratch.data(), d + e0 * k, b, k, rho.data(), ubuf.data());
    }
    std::memset(d + m, 0, zp_words(m) * 8 - m);
  });
  for (auto* v : {&sv, &mv, &tile, &scratch, &xscratch, &acc}) secure_wipe(v->data(), v->size());
  s.net().recycle(x.release_storage());  // the shares are used once
}

/// Calls f(d0, d1) on the two servers' messages (n·k values each) while they are received.
template <class S, class F>
decltype(auto) private_compare_messages(S& s, std::size_t m, F&& f) {
  auto check = [&](std::size_t from, const shape_t& shape) {
    TFE_ENFORCE(shape == shape_t{zp_words(m)}, protocol_error, "expected ", zp_words(m), " words of Z_p values from '",
                s.name_of(from), "' but got a tensor of shape ", shape_str(shape));
  };
  return s.net().template recv_viewed<std::uint64_t>(0, [&](const std::uint8_t* d0, const shape_t& sh0) {
    check(0, sh0);
    return s.net().template recv_viewed<std::uint64_t>(1, [&](const std::uint8_t* d1, const shape_t& sh1) {
      check(1, sh1);
      return f(d0, d1);
    });
  });
}

/// Helper side: β' = β ⊕ [x > r] per element (1 iff some d_i is 0).
template <class R, class S>
std::vector<std::uint8_t> private_compare_receive(S& s, std::size_t n, unsigned k) {
  TFE_ASSERT(s.id() == helper);
  using F = zp_const<prime<R>>;
  std::vector<std::uint8_t> out(n, 0);
  private_compare_messages(s, n * k, [&](const std::uint8_t* d0, const std::uint8_t* d1) {
    for (std::size_t e0 = 0; e0 < n; e0 += zp_block) {
      const std::size_t b = std::min(zp_block, n - e0);
      std::uint8_t* o = out.data() + e0;
      for (unsigned t = 0; t < k; ++t) {
        const std::size_t row = e0 * k + static_cast<std::size_t>(t) * b;
        const std::uint8_t* a = d0 + row;
        const std::uint8_t* c = d1 + row;
        for (std::size_t e = 0; e < b; ++e) o[e] |= F::add(a[e], c[e]) == 0 ? 1 : 0;
      }
    }
  });
  return out;
}

/// PrivateCompare as one call for every player: servers pass their bit shares, r and β; the helper
/// gets β ⊕ [x > r]; everybody else (and the servers) an empty vector. Tag "private_compare".
template <class R, class S>
std::vector<std::uint8_t> private_compare(S& s, bit_shares& x, const R* r, const std::uint8_t* beta, std::size_t n,
                                          unsigned k) {
  if (s.id() > helper) return {};
  auto scope = s.op_scope("private_compare");
  if (s.id() == helper) return private_compare_receive<R>(s, n, k);
  private_compare_send<R>(s, x, r, beta, n, k);
  return {};
}

/// The helper's side (it holds no shares).
template <class R, class S>
std::vector<std::uint8_t> private_compare_at_helper(S& s, std::size_t n, unsigned k) {
  bit_shares none;
  return private_compare<R>(s, none, static_cast<const R*>(nullptr), nullptr, n, k);
}

/// With all n·k shares in hand (tests): `x` block-major, as bit_shares.hpp lays them out.
template <class R, class S>
std::vector<std::uint8_t> private_compare(S& s, const zp_vec& x, const R* r, const std::uint8_t* beta, std::size_t n,
                                          unsigned k) {
  if (s.id() >= helper) return private_compare_at_helper<R>(s, n, k);
  bit_shares held(x, n, k);
  return private_compare<R>(s, held, r, beta, n, k);
}

}  // namespace tfe::securenn_detail
