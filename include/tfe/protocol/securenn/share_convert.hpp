// tfe/protocol/securenn/share_convert.hpp: SecureNN's ShareConvert (PoPETs 2019, Algorithm 4): shares
// of a ∈ Z_L (L = 2^ℓ, a ≠ L − 1) into shares of the same a in Z_{L−1}.
//
// Notation: wrap(u, v, L) = [u + v ≥ L] over the integers. For a = a0 + a1 (mod L), the shares over
// Z_{L−1} are a_j − θ_j where θ = wrap(a0, a1, L) (since L ≡ 1 mod L − 1, a0 + a1 − θ·L ≡ a0 + a1 − θ,
// and a < L − 1 is its own residue). The servers cannot compute θ locally; the helper helps:
//
//   common randomness (servers): r0, r1 uniform in Z_L (r = r0 + r1, α = wrap(r0, r1, L)), a bit η''
//   1. server j: ã_j = a_j + r_j, β_j = wrap(a_j, r_j, L); sends ã_j to the helper         (round 1)
//   2. helper: x = ã0 + ã1 (= a + r, uniform), δ = wrap(ã0, ã1, L); deals Z_p shares of the ℓ
//      bits of x and Z_{L−1} shares of δ                                                     (round 2)
//   3. PrivateCompare(bits of x, r − 1, η''): the helper learns η' = η'' ⊕ [x > r − 1]          (round 3)
//   4. helper: deals Z_{L−1} shares of η'                                                       (round 4)
//   5. server j: η_j = η'_j + (1−j)η'' − 2η''η'_j      (η = [x ≥ r])
//                θ_j = β_j + (1−j)(−α − 1) + δ_j + η_j,   output y_j = a_j − θ_j   (all in Z_{L−1})
// Why θ = β0 + β1 + δ − α − 1 + η equals wrap(a0, a1): adding a_j + r_j = ã_j + β_j·L over j and
// ã0 + ã1 = x + δ·L, r0 + r1 = r + α·L, a0 + a1 = a + wrap(a0, a1)·L gives
// a + r = x + (β0 + β1 + δ − α − wrap(a0, a1))·L, and a + r = x + [x < r]·L = x + (1 − η)·L.
// The paper calls PrivateCompare with r − 1 exactly so that η = [x > r − 1] = [x ≥ r]; the one value
// where that identity breaks, r = 0 (r − 1 wraps to L − 1, probability 2^-ℓ), is handled exactly: the
// servers know r and use η = 1 there (x ≥ 0 always).
//
// Security: the helper sees ã_j (uniform: masked by r_j), x (uniform), and PrivateCompare's view
// (independent of its inputs, see private_compare.hpp); η' is masked by η''. The servers see only
// shares dealt by the helper.
//
// Cost, n elements, per player (E = ℓ/8 bytes, W(m) = zp_words(m) words of 8 bytes):
//   server 0: sends n·E (ã_0) + 8·W(n·ℓ) (PrivateCompare); receives nothing (its dealt shares are
//             PRG-derived)                                            2 messages, 1 round as counted
//   server 1: sends the same; receives 8·W(n·ℓ) (bit shares) + n·E (δ) + n·E (η')   2 sent, 3 received,
//             2 rounds as counted
//   helper:   receives 2·n·E + 2·8·W(n·ℓ); sends server 1 8·W(n·ℓ) + 2·n·E in 3 messages, 2 rounds
// Latency (critical path): 4 message hops (ã → helper → server 1 → helper → server 1), the paper's 4.
// In bits per element over all players, log p counted as 8: 3ℓ·log p + 4ℓ here, against the paper's
// 4ℓ·log p + 6ℓ (Table 1); the difference, ℓ·log p + 2ℓ, is server 0's shares of the bits of x, of δ
// and of η', which seed compression derives from a PRG instead of sending.
#pragma once

#include "tfe/protocol/securenn/private_compare.hpp"

namespace tfe::securenn_detail {

/// State the servers keep between ShareConvert's opening (steps 1–2) and its end (steps 3–5).
template <class R>
struct share_convert_state {
  ring_tensor<R> a, r0, r1;        // input share, the common r's shares
  std::vector<std::uint8_t> beta;  // wrap(a_j, r_j)
  std::vector<std::uint8_t> eta2;  // η''
  bit_shares xbits;                // this server's Z_p shares of the bits of x
  ring_tensor<R> delta;            // this server's Z_{L−1} share of δ
  std::size_t n = 0;
};

/// Steps 1–2 (every player of 0, 1, 2 calls it; others must not).
template <class R, class S>
share_convert_state<R> share_convert_open(S& s, const ring_tensor<R>* a, const shape_t& shape) {
  constexpr unsigned ell = ring_traits<R>::bits;
  const std::size_t n = shape_size(shape);
  share_convert_state<R> st;
  st.n = n;
  if (s.id() == helper) {
    auto a0 = recv_ring<R>(s, 0, shape);
    auto a1 = recv_ring<R>(s, 1, shape);
    ring_tensor<R> x(shape), delta(shape);
    for (std::size_t e = 0; e < n; ++e) {
      const R xe = static_cast<R>(a0.data()[e] + a1.data()[e]);
      x.data()[e] = xe;
      delta.data()[e] = xe < a0.data()[e] ? R(1) : R(0);
    }
    deal_bit_shares<R>(s, x.data(), n, ell);
    deal_odd<R>(s, &delta, shape);
    return st;
  }
  const std::size_t me = s.id();
  prg& common = s.pair_prg(1 - me);
  st.a = *a;
  st.r0 = common.template uniform<R>(shape);
  st.r1 = common.template uniform<R>(shape);
  st.eta2 = uniform_bits(common, n);
  const ring_tensor<R>& rj = me == 0 ? st.r0 : st.r1;
  ring_tensor<R> at(shape);
  st.beta.assign(n, 0);
  for (std::size_t e = 0; e < n; ++e) {
    const R v = static_cast<R>(a->data()[e] + rj.data()[e]);
    at.data()[e] = v;
    st.beta[e] = v < a->data()[e] ? 1 : 0;
  }
  s.net().send(helper, at);
  st.xbits = deal_bit_shares<R>(s, static_cast<const R*>(nullptr), n, ell);
  st.delta = deal_odd<R>(s, static_cast<const ring_tensor<R>*>(nullptr), shape);
  return st;
}

/// Steps 3–5: returns this server's Z_{L−1} share of a (empty at the helper).
template <class R, class S>
ring_tensor<R> share_convert_finish(S& s, share_convert_state<R>& st, const shape_t& shape) {
  using F = odd_ring<R>;
  constexpr unsigned ell = ring_traits<R>::bits;
  const std::size_t n = st.n;
  if (s.id() == helper) {
    auto eta1 = private_compare_at_helper<R>(s, n, ell);
    ring_tensor<R> eta(shape);
    for (std::size_t e = 0; e < n; ++e) eta.data()[e] = eta1[e] ? R(1) : R(0);
    deal_odd<R>(s, &eta, shape);
    return {};
  }
  const std::size_t me = s.id();
  ring_tensor<R> r(shape), rm1(shape);
  for (std::size_t e = 0; e < n; ++e) {
    r.data()[e] = static_cast<R>(st.r0.data()[e] + st.r1.data()[e]);
    rm1.data()[e] = static_cast<R>(r.data()[e] - 1);
  }
  private_compare<R>(s, st.xbits, rm1.data(), st.eta2.data(), n, ell);
  ring_tensor<R> eta1 = deal_odd<R>(s, static_cast<const ring_tensor<R>*>(nullptr), shape);
  ring_tensor<R> y(shape);
  const R j = me == 0 ? R(0) : R(1);
  for (std::size_t e = 0; e < n; ++e) {
    const R r0 = st.r0.data()[e], r1 = st.r1.data()[e];
    const bool alpha = static_cast<R>(r0 + r1) < r0;
    R eta;
    if (r.data()[e] == 0) {
      eta = me == 0 ? R(1) : R(0);  // x ≥ 0 always (PrivateCompare was asked x > L − 1)
    } else {
      // η = η' ⊕ η'' = η' + (1 − j)η'' − 2η''η'
      const R e1 = eta1.data()[e];
      eta = st.eta2[e] ? F::add(F::from_int(1 - static_cast<std::int64_t>(j)), F::neg(e1)) : e1;
    }
    // θ = β_j + (1 − j)(−α − 1) + δ_j + η_j
    R theta = F::add(F::add(R(st.beta[e]), st.delta.data()[e]), eta);
    if (me == 0) theta = F::sub(theta, F::from_int(alpha ? 2 : 1));
    y.data()[e] = F::sub(F::reduce(st.a.data()[e]), theta);
  }
  return y;
}

/// ShareConvert for every player: servers pass their Z_L share (a ≠ L − 1 as a value), get their
/// Z_{L−1} share; the helper takes part; other players return empty at once. Tag "share_convert".
template <class R, class S>
ring_tensor<R> share_convert(S& s, const ring_tensor<R>* a, const shape_t& shape) {
  if (s.id() > helper) return {};
  auto scope = s.op_scope("share_convert");
  auto st = share_convert_open<R>(s, a, shape);
  return share_convert_finish<R>(s, st, shape);
}

}  // namespace tfe::securenn_detail
