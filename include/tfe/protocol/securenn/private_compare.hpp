// tfe/protocol/securenn/private_compare.hpp: SecureNN's PrivateCompare (Wagh, Gupta, Chandran,
// "SecureNN: 3-Party Secure Computation for Neural Network Training", PoPETs 2019, Algorithm 3),
// vectorized over n elements, with the random permutation step.
//
// Inputs: servers 0 and 1 hold Z_p shares of the k bits x[i] of a secret k-bit x (bit i of element e
// at [e·k + i], LSB first), a public k-bit r and a public bit β (both known to both servers, neither
// to the helper). Output: the helper learns β ⊕ [x > r] for every element; the servers learn nothing.
//
// Math (all mod p; j ∈ {0, 1} is the server, so public constants enter once, at server 1):
//   β = 0:                    w_i = x_i ⊕ r_i,  c_i =  r_i − x_i + 1 + Σ_{m>i} w_m
//   β = 1, r ≠ 2^k − 1:       t = r + 1, w_i = x_i ⊕ t_i, c_i = −t_i + x_i + 1 + Σ_{m>i} w_m
//   β = 1, r = 2^k − 1:       c_i = [i ≠ 0]   (x > r is impossible, so exactly one zero)
//   d_i = s_i · c_i with s_i uniform in Z_p^*.
// For β = 0, c_i = 0 exactly at the highest bit where x and r differ if there x_i = 1 > r_i = 0, i.e.
// iff x > r; every other c_i lies in [1, k + 1] (so p > k + 1 is needed: see fields.hpp). For β = 1
// the same argument with t = r + 1 finds a zero iff x < t, i.e. x ≤ r. So the d_i contain one zero
// iff β ⊕ [x > r] = 1, and the helper outputs exactly that.
//
// What the helper sees, and the two steps that make it independent of x and r:
//   * permutation π: the servers shuffle the k values of every element with a common random
//     permutation. Without it the position of the zero is the highest bit where x and r differ, which
//     the helper would learn. (TF Encrypted's securenn.py left this step as a TODO.)
//   * re-randomization: the servers add a common random m_i to server 0's d_i and subtract it from
//     server 1's. Algorithm 3 sends s_i·⟨c_i⟩_j directly; then the ratio of the two shares a helper
//     receives is ⟨c_i⟩_0/⟨c_i⟩_1, and in ShareConvert / ComputeMSB the helper dealt the bit shares
//     ⟨x_i⟩_j itself, so that ratio would tell it bits of r (hence of the protected value). With the
//     m_i each received pair is a uniform sharing of d_i.
// The helper's view per element is then: k values that are a uniformly random arrangement of
// independent uniform elements of Z_p^*, with one of them replaced by 0 iff β ⊕ [x > r] = 1, and β is
// a uniform bit the helper does not know, so the view is independent of the inputs.
//
// Common randomness (the servers' shared stream, drawn in this order): s (n·k values in Z_p^*),
// m (n·k values in Z_p), then the permutation: for i = k−1 .. 1 one Fisher–Yates index in [0, i] per
// element.
//
// Cost, n elements: 1 round; each server sends the helper one message of zp_words(n·k) words
// (n·k bytes, rounded up to 8); the helper sends nothing. The paper counts 2k·log p bits per element.
#pragma once

#include "tfe/protocol/securenn/fields.hpp"

#include <algorithm>
#include <utility>

namespace tfe::securenn_detail {

/// Server side of PrivateCompare: computes the permuted, re-randomized d values and sends them to
/// the helper. x: this server's Z_p shares of the bits (n·k); r: public values (< 2^k);
/// beta: public bits. Servers only.
template <class R, class S>
void private_compare_send(S& s, const zp_vec& x, const R* r, const std::uint8_t* beta, std::size_t n, unsigned k) {
  const unsigned p = prime<R>;
  const zp f{p};
  const std::size_t me = s.id();
  TFE_ASSERT(me < 2);
  TFE_ENFORCE(k >= 1 && k <= ring_traits<R>::bits && k + 1 < p, protocol_error, "private compare over ", k,
              " bits needs 1 <= k <= ", ring_traits<R>::bits, " and p = ", p, " > k + 1");
  TFE_ENFORCE(x.size() == n * k, protocol_error, "private compare: ", x.size(), " bit shares for ", n, " x ", k);
  prg& common = s.pair_prg(1 - me);
  const zp_vec sv = uniform_zp(common, p, n * k, 1);
  const zp_vec mv = uniform_zp(common, p, n * k);
  const R kmask = k == ring_traits<R>::bits ? static_cast<R>(~R(0)) : static_cast<R>((R(1) << k) - 1);
  const unsigned j = static_cast<unsigned>(me);
  zp_vec d(n * k);
  for (std::size_t e = 0; e < n; ++e) {
    const R re = r[e] & kmask;
    const bool b = beta[e] != 0;
    const bool edge = b && re == kmask;
    const R t = static_cast<R>((re + 1) & kmask);
    const R pub = b ? t : re;  // the public operand the bits are compared with
    const std::uint8_t* xe = x.data() + e * k;
    std::uint8_t* de = d.data() + e * k;
    unsigned acc = 0;  // share of Σ_{m>i} w_m
    for (unsigned ii = k; ii-- > 0;) {
      unsigned c;
      if (edge) {
        c = (j == 0 && ii != 0) ? 1u : 0u;
      } else {
        const unsigned xi = xe[ii], ui = bit_of(pub, ii);
        // w = x ⊕ u = x + u − 2ux (u public: server 1 adds it)
        const unsigned w = ui ? f.sub(j, xi) : xi;
        // β = 0: c = u − x + 1 + Σw;  β = 1: c = −u + x + 1 + Σw
        const unsigned lin = b ? f.sub(xi, j * ui) : f.sub(j * ui, xi);
        c = f.add(f.add(lin, j), acc);
        acc = f.add(acc, w);
      }
      const std::size_t idx = e * k + ii;
      const unsigned dv = f.mul(sv[idx], c);
      de[ii] = j == 0 ? f.add(dv, mv[idx]) : f.sub(dv, mv[idx]);
    }
  }
  // The common permutation of every element's k values (Fisher–Yates, one index vector per step).
  for (unsigned ii = k - 1; ii >= 1; --ii) {
    auto js = common.template uniform_below<std::uint64_t>(ii + 1, shape_t{n});
    for (std::size_t e = 0; e < n; ++e) std::swap(d[e * k + ii], d[e * k + static_cast<std::size_t>(js.data()[e])]);
  }
  s.net().send(helper, pack_bytes(d));
}

/// The d values the helper reconstructs (d0 + d1 mod p), for tests and for the helper's decision.
template <class R, class S>
zp_vec private_compare_receive_d(S& s, std::size_t n, unsigned k) {
  const zp f{prime<R>};
  const std::size_t m = n * k;
  zp_vec d0 = unpack_bytes(recv_words(s, 0, zp_words(m)), m, s.name_of(0));
  zp_vec d1 = unpack_bytes(recv_words(s, 1, zp_words(m)), m, s.name_of(1));
  for (std::size_t i = 0; i < m; ++i) d0[i] = f.add(d0[i], d1[i]);
  return d0;
}

/// Helper side: β' = β ⊕ [x > r] per element (1 iff some d_i is 0).
template <class R, class S>
std::vector<std::uint8_t> private_compare_receive(S& s, std::size_t n, unsigned k) {
  TFE_ASSERT(s.id() == helper);
  const zp_vec d = private_compare_receive_d<R>(s, n, k);
  std::vector<std::uint8_t> out(n, 0);
  for (std::size_t e = 0; e < n; ++e)
    for (unsigned i = 0; i < k; ++i)
      if (d[e * k + i] == 0) out[e] = 1;
  return out;
}

/// PrivateCompare as one call for every player: servers pass their bit shares, r and β; the helper
/// gets β ⊕ [x > r]; everybody else (and the servers) an empty vector. Tag "private_compare".
template <class R, class S>
std::vector<std::uint8_t> private_compare(S& s, const zp_vec& x, const R* r, const std::uint8_t* beta, std::size_t n,
                                          unsigned k) {
  if (s.id() > helper) return {};
  auto scope = s.op_scope("private_compare");
  if (s.id() == helper) return private_compare_receive<R>(s, n, k);
  private_compare_send<R>(s, x, r, beta, n, k);
  return {};
}

}  // namespace tfe::securenn_detail
