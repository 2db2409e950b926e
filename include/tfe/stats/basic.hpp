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
#include "tfe/stats/table.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace tfe::stats {

namespace detail {
template <protocol P>
void check_columns(const private_tensor<P>& x, const char* op) {
  TFE_ENFORCE(x.ndim() == 2 && x.shape()[0] > 0 && x.shape()[1] > 0, shape_error, op,
              ": a non-empty table of shape (rows, columns) is needed, got ", shape_str(x.shape()));
}
}  // namespace detail

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
template <protocol P>
std::pair<private_tensor<P>, private_tensor<P>> centered(const private_tensor<P>& x) {
  auto m = column_mean(x);
  auto d = x - tfe::detail::broadcast(reshape(m, {1, static_cast<long>(x.shape()[1])}), x.shape());
  return {std::move(d), std::move(m)};
}

/// Column variances, shape (k), with `ddof` (1: the sample variance, as pandas; 0: numpy's default).
/// Math: two passes, Σ(x − mean)²/(n − ddof): the private mean is subtracted before squaring, which
/// avoids the cancellation of Σx²/n − mean² (n·mean² can dwarf the variance). Cost: the mean, one
/// product round on n·k elements (one truncation each), div_count. Error: with the mean's error e
/// (≤ |mean|·2^-f + 4·2^-f), Σ(x − mean − e)² = Σ(x − mean)² + n·e² (the cross term vanishes), each
/// truncated square adds ≤ 2 ulps and div_count var·2^-f + 4·2^-f, so
/// |v̂ − var| ≤ var·2^-f + e² + 7·2^-f (tested with var·2^-f + 2|mean|·2^-f + 8·2^-f).
/// Requires var < 2^I (32768 ring64: std < 181): pre-scale wider columns.
template <protocol P>
private_tensor<P> column_variance(const private_tensor<P>& x, unsigned ddof = 1) {
  detail::check_columns(x, "column_variance");
  TFE_ENFORCE(x.shape()[0] > ddof, shape_error, "variance with ddof ", ddof, " needs more than ", ddof, " rows, got ",
              x.shape()[0]);
  auto scope = x.sess().op_scope("stats_variance");
  auto [d, m] = centered(x);
  return div_count(sum(d * d, {0}), x.shape()[0] - ddof);
}

/// Column standard deviations: tfe::sqrt of the variance (octave buckets + Newton, see
/// ops/approx_elementary.hpp). Error: sqrt's |ŷ − √v| ≤ 4·2^-f·√v + 3·2^-f, plus the variance's error
/// divided by 2√v.
template <protocol P>
private_tensor<P> column_std(const private_tensor<P>& x, unsigned ddof = 1) {
  return sqrt(column_variance(x, ddof));
}

/// Column minima and maxima, each shape (k), exact. Math: one tournament over the (n, 2k) table
/// [x, −x] (max of −x is −min), so min and max share every round. Cost: ⌈log2 n⌉ levels, each one
/// batched sign test and one product over the level's pairs (n·k comparisons in all).
template <protocol P>
std::pair<private_tensor<P>, private_tensor<P>> column_min_max(const private_tensor<P>& x) {
  detail::check_columns(x, "column_min_max");
  auto scope = x.sess().op_scope("stats_minmax");
  const long k = static_cast<long>(x.shape()[1]);
  auto both = max(concat({x, -x}, 1), 0);
  return {-slice(both, 0, static_cast<std::size_t>(k), static_cast<std::size_t>(2 * k)),
          slice(both, 0, 0, static_cast<std::size_t>(k))};
}

/// Public histogram edges of one column: bins [e_0, e_1), ..., [e_{B−1}, e_B) (half-open, also the
/// last one; values outside [e_0, e_B) are counted in no bin). Edges strictly increasing, in range.
using bin_edges = std::vector<double>;

/// Histogram counts, shape (k, B), as fixed-point integers (exact). Math: the integer bits
/// [x < e_j] for every edge of the column come from ONE batched sign test of x − e_j; the count of
/// bin j is Σ_rows [x < e_{j+1}] − Σ_rows [x < e_j] (local). Columns are processed in groups of at
/// most 2^24 comparisons (memory), so the cost is ⌈(B+1)·n·k / 2^24⌉ sign tests, (B+1)·n·k comparisons
/// in all, no product. Every column has the same number of bins B (edges may differ).
template <protocol P>
private_tensor<P> histogram(const private_tensor<P>& x, const std::vector<bin_edges>& edges) {
  using R = typename P::ring;
  detail::check_columns(x, "histogram");
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  TFE_ENFORCE(edges.size() == k, shape_error, "histogram: ", edges.size(), " edge lists for ", k, " columns");
  const std::size_t m = edges[0].size();
  TFE_ENFORCE(m >= 2, shape_error, "histogram: column #0 needs at least 2 edges, got ", m);
  for (std::size_t c = 0; c < k; ++c) {
    TFE_ENFORCE(edges[c].size() == m, shape_error, "histogram: column #", c, " has ", edges[c].size(),
                " edges, column #0 has ", m);
    for (std::size_t j = 0; j < m; ++j) {
      (void)encode_value<R>(edges[c][j], x.sess().fixed_point());  // throws encoding_error when out of range
      TFE_ENFORCE(j == 0 || edges[c][j] > edges[c][j - 1], shape_error, "histogram: edges of column #", c,
                  " are not strictly increasing at index ", j);
    }
  }
  auto scope = x.sess().op_scope("stats_histogram");
  const std::size_t group = std::max<std::size_t>(1, (std::size_t(1) << 24) / (m * n));
  std::vector<private_tensor<P>> counts;
  for (std::size_t c0 = 0; c0 < k; c0 += group) {
    const std::size_t g = std::min(group, k - c0);
    auto xg = slice(x, 1, c0, c0 + g);
    ring_tensor<R> neg = ring_tensor<R>::from_shape({m, 1, g});
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t c = 0; c < g; ++c) neg(j, 0, c) = encode_value<R>(-edges[c0 + c][j], x.sess().fixed_point());
    auto below = tfe::detail::sign_bit(tfe::detail::add_public(xg, neg, "sub"), sign_width::fixed_point_range, true);
    auto per_edge = sum(below, {1});                                      // (m, g): #[x < e_j]
    auto bins = slice(per_edge, 0, 1, m) - slice(per_edge, 0, 0, m - 1);  // (m−1, g)
    counts.push_back(transpose(bins));                                    // (g, m−1)
  }
  return tfe::detail::bit_to_fixed(concat(counts, 0));
}

namespace detail {
/// corr = zᵀz/(n − 1), z = d·(1/√var): see correlation().
template <protocol P>
private_tensor<P> correlation_of(const private_tensor<P>& d, const private_tensor<P>& var) {
  auto is = inv_sqrt(var);
  auto z = tfe::detail::mul_broadcast(d, reshape(is, {1, static_cast<long>(d.shape()[1])}));
  return div_count(matmul(transpose(z), z), d.shape()[0] - 1);
}
/// x − mean after the checks of a pairwise statistic (at least 2 rows).
template <protocol P>
private_tensor<P> deviations(const private_tensor<P>& x, const char* op) {
  check_columns(x, op);
  TFE_ENFORCE(x.shape()[0] >= 2, shape_error, op, " needs at least 2 rows, got ", x.shape()[0]);
  return centered(x).first;
}
template <protocol P>
private_tensor<P> sample_variance_of(const private_tensor<P>& d) {
  return div_count(sum(d * d, {0}), d.shape()[0] - 1);
}
}  // namespace detail

/// Correlation matrix (k, k). Math: z = (x − mean)·(1/√var) per column (inv_sqrt of the sample
/// variance), C = zᵀz / (n − 1) by one matmul (its n-term sums at scale 2^2f stay below 2^(ℓ−1) for
/// n < 2^(ℓ−2f−1): 2^31 ring64, since Σz² = n − 1 and |Σ z_i z_j| ≤ Σ z²). Cost: the variance, one
/// inv_sqrt on k values, one product round on n·k, one matmul round (k² outputs), div_count.
/// Error (ring64): |ĉ − c| ≤ 2·10^-3 (inv_sqrt's 4·2^-f relative error twice, plus the ulps of z
/// correlated over n rows); requires every column's variance in [2^-f, 2^I) (a constant column has
/// no correlation).
template <protocol P>
private_tensor<P> correlation(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("stats_correlation");
  auto d = detail::deviations(x, "correlation");
  return detail::correlation_of(d, detail::sample_variance_of(d));
}

/// Covariance matrix (k, k) with ddof 1: corr_ij·s_i·s_j (s = √var, one outer product, one
/// elementwise product). Computing Dᵀ·D directly would overflow ring64 at scale 2^2f once
/// n·var ≥ 2^31; through the correlation every sum stays bounded. Error (ring64):
/// ≤ s_i·s_j·3·10^-3 + 4·2^-f.
template <protocol P>
private_tensor<P> covariance(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("stats_covariance");
  auto d = detail::deviations(x, "covariance");
  auto var = detail::sample_variance_of(d);
  auto c = detail::correlation_of(d, var);
  auto s = sqrt(var);
  const long k = static_cast<long>(x.shape()[1]);
  return c * matmul(reshape(s, {k, 1}), reshape(s, {1, k}));
}

}  // namespace tfe::stats
