// tfe/stats/dp.hpp: differentially private outputs with noise sampled INSIDE the computation: the
// discrete Laplace (two-sided geometric) mechanism, integer arithmetic only, no player knowing the
// noise. Proofs and the parameter choice: docs/privacy.md.
//
// The statistic y is a fixed-point value: a multiple of 2^-f. Its sensitivity Δ (from PUBLIC
// clipping bounds, stats::clip_columns) is D = ⌈Δ·2^f⌉ ulps. The output is y + N·2^-f with N an
// integer of P(N = z) ∝ q^|z|, q = e^(−ε/D): ε-DP for shifts of at most D ulps (Ghosh, Roughgarden,
// Sundararajan 2009). N = G1 − G2 for two geometrics P(G = k) ∝ q^k, each truncated to [0, 2^J).
//
// Sampling (integer only, never a floating-point logarithm: Mironov, CCS 2012). The binary digits of
// a geometric truncated to [0, 2^J) are INDEPENDENT Bernoulli bits, P(b_j = 1) = p_j =
// q^(2^j)/(1 + q^(2^j)) (the pmf q^k = Π_j (q^(2^j))^(b_j) factorizes over the digits). Each bit is
// b_j = [U_j < t_j] with t_j = round(p_j·2^L) (L = 60) and U_j uniform on [0, 2^L). U_j is JOINT:
// every server s draws u_s uniform on [0, 2^L) from its private AES-CTR stream and secret-shares it;
// U = (Σ_s u_s) mod 2^L is uniform and independent of the view of every coalition that misses one
// server, so no single player knows U, the bits or N. The reduction mod 2^L is folded into the
// comparisons: with S = Σ_s u_s ∈ [0, m·2^L) (m servers),
//   [U < t] = Σ_{i=0}^{m−1} [S < i·2^L + t] − Σ_{i=1}^{m−1} [S < i·2^L],
// so every bit of every sample comes from ONE batched sign test (full ring width) of 2m − 1
// thresholds; N = Σ_j 2^j·(b_j − b'_j) is local. Cost per sample: 2J·(2m − 1) comparisons in one sign
// test, one input sharing of 2J ring elements per server; rounds: m input rounds + the sign test.
// Guarantee: the realized mechanism is within total variation τ = 2·q^(2^J) (truncation) +
// 2J·2^-(L+1) (rounding of the t_j) of the exact discrete Laplace, hence (ε, (1 + e^ε)·τ)-DP;
// J is the least with (1 + e^ε)·τ ≤ δ (plan_discrete_laplace, which reports ε and δ realized).
#pragma once

#include "tfe/ops/approx.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/stats/table.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace tfe::stats {

/// The public parameters of the discrete Laplace sampler (plan_discrete_laplace).
struct laplace_plan {
  double epsilon = 0, delta = 0, sensitivity = 0;                       // as asked
  std::uint64_t ulps = 0;                                               // D = ⌈Δ·2^f⌉
  double q = 0;                                                         // e^(−ε/D)
  unsigned J = 0, L = 60;                                               // bits per geometric, bits of the uniforms
  std::vector<std::uint64_t> thresholds;                                // t_j = round(p_j·2^L), j < J
  double delta_realized = 0;                                            // (1 + e^ε)·τ ≤ delta
  double scale() const { return static_cast<double>(ulps) / epsilon; }  // b of Laplace(b), in ulps
};

/// Plans the sampler for (ε, δ) and a sensitivity Δ (real units, Δ ≥ 2^-f after rounding up). Throws
/// config_error when ε ≤ 0, δ ∉ (0, 1), Δ ≤ 0, the noise would not fit 2^62 ulps, or ε is so large
/// that the rounding of the thresholds times 1 + e^ε exceeds δ (ε ≳ 17 per release for δ = 10^-9:
/// split a large budget over several releases, or use a larger δ).
namespace detail {
/// Checks (ε, δ, Δ) for a DP plan (config_error naming the bad one) and returns D = ⌈Δ·2^f⌉ ulps.
inline std::uint64_t dp_sensitivity_ulps(double epsilon, double delta, double sensitivity,
                                         const fixed_point_config& cfg) {
  TFE_ENFORCE(std::isfinite(epsilon) && epsilon > 0, config_error, "dp: epsilon must be positive, got ", epsilon);
  TFE_ENFORCE(delta > 0 && delta < 1, config_error, "dp: delta must be in (0, 1), got ", delta);
  TFE_ENFORCE(std::isfinite(sensitivity) && sensitivity > 0, config_error, "dp: sensitivity must be positive, got ",
              sensitivity);
  const double d = std::ceil(sensitivity * cfg.scale());
  TFE_ENFORCE(d < std::ldexp(1.0, 40), config_error, "dp: sensitivity ", sensitivity, " is too large");
  return static_cast<std::uint64_t>(d);
}
}  // namespace detail

inline laplace_plan plan_discrete_laplace(double epsilon, double delta, double sensitivity,
                                          const fixed_point_config& cfg) {
  laplace_plan p;
  p.ulps = detail::dp_sensitivity_ulps(epsilon, delta, sensitivity, cfg);
  p.epsilon = epsilon;
  p.delta = delta;
  p.sensitivity = sensitivity;
  const double d = static_cast<double>(p.ulps);
  const double lambda = epsilon / d;
  p.q = std::exp(-lambda);
  const double amp = 1 + std::exp(epsilon);
  for (p.J = 1;; ++p.J) {
    // (1 + e^ε)·2J·2^-(L+1) ≤ δ bounds ε from above: about ε ≤ ln(δ·2^60/(2J)) (17 for δ = 10^-9).
    TFE_ENFORCE(p.J <= 62 && amp * 2.0 * p.J * std::ldexp(1.0, -static_cast<int>(p.L) - 1) <= delta, config_error,
                "dp: epsilon ", epsilon, " with delta ", delta, " and sensitivity ", sensitivity,
                " is outside what the sampler's accounting covers (the rounding of its thresholds, amplified by",
                " 1 + e^epsilon, must stay below delta: epsilon at most about ln(delta * 2^60 / (2 J)) per release)");
    // q^(2^J) = e^(−λ·2^J), in the log domain (it underflows long before J matters).
    const double log_tail = std::log(2.0) - lambda * std::ldexp(1.0, static_cast<int>(p.J));
    const double tau = std::exp(log_tail) + 2.0 * p.J * std::ldexp(1.0, -static_cast<int>(p.L) - 1);
    if (amp * tau <= delta) {
      p.delta_realized = amp * tau;
      break;
    }
  }
  for (unsigned j = 0; j < p.J; ++j) {
    const double pj = 1.0 / (1.0 + std::exp(lambda * std::ldexp(1.0, static_cast<int>(j))));  // ≤ 1/2
    p.thresholds.push_back(static_cast<std::uint64_t>(std::nearbyint(std::ldexp(pj, static_cast<int>(p.L)))));
  }
  return p;
}

/// The players that contribute randomness: every player whose name starts with "server".
template <protocol P>
std::vector<std::size_t> noise_contributors(const session<P>& s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < s.num_players(); ++i)
    if (s.name_of(i).rfind("server", 0) == 0) out.push_back(i);
  TFE_ENFORCE(!out.empty(), protocol_error, "dp: no player named server* to contribute noise");
  return out;
}

/// Shares of discrete Laplace noise N·2^-f (N in ulps, see the header) of the given shape; no
/// player learns N. Cost: see the header.
template <protocol P>
private_tensor<P> discrete_laplace_noise(session<P>& s, const shape_t& shape, const laplace_plan& plan) {
  using R = typename P::ring;
  using T = ring_traits<R>;
  static_assert(ring_traits<R>::bits >= 64, "dp: the sampler needs a ring of at least 64 bits");
  TFE_ENFORCE(plan.J >= 1 && plan.thresholds.size() == plan.J, config_error, "dp: an unplanned laplace_plan");
  auto scope = s.op_scope("dp_noise");
  const std::size_t count = shape_size(shape), w = 2 * plan.J;
  const auto servers = noise_contributors(s);
  const std::size_t m = servers.size();
  // S = Σ_s u_s, each u_s uniform on [0, 2^L) drawn from server s's private stream.
  private_tensor<P> S;
  for (std::size_t srv : servers) {
    std::optional<ring_tensor<R>> u;
    if (s.id() == srv) {
      std::vector<std::uint64_t> raw(count * w);
      s.private_prg().fill_bytes(raw.data(), raw.size() * sizeof(std::uint64_t));
      ring_tensor<R> v = ring_tensor<R>::from_shape({count, w});
      const std::uint64_t mask = (std::uint64_t(1) << plan.L) - 1;
      for (std::size_t i = 0; i < raw.size(); ++i) v.data()[i] = T::from_uint(raw[i] & mask);
      wipe_on_exit wipe;
      wipe.add(raw.data(), raw.size() * sizeof(std::uint64_t));
      u.emplace(std::move(v));
    }
    auto shared = s.share_encoded(srv, u);
    S = S.empty() ? shared : S + shared;
  }
  // −θ for the 2m − 1 thresholds of every bit column: rows i < m: i·2^L + t_j; rows m..2m−2: (i−m+1)·2^L.
  const std::size_t rows = 2 * m - 1;
  ring_tensor<R> neg = ring_tensor<R>::from_shape({rows, 1, w});
  for (std::size_t c = 0; c < w; ++c) {
    const R t = T::from_uint(plan.thresholds[c % plan.J]);
    for (std::size_t i = 0; i < m; ++i) neg(i, 0, c) = T::neg(R(T::shl(T::from_uint(i), plan.L) + t));
    for (std::size_t i = 1; i < m; ++i) neg(m + i - 1, 0, c) = T::neg(T::shl(T::from_uint(i), plan.L));
  }
  auto below = tfe::detail::sign_bit(tfe::detail::add_public(S, neg, "sub"), sign_width::full);  // (rows, count, w)
  // N = Σ_j 2^j (b_j − b_{J+j}), b = Σ_{i<m} row_i − Σ_{i≥m} row_i: local, one pass per part.
  return tfe::detail::map_parts(below, shape, [&](const ring_tensor<R>& p) {
    ring_tensor<R> out = xt::zeros<R>({count});
    const R* src = p.data();
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t e = 0; e < count; ++e)
        for (std::size_t c = 0; c < w; ++c) {
          const R weight = T::shl(T::one(), static_cast<unsigned>(c % plan.J));
          const bool minus = (r >= m) != (c >= plan.J);
          const R v = R(src[(r * count + e) * w + c] * weight);
          out(e) = minus ? R(out(e) - v) : R(out(e) + v);
        }
    out.reshape(shape);
    return out;
  });
}

/// x + discrete Laplace noise: (ε, δ_realized)-DP release of x when x's sensitivity is at most
/// plan.sensitivity (including its fixed-point error bound), per element; reveal it afterwards.
template <protocol P>
private_tensor<P> add_discrete_laplace(const private_tensor<P>& x, const laplace_plan& plan) {
  return x + discrete_laplace_noise(x.sess(), x.shape(), plan);
}

/// Clips every column to its public bounds [lo_c, hi_c] (exact, tfe::clip per column): what makes
/// the sensitivity of a statistic a public number. Cost: one batched sign test of 2·n·k
/// comparisons, one product round.
template <protocol P>
private_tensor<P> clip_columns(const private_tensor<P>& x, const std::vector<double>& lo,
                               const std::vector<double>& hi) {
  using R = typename P::ring;
  TFE_ENFORCE(x.ndim() == 2 && lo.size() == x.shape()[1] && hi.size() == x.shape()[1], shape_error,
              "clip_columns: ", lo.size(), " and ", hi.size(), " bounds for a table of shape ", shape_str(x.shape()));
  const std::size_t k = x.shape()[1];
  auto& s = x.sess();
  ring_tensor<R> neg = ring_tensor<R>::from_shape({2, 1, k});
  for (std::size_t c = 0; c < k; ++c) {
    TFE_ENFORCE(lo[c] <= hi[c], shape_error, "clip_columns: column #", c, " has lo ", lo[c], " > hi ", hi[c]);
    neg(0, 0, c) = encode_value<R>(-lo[c], s.fixed_point());
    neg(1, 0, c) = encode_value<R>(-hi[c], s.fixed_point());
  }
  auto diff = tfe::detail::add_public(x, neg, "sub");                             // (2, n, k): x − lo, x − hi
  auto below = tfe::detail::sign_bit(diff, sign_width::fixed_point_range, true);  // [x < lo], [x < hi]
  // clip = lo + [x ≥ lo]·(x − lo) − [x ≥ hi]·(x − hi) = x − [x<lo]·(x − lo) − (1 − [x<hi])·(x − hi)
  auto prod = tfe::detail::mul_exact(below, diff);  // (2, n, k)
  auto lo_part = index(prod, 0, 0), hi_part = index(prod, 1, 0);
  return x - lo_part - (index(diff, 1, 0) - hi_part);
}

}  // namespace tfe::stats
