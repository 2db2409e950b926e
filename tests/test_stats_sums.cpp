// tests/test_stats_sums.cpp: the sums over rows behind the statistics (stats/row_sums.hpp:
// column_dot and gram, chunked and exactly truncated) and the binary-search histogram
// (stats/histogram.hpp), under plain, pond, securenn and aby3 (ring64, and aby3 on ring128):
// against double references on tables of several chunks (10,000 rows, chunks of 4096) with
// negatives, ties and wide columns; histograms of 1, 2, 3, 5, 8 and 16 bins with values on every
// edge and outside; and the ABY3 costs (bytes, messages and rounds) of column_dot, gram and the
// histogram against the cost model.
#include <doctest/doctest.h>

#include "tfe/stats/describe.hpp"
#include "tfe/stats/regression.hpp"
#include "tfe/testing/measure_phases.hpp"
#include "tfe/tfe.hpp"

#include <array>
#include <cmath>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats_sums {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using securenn64 = tfe::securenn<tfe::ring64>;
using aby3_64 = tfe::aby3<tfe::ring64>;
using aby3_128 = tfe::aby3<tfe::ring128>;

using dvec = xt::xarray<double>;

template <class P>
std::vector<std::string> players() {
  auto p = P::default_players();
  for (const char* extra : {"alice", "analyst"}) p.push_back(extra);
  return p;
}

/// Runs fn(session, alice's table) and returns the analyst's revealed results.
template <class P, class F>
std::vector<dvec> analyst_sees(const dvec& t, F&& fn) {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = 99;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto x = s.define_private_input("alice", [&] { return t; });
        std::vector<dvec> out;
        for (const auto& v : fn(s, x)) {
          auto got = s.reveal_to("analyst", v);
          out.push_back(got ? *got : dvec());
        }
        return out;
      },
      opt);
  return r.back();
}

/// Columns of different scales on a grid of 1/64 (ties): c-th column uniform in ±scale[c], plus an
/// offset so that the mean is not 0.
dvec wide_table(std::size_t rows, const std::vector<double>& scale, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  dvec t = dvec::from_shape({rows, scale.size()});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < scale.size(); ++c) {
      std::uniform_real_distribution<double> d(-scale[c], scale[c]);
      t(r, c) = std::round((d(g) + 0.3 * scale[c] + (c == 1 ? 0.5 * t(r, 0) : 0.0)) * 64) / 64;  // col 1 ~ col 0
    }
  return t;
}

constexpr double ulp = 0x1p-16;

}  // namespace

TEST_CASE_TEMPLATE("column_dot, gram, variance, covariance and correlation over several chunks", P, plain64, pond64,
                   securenn64, aby3_64, aby3_128) {
  const std::size_t n = 10000;  // chunks of 4096 rows on ring64: 2 whole and one partial
  const std::vector<double> scale = {1.0, 3.0, 150.0, 0.1};
  const dvec t = wide_table(n, scale, 5);
  const std::size_t k = scale.size();
  auto got = analyst_sees<P>(t, [&](auto&, const auto& x) {
    auto xs = tfe::mul_int(x, 3);  // gram and column_dot of two different tables (3x: exact)
    return std::vector{tfe::stats::column_dot(x, xs), tfe::stats::gram(x, xs), tfe::stats::column_variance(x),
                       tfe::stats::covariance(x), tfe::stats::correlation(x)};
  });
  REQUIRE(got.size() == 5);
  dvec mean = xt::zeros<double>({k});
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < k; ++c) mean(c) += t(r, c) / static_cast<double>(n);
  dvec g = xt::zeros<double>({k, k}), cov = xt::zeros<double>({k, k});
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) {
        g(i, j) += t(r, i) * t(r, j) * 3;
        cov(i, j) += (t(r, i) - mean(i)) * (t(r, j) - mean(j)) / static_cast<double>(n - 1);
      }
  // Each chunk sum is truncated once (exact inputs): ≤ 3 ulps of error in all.
  for (std::size_t i = 0; i < k; ++i) {
    CAPTURE(i);
    CHECK(std::fabs(got[0](i) - g(i, i)) <= 3 * ulp);
    for (std::size_t j = 0; j < k; ++j) CHECK(std::fabs(got[1](i, j) - g(i, j)) <= 3 * ulp);
    const double var = cov(i, i);
    CHECK(std::fabs(got[2](i) - var) <= var * ulp + 8 * ulp + 2 * std::fabs(mean(i)) * ulp);
    for (std::size_t j = 0; j < k; ++j) {
      CAPTURE(j);
      const double sij = std::sqrt(cov(i, i) * cov(j, j));
      CHECK(std::fabs(got[3](i, j) - cov(i, j)) <=
            std::fabs(cov(i, j)) * ulp + 8 * ulp + (std::fabs(mean(i)) + std::fabs(mean(j))) * ulp);
      CHECK(std::fabs(got[4](i, j) - cov(i, j) / sij) <= 2e-3);
    }
  }
  CHECK(std::fabs(got[4](0, 1)) > 0.1);  // columns 0 and 1 are correlated: the check above is not vacuous
}

TEST_CASE_TEMPLATE("histogram: any number of bins, values on every edge and outside, exact counts", P, plain64, pond64,
                   securenn64, aby3_64) {
  // Values on a grid of 0.5 in [-6, 6]: every edge below is hit exactly, and some values are outside.
  std::mt19937_64 gen(3);
  std::uniform_int_distribution<int> d(-12, 12);
  const std::size_t n = 301;
  dvec t = dvec::from_shape({n, 2});
  for (auto& v : t) v = d(gen) / 2.0;
  t(0, 0) = -6;  // the range's extremes
  t(1, 0) = 6;
  for (std::size_t bins : {1u, 2u, 3u, 5u, 8u, 16u}) {
    CAPTURE(bins);
    // Column 0: equal widths on [-4, 4); column 1: uneven edges from −5.5 on.
    std::vector<tfe::stats::bin_edges> edges = {tfe::stats::uniform_edges(-4, 4, bins), {}};
    for (std::size_t j = 0; j <= bins; ++j) edges[1].push_back(-5.5 + 0.5 * static_cast<double>(j * j));
    auto got = analyst_sees<P>(t, [&](auto&, const auto& x) { return std::vector{tfe::stats::histogram(x, edges)}; });
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].shape()[0] == 2);
    REQUIRE(got[0].shape()[1] == bins);
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t j = 0; j < bins; ++j) {
        double want = 0;
        for (std::size_t r = 0; r < n; ++r) want += t(r, c) >= edges[c][j] && t(r, c) < edges[c][j + 1];
        CAPTURE(c);
        CAPTURE(j);
        CHECK(got[0](c, j) == want);
      }
  }
}

TEST_CASE("ABY3 costs: column_dot and gram reshare only the chunk sums; the histogram's comparisons and products") {
  namespace tc = tfe::costs;
  using C = tfe::aby3_costs<tfe::ring64>;
  const std::size_t n = 5000, k = 3;  // 2 chunks
  const dvec t = wide_table(n, {1.0, 2.0, 3.0}, 8);
  const std::vector<tfe::stats::bin_edges> edges(k, tfe::stats::uniform_edges(-2, 2, 16));
  auto m = tfe::testing::measure_phases<aby3_64>(players<aby3_64>(), [&](auto& s, auto& phase) {
    auto x = s.define_private_input("alice", [&] { return t; });
    {
      auto scope = phase("t:dot");
      (void)tfe::stats::column_dot(x, x);
    }
    {
      auto scope = phase("t:gram");
      (void)tfe::stats::gram(x, x);
    }
    {
      auto scope = phase("t:hist");
      (void)tfe::stats::histogram(x, edges);
    }
  });
  // The exact truncation's roles rotate from call to call, so compare what the three servers send in
  // all, and the rounds of the busiest one.
  auto check_total = [&](const std::string& tag, const tc::op_cost& c) {
    std::uint64_t sent = 0, want = 0, rounds = 0, want_rounds = 0;
    for (std::size_t p = 0; p < 3; ++p) {
      sent += m.stats[p].tag(tag).bytes_sent;
      want += c.player[p].bytes_sent;
      rounds = std::max<std::uint64_t>(rounds, m.stats[p].tag(tag).rounds);
      want_rounds = std::max<std::uint64_t>(want_rounds, c.player[p].rounds);
    }
    CAPTURE(tag);
    CHECK(sent == want);
    CHECK(rounds == want_rounds);
  };
  check_total("t:dot", C::exact_bilinear_truncated(2 * k, 16));
  check_total("t:gram", C::exact_bilinear_truncated(2 * k * k, 16));
  CHECK(m.stats[0].tag("t:gram").bytes_sent < n);  // nothing of the n rows' size
  // Histogram of 16 bins (4 levels) on n·k values, one group: 3 comparisons (width used_bits + 1 =
  // 33), then 3 levels of one comparison each at the edges' span (4·2^16 + 1 ulps < 2^19: width 20);
  // products of 2 and 4 bits (levels 2, 3) and u; the final bilinear sum of k·8·2 counts.
  const std::uint64_t v = n * k;
  // Server 0 only sends in a sign test, so its messages of a sign test and of the op after it are
  // one round (costs::then's `continues`).
  const std::array<bool, 3> s0 = {true, false, false};
  tc::op_cost h = C::sign(3 * v, 33);
  h = tc::then(h, C::sign(v, 20), s0);
  h = tc::then(h, C::bilinear(2 * v), s0);
  h = tc::then(h, C::sign(v, 20));
  h = tc::then(h, C::bilinear(4 * v), s0);
  h = tc::then(h, C::sign(v, 20));
  h = tc::then(h, C::bilinear(v), s0);
  h = tc::then(h, C::bilinear(k * 16));
  for (std::size_t p = 0; p < 3; ++p) {
    CAPTURE(p);
    CHECK(m.stats[p].tag("t:hist").bytes_sent == h.player[p].bytes_sent);
    CHECK(m.stats[p].tag("t:hist").rounds == h.player[p].rounds);
  }
}

TEST_CASE_TEMPLATE("column_min_max: every table height (odd levels leave rows aside), ties and extremes", P, plain64,
                   pond64, securenn64, aby3_64) {
  const double top = std::ldexp(1.0, 15) - 1;  // near the fixed-point range's ends
  std::mt19937_64 gen(21);
  std::uniform_int_distribution<int> d(-8, 8);
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 13u, 100u}) {
    CAPTURE(n);
    dvec t = dvec::from_shape({n, 3});
    for (auto& v : t) v = d(gen) / 4.0;  // ties
    t(n - 1, 1) = -top;                  // the extremes, in the last row (aside when n is odd)
    t(0, 2) = top;
    auto got = analyst_sees<P>(t, [&](auto&, const auto& x) {
      auto [mn, mx] = tfe::stats::column_min_max(x);
      return std::vector{mn, mx};
    });
    REQUIRE(got.size() == 2);
    for (std::size_t c = 0; c < 3; ++c) {
      CAPTURE(c);
      CHECK(got[0](c) == xt::amin(xt::view(t, xt::all(), c))());
      CHECK(got[1](c) == xt::amax(xt::view(t, xt::all(), c))());
    }
  }
}

}  // namespace test_stats_sums
