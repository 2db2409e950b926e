// tfe/stats/basic.hpp: column statistics of a private table X of shape (n, k), generic over the
// protocol and the ring: sum, mean, variance, standard deviation, min/max, histograms with public
// bin edges, covariance and correlation. Every result stays secret-shared until the caller reveals
// it (stats/describe.hpp reveals to one named player); no intermediate value is ever opened, the
// mean in particular is never revealed on the way to the variance.
//
// n (the count) is public, like every shape. f = frac_bits, I = int_bits, ℓ = ring bits; "ulp" is
// 2^-f. Error bounds are stated against the exact statistic of the ENCODED inputs (each input is
// rounded to the nearest multiple of 2^-f when it is shared) and asserted in tests/test_stats.cpp.
#pragma once

#include "tfe/ops/approx.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/stats/histogram.hpp"
#include "tfe/stats/min_max.hpp"
#include "tfe/stats/row_sums.hpp"
#include "tfe/stats/table.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace tfe::stats {

/// Column sums, shape (k). Local, exact (mod 2^ℓ: |sum| < 2^(ℓ−f−1), 2^47 for ring64).
template <protocol P>
private_tensor<P> column_sum(const private_tensor<P>& x) {
  detail::check_columns(x, "column_sum");
  return sum(x, {0});
}

/// Column means, shape (k): column_sum, then div_count by n. Cost: ⌈⌈log2 n⌉/f⌉ + 1 truncation
/// rounds on k values. Error ≤ |mean|·2^-f + 4·2^-f.
template <protocol P>
private_tensor<P> column_mean(const private_tensor<P>& x) {
  detail::check_columns(x, "column_mean");
  auto scope = x.sess().op_scope("stats_mean");
  return div_count(sum(x, {0}), x.shape()[0]);
}

/// Deviations from the private column means, d = x − mean (n, k), and the means: what the
/// variance, the covariance and the correlation share.
/// Local, one pass per share component and no broadcast copy of the means.
template <protocol P>
std::pair<private_tensor<P>, private_tensor<P>> centered(const private_tensor<P>& x) {
  using R = typename P::ring;
  auto m = column_mean(x);
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  typename private_tensor<P>::parts_type parts;
  for (std::size_t p = 0; p < x.parts().size(); ++p) {
    ring_tensor<R> d = ring_tensor<R>::from_shape({n, k});
    const R* in = x.parts()[p].data();
    const R* mp = m.parts().at(p).data();
    R* out = d.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < k; ++c) out[i * k + c] = R(in[i * k + c] - mp[c]);
    parts.push_back(std::move(d));
  }
  return {private_tensor<P>(x.sess(), x.shape(), std::move(parts)), std::move(m)};
}

/// Column variances, shape (k), with `ddof` (1: the sample variance, as pandas; 0: numpy's default).
/// Math: two passes, Σ(x − mean)²/(n − ddof): the private mean is subtracted before squaring, which
/// avoids the cancellation of Σx²/n − mean² (n·mean² can dwarf the variance); Σd² is column_dot
/// (stats/row_sums.hpp: the squares are never reshared, only the sums). Every truncation is on k
/// values and exact (detail::exact_sums_scope). Cost: the mean, one product round on ⌈n/4096⌉·k
/// values (ring64), div_count. Error: with the mean's error e (≤ |mean|·2^-f + 4·2^-f),
/// Σ(x − mean − e)² = Σ(x − mean)² + n·e² (the cross term vanishes), column_dot adds ≤ ⌈n/4096⌉
/// ulps in all and div_count var·2^-f + 4·2^-f, so |v̂ − var| ≤ var·2^-f + e² + 5·2^-f (tested with
/// var·2^-f + 2|mean|·2^-f + 8·2^-f). Requires var < 2^I (32768 ring64: std < 181): pre-scale wider
/// columns.
template <protocol P>
private_tensor<P> column_variance(const private_tensor<P>& x, unsigned ddof = 1) {
  detail::check_columns(x, "column_variance");
  TFE_ENFORCE(x.shape()[0] > ddof, shape_error, "variance with ddof ", ddof, " needs more than ", ddof, " rows, got ",
              x.shape()[0]);
  auto scope = x.sess().op_scope("stats_variance");
  const detail::exact_sums_scope<P> exact(x.sess());
  auto [d, m] = centered(x);
  return div_count(column_dot(d, d), x.shape()[0] - ddof);
}

/// Column standard deviations: tfe::sqrt of the variance (octave buckets + Newton, see
/// ops/approx_elementary.hpp). Error: sqrt's |ŷ − √v| ≤ 4·2^-f·√v + 3·2^-f, plus the variance's error
/// divided by 2√v.
template <protocol P>
private_tensor<P> column_std(const private_tensor<P>& x, unsigned ddof = 1) {
  return sqrt(column_variance(x, ddof));
}

namespace detail {
/// The diagonal (k) of a private (k, k) matrix: local.
template <protocol P>
private_tensor<P> diagonal(const private_tensor<P>& m) {
  using R = typename P::ring;
  const std::size_t k = m.shape()[0];
  return tfe::detail::map_parts(m, shape_t{k}, [k](const ring_tensor<R>& p) {
    ring_tensor<R> out = ring_tensor<R>::from_shape({k});
    for (std::size_t i = 0; i < k; ++i) out.data()[i] = p.data()[i * k + i];
    return out;
  });
}
/// x − mean after the checks of a pairwise statistic (at least 2 rows).
template <protocol P>
private_tensor<P> deviations(const private_tensor<P>& x, const char* op) {
  check_columns(x, op);
  TFE_ENFORCE(x.shape()[0] >= 2, shape_error, op, " needs at least 2 rows, got ", x.shape()[0]);
  return centered(x).first;
}
}  // namespace detail

namespace detail {
/// The correlation from the Gram matrix G (k, k) of n deviations: see correlation().
template <protocol P>
private_tensor<P> correlation_from_gram(const private_tensor<P>& g, std::size_t n) {
  using R = typename P::ring;
  const auto& fp = g.sess().fixed_point();
  const long k = static_cast<long>(g.shape()[0]);
  int e = 0;  // G·2^-e keeps n/2^e ∈ (512, 1024] times the covariance: 10 more bits than G/(n − 1)
  while ((n >> e) > 1024) ++e;
  auto gs = e > 0 ? g * std::ldexp(1.0, -e) : g;
  auto diag = diagonal(g);
  auto var = div_count(diag, n - 1);
  auto var_small = div_count(mul_int(diag, 1024), n - 1);  // garbage (wrapped) for var ≥ 32: never selected
  auto var_big = var * std::ldexp(1.0, -8);
  // Regimes: [var < 2^-4] → inv_sqrt(1024·var) = 2^-5/std, G scaled by 32 per side;
  // [var ≥ 16] → inv_sqrt(var/256) = 16/std, G scaled by 1/16 per side; else inv_sqrt(var) = 1/std.
  ring_tensor<R> neg = ring_tensor<R>::from_shape({2, 1});
  neg(0, 0) = encode_value<R>(-0.0625, fp);
  neg(1, 0) = encode_value<R>(-16.0, fp);
  auto below = tfe::detail::sign_bit(tfe::detail::add_public(reshape(var, {1, k}), neg, "sub"),
                                     sign_width::fixed_point_range, true);  // (2, k)
  auto small = index(below, 0, 0), big = tfe::detail::add_int(-index(below, 1, 0), 1);
  auto moved = tfe::detail::mul_exact(concat({small, big}, 0), concat({var_small - var, var_big - var}, 0));
  auto w = var + slice(moved, 0, 0, static_cast<std::size_t>(k)) +
           slice(moved, 0, static_cast<std::size_t>(k), static_cast<std::size_t>(2 * k));
  auto is = inv_sqrt(w);
  // 16 × the side factor (512, 16 or 1: integers), so that F = side_i·side_j = 256·f_i·f_j is exact.
  auto side = tfe::detail::add_int(mul_int(small, 496) + mul_int(big, -15), 16);
  auto f = tfe::detail::mul_broadcast_exact(reshape(side, {k, 1}), reshape(side, {1, k}));
  auto t = tfe::detail::mul_exact(gs, f);
  t = tfe::detail::mul_broadcast(tfe::detail::mul_broadcast(t, reshape(is, {1, k})), reshape(is, {k, 1}));
  return div_count(mul_int(t, std::int64_t(1) << e), (n - 1) * 256);
}
}  // namespace detail

/// Correlation matrix (k, k). Math: G = DᵀD for the deviations D = x − mean (stats::gram: chunked,
/// exactly truncated, only k² sums reshared) and C_ij = G_ij/√(G_ii·G_jj), evaluated in fixed point
/// so that no step loses the precision a small or a large variance leaves: G′ = G·2^-e (n/2^e in
/// (512, 1024]: 10 bits more than the covariance); var = G_ii/(n − 1); one batched sign test on k
/// values picks each column's regime, var < 2^-4: s = inv_sqrt(1024·var) (1024·var from G directly,
/// not from the coarse var) and a side factor 32; var ≥ 16: s = inv_sqrt(var/256) and 1/16; else
/// inv_sqrt(var) and 1, so that s, the value the last products multiply by, is never below 1/16
/// (at 2^-f its quantization stays below 2^-12 relative); then C = (G′ ⊙ ffᵀ) ⊙ s_j ⊙ s_i·2^e/(n − 1),
/// the side factors applied to G′ (large, precise) before the s. Every truncation is on k or k²
/// values and exact. Cost: the mean, one gram (one product round on ⌈n/4096⌉·k² values, ring64), a
/// sign test and a product on k values, inv_sqrt on k values, four product rounds on k² values and
/// div_count; no message of n·k elements under ABY3. Error (ring64): |ĉ − c| ≤ 2·10^-3 (tested over
/// standard deviations from 0.06 to 100; inv_sqrt's relative error 4·2^-f twice) for variances in
/// [2^-10, 2^I); a constant column has no correlation. Requires n·std < 2^(ℓ−2−2f) (2^30 on
/// ring64: 10^6 rows of std up to 1000), for the Gram matrix (stats/row_sums.hpp).
template <protocol P>
private_tensor<P> correlation(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("stats_correlation");
  const detail::exact_sums_scope<P> exact(x.sess());
  auto d = detail::deviations(x, "correlation");
  return detail::correlation_from_gram(gram(d, d), x.shape()[0]);
}

/// Covariance matrix (k, k) with ddof 1: DᵀD/(n − 1) (stats::gram, then div_count; every truncation
/// exact and on k² values). Error (ring64): ≤ |cov|·2^-f + 5·2^-f plus the means' error squared.
template <protocol P>
private_tensor<P> covariance(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("stats_covariance");
  const detail::exact_sums_scope<P> exact(x.sess());
  auto d = detail::deviations(x, "covariance");
  return div_count(gram(d, d), x.shape()[0] - 1);
}

}  // namespace tfe::stats
