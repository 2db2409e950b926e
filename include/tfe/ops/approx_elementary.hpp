// tfe/ops/approx_elementary.hpp: exp, reciprocal, inv_sqrt, sqrt, log and softmax, generic over
// protocols (included by tfe/ops/approx.hpp, whose header explains the building blocks: step bits
// from ONE batched sign test give any piecewise-constant function locally; powers in ⌈log2 d⌉ rounds).
//
// All of them normalise by buckets: the sign test of x against the bucket edges gives, locally,
// per-bucket public constants — a scale G = 2^-j that maps the bucket to a small fixed interval, an
// output factor F, an offset C; ONE product m = x·G brings x there, where a short polynomial or a few
// Newton steps suffice; F and C put the bucket back. Buckets outside the domain get G = 0 and m = 1
// (or a scale of exact 0), so out-of-domain inputs give a documented saturation value, never garbage.
// Products whose result can be large (up to 2^I) multiply by INTEGER bucket factors without
// truncation, so Pond's share-local truncation (which fails with probability ~|result|·2^(f+1−ℓ))
// only ever truncates small values. f = frac_bits, I = int_bits (ring64 preset 16.15, ring128 32.31).
//
//   function    method                                         sign-test        products   product
//                                                              thresholds       per value  rounds
//   exp         e^x = 2^t_j·16^v, buckets of 4 binary orders,  9 | 17           8          4
//               16^v a degree-8 polynomial
//   reciprocal  octaves [2^j, 2^(j+1)), 24/17 − 8/17·m, Newton 29 | 61           2n+3       2n+1
//   inv_sqrt    octaves, 1.26411 − 0.28637·m, Newton           31 | 63           3n+3       2n+2
//   sqrt        as inv_sqrt, result m·y·2^(j/2)                 31 | 63           3n+3       2n+2
//   log         half octaves, j·ln2 + v·q(v), q of degree 7    32 | 64           8          4
//   softmax     exact max, exp(x − max), sum, reciprocal [1,n] see softmax
// (ring64 | ring128 preset). The sign test is ONE batched protocol comparison (7 rounds in Pond for
// ring64, 8 for ring128) whatever the number of thresholds; n = Newton steps, chosen from f so that
// the iteration error is below 2^-f: 2 for f = 16, 3 for f = 32.
// Errors are stated at each function as |ŷ − y| ≤ ρ·|y| + α·2^-f over its domain, against the exact
// function of the ENCODED input; measured maxima and bytes per value: docs/approximations.md
// (benchmarks/approx_errors.cpp), asserted in tests/test_approx_elementary.cpp.
#pragma once

#include "tfe/ops/approx.hpp"
#include "tfe/protocol/protocol.hpp"

#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace tfe {

namespace detail {

inline constexpr double ln2 = 0.69314718055994530942;
inline constexpr double log2e = 1.44269504088896340736;

/// 16^v on [0, 1], relative minimax of degree 8 (Lawson's algorithm): relative error 1.95e-7.
inline constexpr std::array<double, 9> exp16_poly = {1.0000001949277681, 2.772548264876294,    3.84494142116779,
                                                     3.536398622203453,  2.5546272594079467,   1.0732415857755355,
                                                     1.1531426628144796, -0.26506028617465827, 0.33015715612023006};

/// log(1 + v) = v·q(v) on [2^-½ − 1, 2^½ − 1], q of degree 7 minimising max |v·q(v) − log(1+v)|:
/// absolute error 3.35e-8, and exactly 0 at v = 0.
inline constexpr std::array<double, 9> log1p_poly = {0.0,
                                                     0.9999998139154924,
                                                     -0.500006673973382,
                                                     0.3333618203664842,
                                                     -0.24959343758262414,
                                                     0.198730459656293,
                                                     -0.1733346567899414,
                                                     0.16419993555110668,
                                                     -0.10102239909712547};

/// 1/m ≈ 24/17 − 8/17·m on [1, 2]: |1 − m·y0| ≤ 1/17.
inline constexpr double recip_a = 24.0 / 17.0, recip_b = 8.0 / 17.0, recip_e0 = 1.0 / 17.0;
/// 1/√m ≈ a − b·m on [1, 2], relative minimax: |1 − √m·y0| ≤ 0.02226.
inline constexpr double isqrt_a = 1.26411436, isqrt_b = 0.28637358, isqrt_e0 = 0.022259576;

/// A private tensor of x's shape holding the constant v everywhere (no communication); `integer`:
/// unscaled.
template <protocol P>
private_tensor<P> constant_like(const private_tensor<P>& x, double v, bool integer = false) {
  using R = typename P::ring;
  fixed_point_config cfg = x.sess().fixed_point();
  if (integer) cfg.frac_bits = 0;
  private_tensor<P> zero(x.sess(), x.shape(), P::zero_parts(x.sess(), x.shape()));
  ring_tensor<R> c(shape_t{});
  c() = encode_unchecked<R>(v, cfg);
  return add_public(zero, c, "add");
}

/// Per-bucket constants from optional step bits (no thresholds: one bucket, a constant).
template <protocol P>
private_tensor<P> bucket_constant(const private_tensor<P>& x, const std::optional<private_tensor<P>>& steps,
                                  const std::vector<double>& v, bool integer = false) {
  return steps ? piecewise_constant(*steps, v, integer) : constant_like(x, v.at(0), integer);
}

/// p·g(x) for a per-bucket constant g, and p·e for further fixed-point factors e, in ONE broadcast
/// product that opens p once. Integral bucket values (|g| ≥ 1) multiply WITHOUT truncation: exact,
/// and a large result is never truncated (Pond's share-local truncation fails with probability
/// about |result|·2^(f+1−ℓ), 2^-16.5 for results near 2^15 in ring64); the fractional bucket values
/// and the extra factors take one truncation. Returns {p·g, p·e_0, p·e_1, ...}.
template <protocol P>
std::vector<private_tensor<P>> scale_by_bucket(const private_tensor<P>& p, const private_tensor<P>& x,
                                               const std::optional<private_tensor<P>>& steps,
                                               const std::vector<double>& g,
                                               const std::vector<private_tensor<P>>& extra = {}) {
  std::vector<double> gi(g.size(), 0.0), gf(g.size(), 0.0);
  bool any_i = false, any_f = false;
  for (std::size_t k = 0; k < g.size(); ++k) {
    if (std::fabs(g[k]) >= 1 && std::floor(g[k]) == g[k]) {
      gi[k] = g[k];
      any_i = true;
    } else if (g[k] != 0) {
      gf[k] = g[k];
      any_f = true;
    }
  }
  std::vector<private_tensor<P>> factors;
  if (any_i) factors.push_back(bucket_constant(x, steps, gi, true));
  if (any_f) factors.push_back(bucket_constant(x, steps, gf));
  factors.insert(factors.end(), extra.begin(), extra.end());
  std::vector<private_tensor<P>> out;
  if (factors.empty()) return {constant_like(p, 0.0)};
  auto prod = mul_broadcast_exact(lead1(p), stack(factors, 0));
  const std::size_t k0 = any_i ? 1 : 0;
  // One truncation for every fractional product.
  std::optional<private_tensor<P>> fr;
  if (factors.size() > k0) fr = truncate(slice(prod, 0, k0, factors.size()));
  std::size_t next = 0;
  if (any_i && any_f)
    out.push_back(index(prod, 0, 0) + index(*fr, next++, 0));
  else if (any_i)
    out.push_back(index(prod, 0, 0));
  else if (any_f)
    out.push_back(index(*fr, next++, 0));
  else
    out.push_back(constant_like(p, 0.0));
  for (std::size_t e = 0; e < extra.size(); ++e) out.push_back(index(*fr, next++, 0));
  return out;
}

/// m = x·g(x) for bucket scales g (powers of two 2^-j). A scale below the resolution 2^-f (octaves
/// j > f, which exist only when int_bits > frac_bits) cannot be encoded: then every scale is taken
/// times 2^f and the product truncated twice (m keeps f significant bits either way).
template <protocol P>
private_tensor<P> normalize(const private_tensor<P>& x, const std::optional<private_tensor<P>>& steps,
                            std::vector<double> g) {
  const auto& cfg = x.sess().fixed_point();
  bool fine = true;
  for (double v : g) fine = fine && (v == 0 || std::fabs(v) >= cfg.resolution());
  if (fine) return x * bucket_constant(x, steps, g);
  for (auto& v : g) v *= cfg.scale();
  return truncate(x * bucket_constant(x, steps, g));
}

/// The lowest octave 2^j whose reciprocal fits: 1/x < 2^I needs x > 2^-I, and x ≥ 2^-f to be nonzero.
inline int reciprocal_low_octave(const fixed_point_config& cfg) {
  return std::max(1 - static_cast<int>(cfg.int_bits), -static_cast<int>(cfg.frac_bits));
}

/// Newton iterations that bring the error e0 below 2^-f, for the error recursion `next`.
template <class Next>
unsigned newton_iterations(double e0, unsigned frac_bits, Next next) {
  unsigned n = 1;
  for (double e = next(e0); e > std::ldexp(1.0, -static_cast<int>(frac_bits)) && n < 8; e = next(e)) ++n;
  return n;
}

/// Octave buckets [2^j, 2^(j+1)) for j = j_lo .. j_hi (the last one open above, the first one open
/// below unless `saturate`, which adds a bucket below 2^j_lo): the step bits, or none when there is a
/// single bucket (no sign test at all).
template <protocol P>
std::optional<private_tensor<P>> octave_steps(const private_tensor<P>& x, int j_lo, int j_hi, bool saturate) {
  std::vector<double> theta;
  for (int j = saturate ? j_lo : j_lo + 1; j <= j_hi; ++j) theta.push_back(std::ldexp(1.0, j));
  if (theta.empty()) return std::nullopt;
  return step_bits(x, theta);
}

/// Values per octave bucket: `below` for the saturation bucket (if any), then g(j) for j = j_lo..j_hi.
template <class G>
std::vector<double> octave_values(int j_lo, int j_hi, bool saturate, double below, G&& g) {
  std::vector<double> v;
  if (saturate) v.push_back(below);
  for (int j = j_lo; j <= j_hi; ++j) v.push_back(g(j));
  return v;
}

/// exp with buckets of 4 binary orders in t = x·log2 e: edges t = −f, the multiples of 4 in between,
/// and (unless `nonpositive`, i.e. x ≤ 0 is known) the saturation edge t = I − ½. In the bucket with
/// lower edge t_j (x_j = t_j·ln2): e^x = 2^t_j · 16^v with v = (x − x_j)·log2(e)/4 ∈ [0, 1].
template <protocol P>
private_tensor<P> exp_impl(const private_tensor<P>& x, bool nonpositive) {
  const auto& cfg = x.sess().fixed_point();
  const double f = cfg.frac_bits, top = cfg.int_bits - 0.5, w = 4;
  std::vector<double> t{-f};
  const double end = nonpositive ? 0.0 : top;
  for (double k = (std::floor(-f / w) + 1) * w; k < end; k += w) t.push_back(k);
  if (!nonpositive) t.push_back(top);
  const std::size_t m = t.size(), regular = nonpositive ? m : m - 1;
  std::vector<double> theta(m), scale(m + 1, 0.0), edge(m + 1, 0.0), sat(m + 1, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    // The edge as the sign test sees it (encoded), so that v ≥ 0 exactly in every bucket.
    theta[j] = decode_value(encode_value<typename P::ring>(t[j] * ln2, cfg), cfg);
  }
  edge[0] = theta[0];
  for (std::size_t j = 1; j <= regular; ++j) {
    scale[j] = std::exp2(t[j - 1]);
    edge[j] = theta[j - 1];
  }
  if (!nonpositive) {
    edge[m] = theta[m - 1];
    sat[m] = std::exp2(top);
  }
  auto steps = step_bits(x, theta);
  auto v = (x - piecewise_constant(steps, edge)) * (log2e / w);
  if (nonpositive) {
    // Every scale is 2^t_j ≤ 2^-4 or an exact 0 (below the domain): ONE truncated product S·p, whose
    // ring product is exactly 0 where S is, whatever p. The scale also shrinks the split polynomial's
    // two extra truncation errors.
    return polynomial_split(v, exp16_poly) * piecewise_constant(steps, scale);
  }
  auto p = polynomial(v, exp16_poly);
  // Below the domain and in the saturation bucket the scale is an exact 0, which cancels whatever
  // the polynomial made of an out-of-range v (the ring product 0·z is 0 in every protocol). Scales
  // 2^t_j ≥ 1 are integers: their products are exact, and never truncated (see scale_by_bucket).
  std::optional<private_tensor<P>> st(steps);
  return scale_by_bucket(p, x, st, scale)[0] + piecewise_constant(steps, sat);
}

/// 1/x by octaves: m = x·2^-j ∈ [1, 2), y0 = 24/17 − 8/17·m, Newton y ← y·(2 − m·y); the last
/// iteration is fused with the output factor F = 2^-j: F·y·(2 − m·y) = y·F + (y·F)·(1 − m·y), from
/// (y·F, y·m) in one broadcast product; y·F is exact for integral F, the correction is small.
template <protocol P>
private_tensor<P> reciprocal_impl(const private_tensor<P>& x, int j_lo, int j_hi, bool saturate) {
  const auto& cfg = x.sess().fixed_point();
  auto steps = octave_steps(x, j_lo, j_hi, saturate);
  auto pw = [](int j) { return std::ldexp(1.0, -j); };
  auto b = bucket_constant(x, steps, octave_values(j_lo, j_hi, saturate, 1.0, [](int) { return 0.0; }));
  auto m = normalize(x, steps, octave_values(j_lo, j_hi, saturate, 0.0, pw)) + b;  // below the domain: 0 + 1
  auto y = recip_a - m * recip_b;
  const unsigned n = newton_iterations(recip_e0, cfg.frac_bits, [](double e) { return e * e; });
  for (unsigned i = 1; i < n; ++i) y = y * (2.0 - m * y);
  auto both = scale_by_bucket(y, x, steps, octave_values(j_lo, j_hi, saturate, pw(j_lo), pw), {m});
  return both[0] + both[0] * (1.0 - both[1]);
}

/// 1/√x (or √x) by octaves: m = x·2^-j ∈ [1, 2), y0 = a − b·m, Newton y ← 1.5·y − 0.5·(m·y)·(y·y)
/// (one broadcast product y·(m, y), then one product); 1/√x = y·2^(-j/2), √x = y·(m·2^(j/2)).
template <protocol P>
private_tensor<P> inv_sqrt_impl(const private_tensor<P>& x, int j_lo, int j_hi, bool saturate, bool want_sqrt) {
  const auto& cfg = x.sess().fixed_point();
  auto steps = octave_steps(x, j_lo, j_hi, saturate);
  auto b = bucket_constant(x, steps, octave_values(j_lo, j_hi, saturate, 1.0, [](int) { return 0.0; }));
  auto m = normalize(x, steps, octave_values(j_lo, j_hi, saturate, 0.0, [](int j) { return std::ldexp(1.0, -j); })) + b;
  auto y = isqrt_a - m * isqrt_b;
  const unsigned n = newton_iterations(isqrt_e0, cfg.frac_bits, [](double e) { return 1.5 * e * e + 0.5 * e * e * e; });
  std::optional<private_tensor<P>> scaled_m;  // m·2^(j/2) for sqrt, batched into the first round
  for (unsigned i = 0; i < n; ++i) {
    private_tensor<P> my, yy;
    if (want_sqrt && i == 0) {
      auto fs =
          bucket_constant(x, steps, octave_values(j_lo, j_hi, saturate, 0.0, [](int j) { return std::exp2(0.5 * j); }));
      auto prod =
          stack(std::vector<private_tensor<P>>{y, y, m}, 0) * stack(std::vector<private_tensor<P>>{m, y, fs}, 0);
      my = index(prod, 0, 0);
      yy = index(prod, 1, 0);
      scaled_m = index(prod, 2, 0);
    } else {
      auto prod = mul_broadcast(lead1(y), stack(std::vector<private_tensor<P>>{m, y}, 0));
      my = index(prod, 0, 0);
      yy = index(prod, 1, 0);
    }
    y = y * 1.5 - (my * yy) * 0.5;
  }
  if (want_sqrt) return y * *scaled_m;
  return scale_by_bucket(y, x, steps, octave_values(j_lo, j_hi, saturate, std::exp2(-0.5 * j_lo), [](int j) {
                           return std::exp2(-0.5 * j);
                         }))[0];
}

inline void check_positive_range(double lo, double hi, const fixed_point_config& cfg, double min_lo, const char* op) {
  TFE_ENFORCE(lo > 0 && lo <= hi && hi < cfg.bound() && lo >= min_lo, encoding_error, op, ": the range [", lo, ", ", hi,
              "] must satisfy ", min_lo, " <= lo <= hi < ", cfg.bound());
}

}  // namespace detail

// ---- exp -----------------------------------------------------------------------------------------

/// e^x. Method: t = x·log2 e; ONE batched sign test of x against the bucket edges t = −f, the
/// multiples of 4 in (−f, I − ½), and I − ½ (ring64: 9 edges −16, −12, ..., 12, 14.5; ring128: 17);
/// in the bucket with lower edge t_j, e^x = 2^t_j·16^v with v = (x − t_j·ln2)·log2(e)/4 ∈ [0, 1] and
/// 16^v a degree-8 polynomial (relative error 2e-7). Cost: one sign test; 8 products in 4 rounds
/// (v^2..v^8 in 3, then 2^t_j·16^v, exact for the integral 2^t_j).
/// Saturation: x < −f·ln2 (−11.09 ring64, −22.18 ring128) gives 0 (the true value is below 2^-f);
/// x ≥ (I − ½)·ln2 (10.05 ring64, 21.14 ring128) gives 2^(I−½) (23170.5, resp. 2^30.5): one bit of
/// headroom. Domain: [−f·ln2, (I − ½)·ln2). Error there:
///   |ŷ − e^x| ≤ ρ·e^x + 2·2^-f,  ρ = 16·2^-f + 2.5e-7 (2.4e-4 ring64, 2.5e-7 ring128);
///   measured ρ: 1.7e-4 (ring64), 2.0e-7 (ring128). So the relative error is ≤ 1% wherever
///   e^x ≥ 200·2^-f: x ≥ −5.8 for ring64 (measured ≤ 0.5% on [−5.8, 10]); all of [−10, 10] for
///   ring128 (measured 4.9e-6). The fixed-point floor of 2^-f dominates below.
template <protocol P>
private_tensor<P> exp(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("exp");
  return detail::exp_impl(x, false);
}

// ---- reciprocal, inv_sqrt, sqrt --------------------------------------------------------------------

/// 1/x for x in [2^j0, 2^I), j0 = max(1 − I, −f) (ring64: [2^-14, 32768), ring128: [2^-30, 2^31)).
/// Method: ONE batched sign test against the powers of two 2^j0 .. 2^(I−1) (29 ring64, 61 ring128),
/// m = x·2^-j ∈ [1, 2) (one product), the linear guess 24/17 − 8/17·m (|1 − m·y0| ≤ 1/17) and n
/// Newton steps y ← y·(2 − m·y) (n = 2 for f = 16, 3 for f = 32), the last fused with the output
/// factor 2^-j. Cost: one sign test; 2n + 3 products in 2n + 1 rounds. Below the domain (including
/// x ≤ 0) the result saturates at 2^-j0 (16384 ring64); the largest x give 1/x (~2^-I), not garbage.
/// Error: |ŷ − 1/x| ≤ 4·2^-f·(1/x) + 2·2^-f over the domain; measured ρ 2.6e-5 = 1.7·2^-f (ring64),
/// 3.7e-10 (ring128).
template <protocol P>
private_tensor<P> reciprocal(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("reciprocal");
  const auto& cfg = x.sess().fixed_point();
  return detail::reciprocal_impl(x, detail::reciprocal_low_octave(cfg), static_cast<int>(cfg.int_bits) - 1, true);
}

/// 1/x when the caller knows x ∈ [lo, hi] (public, 2^j0 ≤ lo ≤ hi < 2^I): the sign test covers
/// only the powers of two in (lo, hi] (none when [lo, hi] lies in one octave: no sign test at all).
/// Same method and error inside [lo, hi]; no saturation: slightly outside, the Newton steps still
/// converge (for x in (0, 3·2^j) of the end octaves), further out the result is meaningless.
template <protocol P>
private_tensor<P> reciprocal(const private_tensor<P>& x, double lo, double hi) {
  auto scope = x.sess().op_scope("reciprocal");
  const auto& cfg = x.sess().fixed_point();
  detail::check_positive_range(lo, hi, cfg, std::ldexp(1.0, detail::reciprocal_low_octave(cfg)), "reciprocal");
  return detail::reciprocal_impl(x, static_cast<int>(std::floor(std::log2(lo))),
                                 static_cast<int>(std::floor(std::log2(hi))), false);
}

/// 1/√x for x in [2^-f, 2^I) (every positive representable value). Method: ONE batched sign test
/// against 2^-f .. 2^(I−1) (31 ring64, 63 ring128), m = x·2^-j ∈ [1, 2), the linear guess
/// 1.26411 − 0.28637·m (relative error ≤ 0.0223), n Newton steps y ← 1.5·y − 0.5·(m·y)·(y·y) (n = 2
/// for f = 16, 3 for f = 32), times 2^(-j/2). Cost: one sign test; 3n + 3 products in 2n + 2 rounds.
/// x ≤ 0 gives 2^(f/2) (the value at 2^-f). Error: |ŷ − 1/√x| ≤ 4·2^-f/√x + 2·2^-f over the domain;
/// measured ρ 4.2e-5 = 2.7·2^-f (ring64), 6.3e-10 (ring128).
template <protocol P>
private_tensor<P> inv_sqrt(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("inv_sqrt");
  const auto& cfg = x.sess().fixed_point();
  return detail::inv_sqrt_impl(x, -static_cast<int>(cfg.frac_bits), static_cast<int>(cfg.int_bits) - 1, true, false);
}

/// 1/√x when the caller knows x ∈ [lo, hi] (public, 2^-f ≤ lo ≤ hi < 2^I): sign test only against
/// the powers of two in (lo, hi]. Same method and error inside [lo, hi]; no saturation outside.
template <protocol P>
private_tensor<P> inv_sqrt(const private_tensor<P>& x, double lo, double hi) {
  auto scope = x.sess().op_scope("inv_sqrt");
  const auto& cfg = x.sess().fixed_point();
  detail::check_positive_range(lo, hi, cfg, cfg.resolution(), "inv_sqrt");
  return detail::inv_sqrt_impl(x, static_cast<int>(std::floor(std::log2(lo))),
                               static_cast<int>(std::floor(std::log2(hi))), false, false);
}

/// √x for x in [0, 2^I): as inv_sqrt, with the result y·(m·2^(j/2)) (m·2^(j/2) batched into the
/// first Newton round). Cost: one sign test; 3n + 3 products in 2n + 2 rounds. x ≤ 0 gives 0.
/// Error: |ŷ − √x| ≤ 4·2^-f·√x + 3·2^-f; measured ρ 4.6e-5 = 3.0·2^-f (ring64), 6.3e-10 (ring128).
template <protocol P>
private_tensor<P> sqrt(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("sqrt");
  const auto& cfg = x.sess().fixed_point();
  return detail::inv_sqrt_impl(x, -static_cast<int>(cfg.frac_bits), static_cast<int>(cfg.int_bits) - 1, true, true);
}

// ---- log ---------------------------------------------------------------------------------------------

/// Natural logarithm for x in [2^-f, 2^I). Method: ONE batched sign test against the half-octave
/// edges 2^(j−½), j = −f .. I (32 ring64, 64 ring128); in bucket j, m = x·2^-j ∈ [2^-½, 2^½) (one
/// product), log x = j·ln2 + v·q(v) with v = m − 1 and q of degree 7 (absolute error 3.4e-8).
/// Cost: one sign test; 8 products in 4 rounds. x ≤ 0 gives −(f+1)·ln2 (the log of half a step:
/// −11.78 ring64), below every in-domain value. Error: |ŷ − log x| ≤ 4·2^-f + 4e-8 over the domain
/// (absolute: 6.1e-5 ring64, 4.1e-8 ring128); measured 4.4e-5 = 2.9·2^-f (ring64),
/// 3.4e-8 (ring128).
template <protocol P>
private_tensor<P> log(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("log");
  const auto& cfg = x.sess().fixed_point();
  const int f = static_cast<int>(cfg.frac_bits), i = static_cast<int>(cfg.int_bits);
  std::vector<double> theta, g{0.0}, b{1.0}, c{-(f + 1) * detail::ln2};
  for (int j = -f; j <= i; ++j) {
    // x ≥ 2^(j−½) for x on the grid of steps 2^-f: the edge rounded UP to the grid (the lowest
    // edges are within a step of each other).
    theta.push_back(std::ceil(std::exp2(j - 0.5 + f)) * cfg.resolution());
    g.push_back(std::ldexp(1.0, -j));
    b.push_back(0.0);
    c.push_back(j * detail::ln2);
  }
  std::optional<private_tensor<P>> steps = detail::step_bits(x, theta);
  auto m = detail::normalize(x, steps, g) + detail::piecewise_constant(*steps, b);
  return detail::piecewise_constant(*steps, c) + detail::polynomial(m - 1.0, detail::log1p_poly);
}

// ---- softmax -----------------------------------------------------------------------------------------

/// softmax along `axis`: e^(x − max) / Σ e^(x − max). Method: the exact max (tfe::max, a tournament
/// of ⌈log2 n⌉ levels of one sign test and one product), exp restricted to x − max ≤ 0 (bucket edges
/// −f .. −4: 4 sign-test thresholds ring64, 8 ring128, no saturation edge), a local sum in [1, n],
/// the reciprocal knowing its range [1, n] (⌊log2 n⌋ thresholds; none for n ≤ 2) and one broadcast
/// product. Requires max − min < 2^I along the axis (differences stay in the fixed-point range).
/// Cost for n classes: ⌈log2 n⌉ + 1 sign tests in sequence (+1 for the reciprocal when n > 2); per
/// logit about 1 + 4 (ring64) or 1 + 8 (ring128) sign-test thresholds, 7 products and 3 truncations
/// of local values (exp's degree-8 polynomial split as `polynomial_split`, and its scale in one
/// truncated product), plus 2n' + 3 products per row (n' Newton steps). n = 1 gives exactly 1 with
/// no communication.
/// Error: |ŷ − y| ≤ 8·2^-f + 3e-7 per probability (1.2e-4 ring64, 3.0e-7 ring128); measured
/// 8.9e-5 = 5.9·2^-f (ring64), 9.7e-8 (ring128) on rows of 10 and 100 logits.
template <protocol P>
private_tensor<P> softmax(const private_tensor<P>& x, long axis = -1) {
  auto scope = x.sess().op_scope("softmax");
  const std::size_t a = detail::normalize_axis(axis, x.ndim(), "softmax");
  const std::size_t n = x.shape()[a];
  TFE_ENFORCE(n > 0, shape_error, "softmax over an empty axis of shape ", shape_str(x.shape()));
  if (n == 1) return detail::constant_like(x, 1.0);
  std::vector<long> kept(x.shape().begin(), x.shape().end());
  kept[a] = 1;
  auto top = reshape(max(x, static_cast<long>(a)), kept);
  auto e = detail::exp_impl(x - top, true);
  auto total = sum(e, {static_cast<long>(a)}, true);
  auto r = detail::reciprocal_impl(total, 0, static_cast<int>(std::floor(std::log2(static_cast<double>(n)))), false);
  return detail::mul_broadcast(e, r);
}

/// softmax along `axis` over the entries where the PUBLIC `keep` mask (broadcastable to x) is true:
/// masked entries get probability exactly 0 (attention masks: padding, causal). Method: each masked
/// entry is replaced by a kept entry of its row (a public gather on the shares, local) so it cannot be
/// the max, and after the exp the masked entries are multiplied by 0 (local, exact). Same cost and
/// error bound as `softmax`. Every row needs at least one kept entry (checked, the mask is public).
template <protocol P>
private_tensor<P> softmax(const private_tensor<P>& x, const xt::xarray<bool>& keep, long axis = -1) {
  using R = typename P::ring;
  auto scope = x.sess().op_scope("softmax");
  const std::size_t a = detail::normalize_axis(axis, x.ndim(), "softmax");
  const shape_t s = x.shape();
  const std::size_t n = s[a], total = shape_size(s);
  TFE_ENFORCE(n > 0, shape_error, "softmax over an empty axis of shape ", shape_str(s));
  shape_t ms(keep.shape().begin(), keep.shape().end());
  TFE_ENFORCE(detail::broadcast_shapes(ms, s, "softmax mask") == s, shape_error, "softmax: mask of shape ",
              shape_str(ms), " does not broadcast to the input's ", shape_str(s));
  xt::xarray<bool> k = xt::broadcast(keep, s);
  // Row layout: index = (o·n + j)·inner + i along the axis j.
  std::size_t inner = 1;
  for (std::size_t d = a + 1; d < s.size(); ++d) inner *= s[d];
  std::vector<std::size_t> source(total);
  ring_tensor<R> keep_ring = ring_tensor<R>::from_shape(s);
  for (std::size_t o = 0; o < total / (n * inner); ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      std::size_t first = n;
      for (std::size_t j = 0; j < n && first == n; ++j)
        if (k.data()[(o * n + j) * inner + i]) first = j;
      TFE_ENFORCE(first < n, shape_error, "softmax: row ", o * inner + i, " of shape ", shape_str(s),
                  " is entirely masked (every row needs a kept entry)");
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t e = (o * n + j) * inner + i;
        source[e] = k.data()[e] ? e : (o * n + first) * inner + i;
        keep_ring.data()[e] = k.data()[e] ? ring_traits<R>::one() : ring_traits<R>::zero();
      }
    }
  auto gathered = detail::map_parts(x, s, [&](const ring_tensor<R>& p) {
    ring_tensor<R> out = ring_tensor<R>::from_shape(s);
    for (std::size_t e = 0; e < total; ++e) out.data()[e] = p.data()[source[e]];
    return out;
  });
  std::vector<long> kept(s.begin(), s.end());
  kept[a] = 1;
  auto top = reshape(max(gathered, static_cast<long>(a)), kept);
  auto e = detail::map_parts(detail::exp_impl(gathered - top, true), s,
                             [&](const ring_tensor<R>& p) { return ring_tensor<R>(p * keep_ring); });
  auto sum_e = sum(e, {static_cast<long>(a)}, true);
  auto r = detail::reciprocal_impl(sum_e, 0, static_cast<int>(std::floor(std::log2(static_cast<double>(n)))), false);
  return detail::mul_broadcast(e, r);
}

}  // namespace tfe
