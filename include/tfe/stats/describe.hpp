// tfe/stats/describe.hpp: describe(): the summary of every column of a private table (count, sum,
// mean, variance, std, min, max, a histogram), computed on shares and revealed to ONE player the
// policy names (the analyst); every other player gets std::nullopt and learns nothing but the shape.
#pragma once

#include "tfe/stats/basic.hpp"

#include <iomanip>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tfe::stats {

/// What describe() reveals: one entry per column (vectors of length k); histogram counts (k, B).
struct description {
  std::size_t count = 0;  // rows (public anyway: shapes are public)
  std::vector<std::string> names;
  xt::xarray<double> sum, mean, variance, std, min, max;
  std::vector<bin_edges> edges;
  xt::xarray<double> histogram;  // (k, B), empty when no edges were given
};

/// Which statistics describe() computes; edges empty: no histogram.
struct describe_options {
  std::vector<std::string> names;
  std::vector<bin_edges> edges;
  unsigned ddof = 1;
};

/// B equal-width bins on [lo, hi) as public edges (for describe_options::edges).
inline bin_edges uniform_edges(double lo, double hi, std::size_t bins) {
  TFE_ENFORCE(bins >= 1 && hi > lo, shape_error, "uniform_edges: need bins ≥ 1 and hi > lo, got ", bins, " bins on [",
              lo, ", ", hi, ")");
  bin_edges e(bins + 1);
  for (std::size_t j = 0; j <= bins; ++j) e[j] = lo + (hi - lo) * static_cast<double>(j) / static_cast<double>(bins);
  return e;
}

/// Computes every statistic of x (n, k) on shares and reveals the results to `receiver` only.
/// The mean stays shared on the way to the variance; min and max share one tournament; std is
/// sqrt of the shared variance. Cost: column_mean + column_variance (column_dot: one product round
/// on ⌈n/4096⌉·k values, ring64) + sqrt on k + column_min_max (stats/min_max.hpp: ⌈log2 n⌉ levels,
/// 1.5·n·k comparisons) + reveal_histogram (stats/histogram.hpp: under ABY3 with edges of equal
/// widths, one bin circuit per value, protocol/aby3/bins.hpp; otherwise ⌈log2 B⌉ + 2 comparisons and
/// 2^⌈log2 B⌉ − 1 products per value and a reveal of k·B counts) + 6 reveals of k values. Every
/// truncation is on k values and exact. Error bounds: those of each statistic (stats/basic.hpp).
template <protocol P>
std::optional<description> describe(const private_tensor<P>& x, const std::string& receiver,
                                    const describe_options& opt = {}) {
  detail::check_columns(x, "describe");
  auto& s = x.sess();
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  TFE_ENFORCE(opt.names.empty() || opt.names.size() == k, shape_error, "describe: ", opt.names.size(),
              " column names for ", k, " columns");
  TFE_ENFORCE(n > opt.ddof, shape_error, "describe: ", n, " rows, the variance needs more than ", opt.ddof);
  (void)s.id_of(receiver);  // throws naming an unknown receiver before any work
  auto scope = s.op_scope("stats_describe");
  const detail::exact_sums_scope<P> exact(s);
  auto total = sum(x, {0});
  auto [d, mean] = centered(x);  // the mean from the same column sums (sum is local)
  auto var = div_count(column_dot(d, d), n - opt.ddof);
  auto sd = sqrt(var);
  auto [mn, mx] = column_min_max(x);
  std::optional<xt::xarray<double>> hist;  // at the receiver
  if (!opt.edges.empty()) hist = reveal_histogram(x, opt.edges, receiver);

  description out;
  bool here = true;
  auto take = [&](const private_tensor<P>& t, xt::xarray<double>& dst) {
    auto v = s.reveal_to(receiver, t);
    here = v.has_value();
    if (here) dst = std::move(*v);
  };
  take(total, out.sum);
  take(mean, out.mean);
  take(var, out.variance);
  take(sd, out.std);
  take(mn, out.min);
  take(mx, out.max);
  if (hist) out.histogram = std::move(*hist);
  if (!here) return std::nullopt;
  out.count = n;
  out.names = opt.names;
  out.edges = opt.edges;
  return out;
}

/// Prints a description as a table, one row per column (and the histogram counts below).
inline void print(std::ostream& os, const description& d) {
  auto name = [&](std::size_t c) { return c < d.names.size() ? d.names[c] : "col" + std::to_string(c); };
  os << std::left << std::setw(14) << "column" << std::right;
  for (const char* h : {"count", "sum", "mean", "variance", "std", "min", "max"}) os << std::setw(14) << h;
  os << '\n';
  for (std::size_t c = 0; c < d.mean.size(); ++c) {
    os << std::left << std::setw(14) << name(c) << std::right << std::setw(14) << d.count;
    for (const auto* v : {&d.sum, &d.mean, &d.variance, &d.std, &d.min, &d.max})
      os << std::setw(14) << std::setprecision(6) << (*v)(c);
    os << '\n';
  }
  if (d.histogram.dimension() == 2)
    for (std::size_t c = 0; c < d.histogram.shape()[0]; ++c) {
      os << "histogram " << name(c) << " [" << d.edges[c].front() << ", " << d.edges[c].back() << "):";
      for (std::size_t j = 0; j < d.histogram.shape()[1]; ++j) os << ' ' << d.histogram(c, j);
      os << '\n';
    }
}

}  // namespace tfe::stats
