// tfe/stats/dp_gaussian.hpp: the discrete Gaussian mechanism with noise sampled INSIDE the computation,
// integer arithmetic only, no player knowing the noise (the discrete Laplace one: dp.hpp). Proofs and
// the parameter choice: docs/privacy.md, "The discrete Gaussian".
//
// The statistic y is a fixed-point value (an integer number of ulps 2^-f) with sensitivity Δ (from
// PUBLIC clipping bounds), D = ⌈Δ·2^f⌉ ulps. The noise, in ulps, is N = g·Z + V:
//  * g = 2^s, the largest power of two ≤ D/8 (g = 1 when D < 16): the lattice of the Gaussian part;
//  * Z ~ N_Z(0, σ²), the discrete Gaussian P(Z = z) ∝ e^(−z²/2σ²) (Canonne, Kamath, Steinke 2020),
//    truncated to [−T, T];
//  * V uniform on [0, g), independent of Z (V = 0 when g = 1).
// Why this is the discrete Gaussian mechanism at lattice sensitivity Δ_g = ⌈D/g⌉: o = y + g·Z + V
// decomposes uniquely as Z = ⌊(o − y)/g⌋, V = (o − y) mod g, so P(o | y) = p(⌊(o − y)/g⌋)/g. For a
// neighbour y' = y + d (|d| ≤ D), ⌊(o − y)/g⌋ − ⌊(o − y')/g⌋ is ⌊d/g⌋ or ⌈d/g⌉ (|·| ≤ Δ_g), so the
// hockey-stick divergence E_ε(M(y) ‖ M(y')) is an average of H(k) = Σ_z max(0, p(z) − e^ε·p(z − k))
// over such k, at most δ_DG = max_{1≤k≤Δ_g} H(k). The plan computes δ_DG numerically (the exact sum)
// and takes the least σ (bisection) with δ_DG ≤ δ/2. With D/g ∈ [8, 16) the spread g·σ is the ideal
// mechanism's at sensitivity D when D/g is an integer and at most 1/8 more otherwise, while Z needs
// only 2T ≈ 13σ thresholds (576 for ε = 1, δ = 10^-9), not D/8 times as many.
//
// Sampling (as dp.hpp): Z = T − Σ_{k=1}^{2T} [U < t_k], t_k = round(F(−T + k − 1)·2^L) with F the CDF
// of the truncated distribution and U uniform on [0, 2^L) (L = 60); V = S_v mod g. Both uniforms are
// JOINT: every server s draws u_s (and v_s uniform on [0, g)) from its private AES-CTR stream and
// secret-shares it; U = (Σ_s u_s) mod 2^L is uniform and independent of the view of every coalition
// that misses one server. The reductions fold into the comparisons: with S = Σ_s u_s ∈ [0, m·2^L),
//   [U < t] = Σ_{i<m} [S < i·2^L + t] − Σ_{i=1}^{m−1} [S < i·2^L],
//   V = S_v − g·Σ_{i=1}^{m−1} [S_v ≥ i·g].
// Cost per sample: 2T·m + 2(m − 1) comparisons (full ring width) in one batched sign test (one per
// chunk of 2^22 comparisons), one input sharing of 2 ring elements per server; N is local.
// Guarantee: the realized Z is within total variation τ = P(|Z| > T) + (2T + 1)·2^-(L+1) (truncation,
// rounding of the t_k) of the exact discrete Gaussian, hence the mechanism is (ε, δ_DG + (1 + e^ε)·τ)-DP;
// T is the least with (1 + e^ε)·τ ≤ δ − δ_DG (plan_discrete_gaussian, which reports δ realized).
#pragma once

#include "tfe/stats/dp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tfe::stats {

/// The public parameters of the discrete Gaussian sampler (plan_discrete_gaussian).
struct gaussian_plan {
  double epsilon = 0, delta = 0, sensitivity = 0;  // as asked
  std::uint64_t ulps = 0;                          // D = ⌈Δ·2^f⌉
  unsigned shift = 0;                              // s: the lattice g = 2^s ulps
  std::uint64_t lattice_sensitivity = 0;           // Δ_g = ⌈D/g⌉
  double sigma = 0;                                // σ of Z, in lattice steps
  std::uint64_t T = 0;                             // Z ∈ [−T, T]
  unsigned L = 60;                                 // bits of the uniforms
  std::vector<std::uint64_t> thresholds;           // t_k = round(F(−T + k − 1)·2^L), k = 1..2T
  double delta_gaussian = 0;                       // δ_DG: the exact mechanism's δ at ε
  double delta_realized = 0;                       // δ_DG + (1 + e^ε)·τ ≤ delta
  std::uint64_t lattice() const { return std::uint64_t(1) << shift; }
  /// The noise's standard deviation in ulps (the Gaussian part; V adds g/√12).
  double stddev_ulps() const { return sigma * static_cast<double>(lattice()); }
};

namespace detail {

/// The discrete Gaussian N_Z(0, σ²) on [−R, R] with R = ⌈40σ⌉ + k_max + 1 (the mass beyond is below
/// e^-800): index z + R holds P(Z = z), normalized over that range.
inline std::vector<double> discrete_gaussian_pmf(double sigma, std::uint64_t k_max, std::int64_t& radius) {
  radius = static_cast<std::int64_t>(std::ceil(40 * sigma)) + static_cast<std::int64_t>(k_max) + 1;
  std::vector<double> p(static_cast<std::size_t>(2 * radius + 1));
  double norm = 0;
  for (std::int64_t z = -radius; z <= radius; ++z) {
    const double v = std::exp(-static_cast<double>(z) * static_cast<double>(z) / (2 * sigma * sigma));
    p[static_cast<std::size_t>(z + radius)] = v;
    norm += v;
  }
  for (double& v : p) v /= norm;
  return p;
}

/// δ_DG(σ) = max_{1≤k≤Δ} Σ_z max(0, p(z) − e^ε·p(z − k)): the exact δ of the discrete Gaussian
/// mechanism at sensitivity Δ (see the header).
inline double discrete_gaussian_delta(double sigma, std::uint64_t sensitivity, double epsilon) {
  std::int64_t radius = 0;
  const auto p = discrete_gaussian_pmf(sigma, sensitivity, radius);
  const double amp = std::exp(epsilon);
  double worst = 0;
  for (std::uint64_t k = 1; k <= sensitivity; ++k) {
    double h = 0;
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(p.size()); ++i) {
      const std::int64_t j = i - static_cast<std::int64_t>(k);
      const double shifted = j >= 0 ? p[static_cast<std::size_t>(j)] : 0.0;
      h += std::max(0.0, p[static_cast<std::size_t>(i)] - amp * shifted);
    }
    worst = std::max(worst, h);
  }
  return worst;
}

}  // namespace detail

/// Plans the sampler for (ε, δ) and a sensitivity Δ (real units). Throws config_error when ε ≤ 0,
/// δ ∉ (0, 1), Δ ≤ 0 or too large, or when (ε, δ) needs σ above 4096 lattice steps or more than 2^16
/// thresholds per sample (ε below about 0.01) or more precision than the 2^-60 thresholds give
/// (ε ≳ 35 for δ = 10^-9).
inline gaussian_plan plan_discrete_gaussian(double epsilon, double delta, double sensitivity,
                                            const fixed_point_config& cfg) {
  gaussian_plan p;
  p.ulps = detail::dp_sensitivity_ulps(epsilon, delta, sensitivity, cfg);
  p.epsilon = epsilon;
  p.delta = delta;
  p.sensitivity = sensitivity;
  while (p.ulps >= (std::uint64_t(16) << p.shift)) ++p.shift;  // 2^s ≤ D/8 < 2^(s+1), or s = 0
  p.lattice_sensitivity = (p.ulps + p.lattice() - 1) >> p.shift;
  const std::uint64_t dg = p.lattice_sensitivity;
  // The least σ with δ_DG(σ) ≤ δ/2 (δ_DG decreases with σ), to a relative 10^-4.
  double lo = 0.05, hi = 1.0;
  while (detail::discrete_gaussian_delta(hi, dg, epsilon) > delta / 2) {
    lo = hi;
    hi *= 2;
    TFE_ENFORCE(
        hi <= 4096, config_error, "dp: epsilon ", epsilon, " and delta ", delta, " need a discrete Gaussian",
        " of sigma above 4096 lattice steps, more than 65536 thresholds per sample: use a larger epsilon or delta");
  }
  while (hi - lo > 1e-4 * hi) {
    const double mid = (lo + hi) / 2;
    (detail::discrete_gaussian_delta(mid, dg, epsilon) > delta / 2 ? lo : hi) = mid;
  }
  p.sigma = hi;
  p.delta_gaussian = detail::discrete_gaussian_delta(p.sigma, dg, epsilon);
  // The least T with (1 + e^ε)·τ ≤ δ − δ_DG.
  std::int64_t radius = 0;
  const auto pmf = detail::discrete_gaussian_pmf(p.sigma, 0, radius);
  const double amp = 1 + std::exp(epsilon), budget = delta - p.delta_gaussian;
  // above[z] = P(Z ≥ z) for z ≥ 0, summed from the outside in (no cancellation for tiny tails).
  std::vector<double> above(static_cast<std::size_t>(radius + 2), 0.0);
  for (std::int64_t z = radius; z >= 0; --z)
    above[static_cast<std::size_t>(z)] =
        above[static_cast<std::size_t>(z + 1)] + pmf[static_cast<std::size_t>(radius + z)];
  double inside = 0;  // P(|Z| ≤ T) of the untruncated Z
  for (std::uint64_t T = 1;; ++T) {
    TFE_ENFORCE(T <= 32768 && static_cast<std::int64_t>(T) < radius, config_error, "dp: epsilon ", epsilon,
                " and delta ", delta, " need more than 65536 thresholds per sample: use a larger epsilon or delta");
    const double tail = 2 * above[static_cast<std::size_t>(T + 1)];  // P(|Z| > T)
    inside = 1 - tail;
    const double rounding = static_cast<double>(2 * T + 1) * std::ldexp(1.0, -static_cast<int>(p.L) - 1);
    TFE_ENFORCE(amp * rounding <= budget, config_error, "dp: epsilon ", epsilon, " with delta ", delta,
                " is outside what the sampler's accounting covers (the rounding of its 2^-60 thresholds, amplified",
                " by 1 + e^epsilon, must stay below delta)");
    const double tau = tail + rounding;
    if (amp * tau <= budget) {
      p.T = T;
      p.delta_realized = p.delta_gaussian + amp * tau;
      break;
    }
  }
  // t_k = round(F(−T + k − 1)·2^L): F the CDF of Z truncated to [−T, T].
  double cdf = 0;
  for (std::uint64_t k = 1; k <= 2 * p.T; ++k) {
    const std::int64_t z = -static_cast<std::int64_t>(p.T) + static_cast<std::int64_t>(k) - 1;
    cdf += pmf[static_cast<std::size_t>(radius + z)] / inside;
    p.thresholds.push_back(static_cast<std::uint64_t>(std::nearbyint(std::ldexp(std::min(cdf, 1.0), p.L))));
  }
  return p;
}

/// Shares of discrete Gaussian noise N·2^-f (N = g·Z + V in ulps, see the header) of the given shape;
/// no player learns N. Cost: see the header.
template <protocol P>
private_tensor<P> discrete_gaussian_noise(session<P>& s, const shape_t& shape, const gaussian_plan& plan) {
  using R = typename P::ring;
  using T = ring_traits<R>;
  static_assert(ring_traits<R>::bits >= 64, "dp: the sampler needs a ring of at least 64 bits");
  TFE_ENFORCE(plan.T >= 1 && plan.thresholds.size() == 2 * plan.T, config_error, "dp: an unplanned gaussian_plan");
  auto scope = s.op_scope("dp_noise");
  const std::size_t count = shape_size(shape);
  const auto servers = noise_contributors(s);
  const std::size_t m = servers.size();
  const std::uint64_t g = plan.lattice();
  // S_u = Σ_s u_s (u_s uniform on [0, 2^L)), S_v = Σ_s v_s (v_s uniform on [0, g)), column 0 and 1.
  private_tensor<P> S;
  for (std::size_t srv : servers) {
    std::optional<ring_tensor<R>> u;
    if (s.id() == srv) {
      std::vector<std::uint64_t> raw(2 * count);
      s.private_prg().fill_bytes(raw.data(), raw.size() * sizeof(std::uint64_t));
      ring_tensor<R> v = ring_tensor<R>::from_shape({count, 2});
      const std::uint64_t mask_u = (std::uint64_t(1) << plan.L) - 1;
      for (std::size_t i = 0; i < count; ++i) {
        v(i, 0) = T::from_uint(raw[2 * i] & mask_u);
        v(i, 1) = T::from_uint(raw[2 * i + 1] & (g - 1));  // g is a power of two
      }
      wipe_on_exit wipe;
      wipe.add(raw.data(), raw.size() * sizeof(std::uint64_t));
      u.emplace(std::move(v));
    }
    auto shared = s.share_encoded(srv, u);
    S = S.empty() ? shared : S + shared;
  }
  // Columns of −θ: 2T·m for the thresholds of U (i·2^L + t_k), m − 1 for its wrap (i·2^L), m − 1 for
  // V's wrap (i·g); the first 2T·m + m − 1 compare S_u, the rest S_v.
  const std::size_t cu = 2 * plan.T * m, wrap = m - 1, width = cu + 2 * wrap;
  ring_tensor<R> neg_u = ring_tensor<R>::from_shape({1, cu + wrap}), neg_v = ring_tensor<R>::from_shape({1, wrap});
  for (std::size_t k = 0; k < 2 * plan.T; ++k)
    for (std::size_t i = 0; i < m; ++i)
      neg_u(0, k * m + i) = T::neg(R(T::shl(T::from_uint(i), plan.L) + T::from_uint(plan.thresholds[k])));
  for (std::size_t i = 1; i < m; ++i) {
    neg_u(0, cu + i - 1) = T::neg(T::shl(T::from_uint(i), plan.L));
    neg_v(0, i - 1) = T::neg(T::from_uint(i * g));
  }
  // Samples in chunks of at most 2^22 comparisons (memory of the sign test).
  const std::size_t chunk = std::max<std::size_t>(1, (std::size_t(1) << 22) / width);
  std::vector<private_tensor<P>> pieces;
  for (std::size_t c0 = 0; c0 < count; c0 += chunk) {
    const std::size_t n = std::min(chunk, count - c0);
    auto rows = slice(S, 0, c0, c0 + n);
    auto su = slice(rows, 1, 0, 1);  // (n, 1)
    auto sv = slice(rows, 1, 1, 2);
    // (n, width): S − θ, each column block broadcast by the subtraction itself.
    auto diff = tfe::detail::add_public(su, neg_u, "sub");
    if (wrap > 0) diff = concat({diff, tfe::detail::add_public(sv, neg_v, "sub")}, 1);
    auto below = tfe::detail::sign_bit(diff, sign_width::full);  // [S < θ]
    auto hits = sum(slice(below, 1, 0, cu), {1});                // Σ_{k,i} [S_u < i·2^L + t_k]
    // Z = T − hits + 2T·Σ_i [S_u < i·2^L]; N = g·Z + S_v − g·(m − 1) + g·Σ_i [S_v < i·g].
    auto z = tfe::detail::add_int(mul_int(hits, -1), static_cast<std::int64_t>(plan.T));
    auto noise = mul_int(z, static_cast<std::int64_t>(g)) + reshape(sv, {static_cast<long>(n)});
    if (wrap > 0) {
      auto u_wraps = sum(slice(below, 1, cu, cu + wrap), {1});
      auto v_wraps = sum(slice(below, 1, cu + wrap, width), {1});
      noise = noise + mul_int(u_wraps, static_cast<std::int64_t>(2 * plan.T * g)) +
              mul_int(tfe::detail::add_int(v_wraps, -static_cast<std::int64_t>(wrap)), static_cast<std::int64_t>(g));
    }
    pieces.push_back(noise);
  }
  auto all = pieces.size() == 1 ? pieces[0] : concat(pieces, 0);
  return reshape(all, std::vector<long>(shape.begin(), shape.end()));
}

/// x + discrete Gaussian noise: (ε, δ_realized)-DP release of x when x's sensitivity is at most
/// plan.sensitivity (including its fixed-point error bound), per element; reveal it afterwards.
template <protocol P>
private_tensor<P> add_discrete_gaussian(const private_tensor<P>& x, const gaussian_plan& plan) {
  return x + discrete_gaussian_noise(x.sess(), x.shape(), plan);
}

}  // namespace tfe::stats
