// tfe/protocol/securenn/drelu.hpp: SecureNN's DReLU (PoPETs 2019, Algorithm 7, "ReLU'"), and the
// masked DReLU at the values' width that the sign and zero tests use.
//
// DReLU(a) = [a ≥ 0] for a two's-complement a ∈ Z_L (L = 2^ℓ). The paper's protocol:
//   1. server j: c_j = 2a_j (mod L)           (c is even, so c ≠ L − 1 as ShareConvert requires)
//   2. y = ShareConvert(c)                     (Z_L → Z_{L−1}, share_convert.hpp)
//   3. α = ComputeMSB(y)                       (compute_msb.hpp)
//   4. output j − α_j
// Range. c = 2a mod L drops bit ℓ−1 of a, and ComputeMSB(y) = [y ≥ 2^(ℓ−1)] is bit ℓ−1 of c, i.e.
// bit ℓ−2 of a. So the paper's DReLU is exact for a ∈ [−2^(ℓ−2), 2^(ℓ−2)) — the values of ℓ−1 bits —
// and wrong above (for instance a = 2^(ℓ−2) gives DReLU = 0). The authors' code does the same
// (funcRELUPrime3PC doubles, then ComputeMSB doubles again). It cannot be widened by a local change:
// ShareConvert needs an input ≠ L − 1, which rules out any bijective local map of a (an odd multiple),
// and every even multiple loses the top bit. It compares all ℓ bits twice (ShareConvert's and
// ComputeMSB's PrivateCompare) whatever the width of the values.
//
// The masked DReLU at width k (drelu_masked; tfe's sign_bit hook, which passes the width w of the
// values: w ≤ used_bits() + 1, 32 or 33 with the ring64 preset, or ℓ for sign_width::full). It is
// built from the paper's own pieces, the first half of ShareConvert (Algorithm 4: a masked opening
// to the helper, then PrivateCompare against the mask), and needs neither ShareConvert's second half
// nor ComputeMSB. For a in the k-bit two's-complement range, a's sign is bit k − 1 of a mod 2^k:
//   common randomness (servers): r0, r1 uniform in Z_L (r = r0 + r1), a bit β
//   1. server j: ã_j = a_j − r_j; sends it to the helper                                  (round)
//   2. helper: x = ã0 + ã1 (= a − r, uniform); deals Z_p shares of the low k−1 bits x' of x (round)
//   3. PrivateCompare(bits of x', R = 2^(k−1) − 1 − r', β), r' = r mod 2^(k−1): the helper learns
//      β' = β ⊕ [x' > R] = β ⊕ [x' + r' ≥ 2^(k−1)], the carry into bit k−1 of x + r = a     (round)
//   4. helper: deals Z_L shares of B = β' ⊕ x[k−1]                                        (round)
//   5. server j: with the public (to the servers) bit c = β ⊕ r[k−1]:
//      MSB_k(a) = B ⊕ c = c ? j − B_j : B_j;  DReLU = j − MSB_k.
//   Correct: a mod 2^k = (x + r) mod 2^k, whose bit k − 1 is x[k−1] ⊕ r[k−1] ⊕ carry_{k−1}(x', r').
//   Security: that of ShareConvert's first half in the paper's proof (the helper sees ã_j masked by
//   the uniform r_j, so x is uniform and independent of a; PrivateCompare's view, masked and permuted;
//   β' masked by the uniform β, unknown to it); the servers receive only dealt shares (Z_p shares of
//   x' and Z_L shares of B, uniform). tests/test_securenn_security.cpp checks the helper's view at
//   k = 32 and k = ℓ. At k = ℓ it is exact on all of Z_L (drelu_full). Against the paper's DReLU at
//   ring64 and k = 32: one PrivateCompare on 31 positions instead of two on 64, 4 hops instead of 8,
//   117 bytes per element over the three players instead of 496.
//
// Costs, n elements, per player (E = ℓ/8 bytes, W(m) = zp_words(m) words of 8 bytes):
//   paper DReLU = ShareConvert + ComputeMSB (the ComputeMSB dealing rides in ShareConvert's second
//   round, so the critical path is the paper's 8 hops):
//     server 0: sends 4·n·E + 2·8·W(nℓ) (ã_0, 2 × PrivateCompare, r_0, e and f) in 6 messages;
//               receives 3·n·E from server 1 in 3 messages; 2 rounds as counted (it never waits for
//               the helper: its dealt shares are PRG-derived)
//     server 1: sends the same; receives 3·n·E from server 0 and, from the helper,
//               2·8·W(nℓ) + 6·n·E: 11 messages; 5 rounds as counted
//     helper:   receives 2·n·E + 4·8·W(nℓ) in 6 messages; sends 2·8·W(nℓ) + 6·n·E to server 1 in
//               8 messages; 3 rounds as counted
//     total bits per element (log p = 8): 6ℓ·log p + 14ℓ, against the paper's 8ℓ·log p + 19ℓ
//     (8 rounds). For ℓ = 64: 496 bytes against 664.
//   drelu_masked at width k: server 0 sends n·E + 8·W(n(k−1)) in 2 messages, 1 round as counted,
//     receives nothing; server 1 the same sends, receives 8·W(n(k−1)) + n·E in 2 messages, 2 rounds;
//     the helper receives 2·n·E + 2·8·W(n(k−1)) and sends 8·W(n(k−1)) + n·E in 2 messages, 2 rounds;
//     critical path 4 hops; 3ℓ + 3(k−1)·log p bits per element in total (k = ℓ = 64: 1704).
//
// Zero test: [a = 0] = DReLU(a)·DReLU(−a): one DReLU call over the 2n values (a, −a) and one Beaver
// product (+1 round, 2·n·E per server, n·E from the helper). Exact for a in the width's range: at
// width w the only −a outside the w-bit range is 2^(w−1) (a = −2^(w−1) ≠ 0), whose bit w − 1 is set,
// so DReLU(−a) = 0, which is the right product.
#pragma once

#include "tfe/protocol/securenn/compute_msb.hpp"
#include "tfe/protocol/securenn/share_convert.hpp"

namespace tfe::securenn_detail {

/// The paper's DReLU: this server's Z_L share of [a ≥ 0], exact for a ∈ [−2^(ℓ−2), 2^(ℓ−2)).
/// Every player of 0, 1, 2 calls it (others get empty at once). Tag "drelu".
template <class R, class S>
ring_tensor<R> drelu(S& s, const ring_tensor<R>* a, const shape_t& shape) {
  if (s.id() > helper) return {};
  auto scope = s.op_scope("drelu");
  const std::size_t n = shape_size(shape);
  ring_tensor<R> c;
  if (s.id() != helper) {
    c = ring_tensor<R>(shape);
    for (std::size_t e = 0; e < n; ++e) c.data()[e] = static_cast<R>(a->data()[e] << 1);
  }
  share_convert_state<R> st;
  msb_deal<R> deal;
  ring_tensor<R> y;
  {
    auto sc = s.op_scope("share_convert");
    st = share_convert_open<R>(s, &c, shape);
  }
  {
    auto ms = s.op_scope("compute_msb");
    deal = compute_msb_deal<R>(s, shape);  // sent with ShareConvert's second round
  }
  {
    auto sc = s.op_scope("share_convert");
    y = share_convert_finish<R>(s, st, shape);
  }
  ring_tensor<R> alpha;
  {
    auto ms = s.op_scope("compute_msb");
    alpha = compute_msb_online<R>(s, &y, deal, shape);
  }
  if (s.id() == helper) return {};
  const R j = s.id() == 0 ? R(0) : R(1);
  ring_tensor<R> out(shape);
  for (std::size_t e = 0; e < n; ++e) out.data()[e] = static_cast<R>(j - alpha.data()[e]);
  return out;
}

/// The masked DReLU at width k (see above): exact for a in the k-bit two's-complement range, every
/// k in [2, ℓ] (k = ℓ: the whole ring). Tag "drelu_masked".
template <class R, class S>
ring_tensor<R> drelu_masked(S& s, const ring_tensor<R>* a, const shape_t& shape, unsigned k) {
  constexpr unsigned ell = ring_traits<R>::bits;
  TFE_ENFORCE(k >= 2 && k <= ell, protocol_error, "sign bit width ", k, " is not in [2, ", ell, "]");
  if (s.id() > helper) return {};
  auto scope = s.op_scope("drelu_masked");
  const unsigned m = k - 1;  // the positions PrivateCompare compares: bits 0 .. k − 2
  const R low = static_cast<R>((R(1) << m) - 1);
  const std::size_t n = shape_size(shape);
  if (s.id() == helper) {
    auto a0 = recv_ring<R>(s, 0, shape);
    auto a1 = recv_ring<R>(s, 1, shape);
    ring_tensor<R> x(shape);
    for (std::size_t e = 0; e < n; ++e) x.data()[e] = static_cast<R>(a0.data()[e] + a1.data()[e]);
    deal_bit_shares<R>(s, x.data(), n, m);
    auto bp = private_compare_at_helper<R>(s, n, m);
    ring_tensor<R> b(shape);
    for (std::size_t e = 0; e < n; ++e) b.data()[e] = R((bp[e] ^ bit_of(x.data()[e], m)) & 1u);
    deal_ring<R>(s, &b, shape);
    return {};
  }
  const std::size_t me = s.id();
  prg& common = s.pair_prg(1 - me);
  const ring_tensor<R> r0 = common.template uniform<R>(shape);
  const ring_tensor<R> r1 = common.template uniform<R>(shape);
  const auto beta = uniform_bits(common, n);
  const ring_tensor<R>& rj = me == 0 ? r0 : r1;
  s.net().send(helper, ring_tensor<R>(*a - rj));
  bit_shares xbits = deal_bit_shares<R>(s, static_cast<const R*>(nullptr), n, m);
  ring_tensor<R> rr(shape);  // R = 2^(k−1) − 1 − r', r' = r mod 2^(k−1)
  for (std::size_t e = 0; e < n; ++e) {
    const R r = static_cast<R>(r0.data()[e] + r1.data()[e]);
    rr.data()[e] = static_cast<R>(low - (r & low));
  }
  private_compare<R>(s, xbits, rr.data(), beta.data(), n, m);
  ring_tensor<R> b = deal_ring<R>(s, static_cast<const ring_tensor<R>*>(nullptr), shape);
  const R j = me == 0 ? R(0) : R(1);
  ring_tensor<R> out(shape);
  for (std::size_t e = 0; e < n; ++e) {
    const R r = static_cast<R>(r0.data()[e] + r1.data()[e]);
    const bool c = ((beta[e] ^ bit_of(r, m)) & 1u) != 0;
    const R msb = c ? static_cast<R>(j - b.data()[e]) : b.data()[e];
    out.data()[e] = static_cast<R>(j - msb);
  }
  return out;
}

/// The masked DReLU over the whole ring (k = ℓ), exact on all of Z_L.
template <class R, class S>
ring_tensor<R> drelu_full(S& s, const ring_tensor<R>* a, const shape_t& shape) {
  return drelu_masked<R>(s, a, shape, ring_traits<R>::bits);
}

}  // namespace tfe::securenn_detail
