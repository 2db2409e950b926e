// tests/test_stats.cpp: tfe/stats against double-precision references on the fixed-point grid, under
// plain, pond, securenn and aby3 (ring64): column sum/mean/variance/std/min/max, histograms, the
// correlation and covariance matrices, describe() (revealed to the analyst only), the oblivious sort
// (sorted, and a permutation of the input rows), quantiles and the median, div_count at large n,
// and the input checks (empty table, NaN, out-of-range value, mismatched columns), each naming the
// owner and the column. Data: two owners ("alice", "bob") whose tables are joined along rows, with
// negatives, ties (values on a coarse grid) and the extremes of the fixed-point range.
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "tfe/stats/describe.hpp"
#include "tfe/stats/group_by.hpp"
#include "tfe/stats/regression.hpp"
#include "tfe/stats/sort.hpp"
#include "tfe/tfe.hpp"

#include <algorithm>
#include <cmath>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using securenn64 = tfe::securenn<tfe::ring64>;
using aby3_64 = tfe::aby3<tfe::ring64>;

using dvec = xt::xarray<double>;

template <class P>
std::vector<std::string> players() {
  auto p = P::default_players();
  for (const char* extra : {"alice", "bob", "analyst"}) p.push_back(extra);
  return p;
}

/// Runs fn(session, joined table) with alice's and bob's tables joined along rows; returns the
/// analyst's result.
template <class P, class F>
auto run_joined(const dvec& a, const dvec& b, F&& fn) {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = 2024;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto ta = tfe::stats::define_table(s, "alice", [&] { return a; });
        auto tb = tfe::stats::define_table(s, "bob", [&] { return b; });
        return fn(s, tfe::stats::join_rows<P>({ta, tb}));
      },
      opt);
  return r.back();
}

/// A (rows, k) table on a grid of step 0.25 in [-lo, hi] (ties and negatives), quantized.
dvec table(std::size_t rows, std::size_t k, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_int_distribution<int> d(static_cast<int>(-lo * 4), static_cast<int>(hi * 4));
  dvec t = dvec::from_shape({rows, k});
  for (auto& v : t) v = d(g) / 4.0;
  return t;
}

dvec column_of(const dvec& t, std::size_t c) { return xt::view(t, xt::all(), c); }

double mean_of(const dvec& v) { return xt::sum(v)() / static_cast<double>(v.size()); }
double var_of(const dvec& v, double ddof = 1) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (static_cast<double>(v.size()) - ddof);
}
double corr_of(const dvec& a, const dvec& b) {
  const double ma = mean_of(a), mb = mean_of(b);
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a(i) - ma) * (b(i) - mb);
  return s / (static_cast<double>(a.size()) - 1) / std::sqrt(var_of(a) * var_of(b));
}
/// numpy's default ("linear") quantile.
double quantile_of(dvec v, double q) {
  std::sort(v.begin(), v.end());
  const double h = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(h));
  const std::size_t j = std::min(i + 1, v.size() - 1);
  return v(i) + (h - static_cast<double>(i)) * (v(j) - v(i));
}

constexpr double ulp = 0x1p-16;  // ring64 preset: 16 fractional bits

}  // namespace

TEST_CASE_TEMPLATE("column statistics match the plaintext reference", P, plain64, pond64, securenn64, aby3_64) {
  const dvec a = table(70, 3, 40, 60, 1), b = table(51, 3, 40, 60, 2);
  dvec a2 = a;
  a2(0, 0) = -40;  // an extreme shared by several rows (ties at the minimum)
  a2(1, 0) = -40;
  const dvec all = xt::concatenate(xt::xtuple(a2, b), 0);
  const std::vector<tfe::stats::bin_edges> edges = {
      tfe::stats::uniform_edges(-40, 60, 8), tfe::stats::uniform_edges(-20, 20, 8), {-50, -1, 0, 0.25, 1, 2, 3, 4, 61}};
  auto got = run_joined<P>(a2, b, [&](auto& s, const auto& x) {
    std::vector<dvec> out;
    auto [mn, mx] = tfe::stats::column_min_max(x);
    for (const auto& t : {tfe::stats::column_sum(x), tfe::stats::column_mean(x), tfe::stats::column_variance(x),
                          tfe::stats::column_std(x), mn, mx, tfe::stats::histogram(x, edges),
                          tfe::stats::correlation(x), tfe::stats::covariance(x), tfe::stats::column_variance(x, 0)}) {
      auto v = s.reveal_to("analyst", t);
      out.push_back(v ? *v : dvec());
    }
    return out;
  });
  REQUIRE(got.size() == 10);
  const std::size_t k = 3;
  for (std::size_t c = 0; c < k; ++c) {
    const dvec v = column_of(all, c);
    CAPTURE(c);
    CHECK(got[0](c) == xt::sum(v)());  // exact (inputs on the grid)
    const double m = mean_of(v), var = var_of(v), sd = std::sqrt(var);
    CHECK(std::fabs(got[1](c) - m) <= std::fabs(m) * ulp + 4 * ulp);
    CHECK(std::fabs(got[2](c) - var) <= var * ulp + 8 * ulp + 2 * std::fabs(m) * ulp);
    CHECK(std::fabs(got[3](c) - sd) <= 4 * ulp * sd + 3 * ulp + (var * ulp + 10 * ulp) / (2 * sd));
    CHECK(got[4](c) == xt::amin(v)());
    CHECK(got[5](c) == xt::amax(v)());
    CHECK(std::fabs(got[9](c) - var_of(v, 0)) <= var * ulp + 8 * ulp + 2 * std::fabs(m) * ulp);
    for (std::size_t j = 0; j + 1 < edges[c].size(); ++j) {
      double cnt = 0;
      for (double x : v) cnt += (x >= edges[c][j] && x < edges[c][j + 1]);
      CHECK(got[6](c, j) == cnt);  // exact
    }
    for (std::size_t c2 = 0; c2 < k; ++c2) {
      const double r = corr_of(v, column_of(all, c2));
      CHECK(std::fabs(got[7](c, c2) - r) <= 2e-3);
      const double cov = r * sd * std::sqrt(var_of(column_of(all, c2)));
      CHECK(std::fabs(got[8](c, c2) - cov) <= 3e-3 * sd * std::sqrt(var_of(column_of(all, c2))) + 4 * ulp);
    }
  }
}

TEST_CASE_TEMPLATE("describe reveals to the analyst only", P, plain64, aby3_64) {
  const dvec a = table(40, 2, 10, 10, 3), b = table(25, 2, 10, 10, 4);
  const dvec all = xt::concatenate(xt::xtuple(a, b), 0);
  tfe::stats::describe_options opt;
  opt.names = {"age", "bmi"};
  opt.edges = {tfe::stats::uniform_edges(-10, 10, 4), tfe::stats::uniform_edges(-10, 10, 4)};
  tfe::run_options ro;
  ro.session.insecure_deterministic_seed = 7;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto ta = tfe::stats::define_table(
            s, "alice", [&] { return a; }, opt.names);
        auto tb = tfe::stats::define_table(
            s, "bob", [&] { return b; }, opt.names);
        return tfe::stats::describe(tfe::stats::join_rows<P>({ta, tb}), "analyst", opt);
      },
      ro);
  for (std::size_t i = 0; i + 1 < r.size(); ++i) CHECK_FALSE(r[i].has_value());
  REQUIRE(r.back().has_value());
  const auto& d = *r.back();
  CHECK(d.count == 65);
  for (std::size_t c = 0; c < 2; ++c) {
    const dvec v = column_of(all, c);
    CHECK(std::fabs(d.mean(c) - mean_of(v)) <= 5 * ulp);
    CHECK(std::fabs(d.variance(c) - var_of(v)) <= var_of(v) * ulp + 10 * ulp);
    CHECK(d.min(c) == xt::amin(v)());
    CHECK(d.max(c) == xt::amax(v)());
    double inside = 0;  // bins are half-open: the values 10 fall in none
    for (double x : v) inside += x < 10;
    CHECK(xt::sum(xt::view(d.histogram, c, xt::all()))() == inside);
  }
  std::ostringstream os;
  tfe::stats::print(os, d);
  CHECK(tfe_test::contains(os.str(), "bmi"));
}

TEST_CASE_TEMPLATE("oblivious sort: sorted, a permutation of the rows; quantiles and median", P, plain64, pond64,
                   securenn64, aby3_64) {
  // 37 rows (not a power of two): keys with ties, negatives and the range's extremes; payload = row id.
  dvec a = table(20, 2, 100, 100, 5), b = table(17, 2, 100, 100, 6);
  const double big = 32768 - 2 * ulp;  // below the padding value bound − 2^-f
  a(0, 0) = -32767.5;
  a(1, 0) = big;
  b(0, 0) = a(2, 0);  // a tie across owners
  for (std::size_t i = 0; i < 20; ++i) a(i, 1) = static_cast<double>(i);
  for (std::size_t i = 0; i < 17; ++i) b(i, 1) = static_cast<double>(20 + i);
  const dvec all = xt::concatenate(xt::xtuple(a, b), 0);
  const std::vector<double> qs = {0, 0.25, 0.5, 0.75, 1, 0.1};
  auto got = run_joined<P>(a, b, [&](auto& s, const auto& x) {
    auto sorted = tfe::stats::sort_rows(x);
    auto keys = tfe::reshape(tfe::slice(x, 1, 0, 1), {37});
    auto q = tfe::stats::quantiles(keys, qs);
    auto even = tfe::stats::median(tfe::slice(keys, 0, 0, 36));
    std::vector<dvec> out;
    for (const auto& t : {sorted, q, even}) {
      auto v = s.reveal_to("analyst", t);
      out.push_back(v ? *v : dvec());
    }
    return out;
  });
  REQUIRE(got[0].shape() == all.shape());
  std::vector<std::pair<double, double>> in, out;
  for (std::size_t i = 0; i < 37; ++i) {
    in.emplace_back(all(i, 0), all(i, 1));
    out.emplace_back(got[0](i, 0), got[0](i, 1));
    if (i > 0) CHECK(got[0](i - 1, 0) <= got[0](i, 0));
  }
  std::sort(in.begin(), in.end());
  std::sort(out.begin(), out.end());
  CHECK(in == out);  // the same rows: keys with their payload
  const dvec keys = column_of(all, 0);
  for (std::size_t i = 0; i < qs.size(); ++i) {
    CAPTURE(qs[i]);
    CHECK(std::fabs(got[1](i) - quantile_of(keys, qs[i])) <= ulp);
  }
  CHECK(got[1](2) == quantile_of(keys, 0.5));  // odd n: the median is exact
  CHECK(std::fabs(got[2](0) - quantile_of(xt::view(keys, xt::range(0, 36)), 0.5)) <= ulp);
}

TEST_CASE_TEMPLATE("div_count keeps precision at large counts", P, plain64, pond64, aby3_64) {
  // Σ of 1000 values 30000.25 = 3.00025e7 (far outside the input range) divided by 10^6 and by 7.
  const dvec one = xt::full_like(dvec::from_shape({1, 1}), 30000.25);
  auto got = run_joined<P>(one, one, [&](auto& s, const auto& x) {
    auto total = tfe::mul_int(tfe::sum(x, {0}), 500);  // 1000 copies, exact
    std::vector<dvec> out;
    for (std::size_t n : {std::size_t(1000000), std::size_t(7), std::size_t(65536), std::size_t(1)}) {
      auto v = s.reveal_to("analyst", tfe::stats::div_count(total, n));
      out.push_back(v ? *v : dvec());
    }
    return out;
  });
  const double t = 30000.25 * 1000;
  CHECK(std::fabs(got[0](0) - t / 1e6) <= (t / 1e6) * ulp + 4 * ulp);
  CHECK(std::fabs(got[1](0) - t / 7) <= (t / 7) * ulp + 4 * ulp);  // beyond 2^15: fine for a result
  CHECK(std::fabs(got[2](0) - t / 65536) <= (t / 65536) * ulp + 4 * ulp);
  CHECK(got[3](0) == t);
}

TEST_CASE_TEMPLATE("group-by over a public and a private category, small groups suppressed", P, plain64, pond64,
                   securenn64, aby3_64) {
  // 60 rows: column 0 is the category (0..4, group 4 has 2 rows: below k = 3), columns 1-2 values.
  dvec a = table(35, 3, 30, 30, 8), b = table(25, 3, 30, 30, 9);
  for (std::size_t i = 0; i < 35; ++i) a(i, 0) = static_cast<double>(i % 4);
  for (std::size_t i = 0; i < 25; ++i) b(i, 0) = static_cast<double>((i * 7) % 4);
  b(3, 0) = 4;
  b(11, 0) = 4;
  const dvec all = xt::concatenate(xt::xtuple(a, b), 0);
  std::vector<double> cats(60);
  for (std::size_t i = 0; i < 60; ++i) cats[i] = all(i, 0);
  const std::vector<double> keys = {0, 1, 2, 3, 4, 5};
  auto got = run_joined<P>(a, b, [&](auto& s, const auto& x) {
    auto values = tfe::slice(x, 1, 1, 3);
    auto pub = tfe::stats::group_by_public(values, cats, 3);
    auto priv = tfe::stats::group_by_private(values, tfe::reshape(tfe::slice(x, 1, 0, 1), {60}), keys, 3);
    std::vector<dvec> out;
    for (const auto& t : {pub.count, pub.sum, pub.mean, priv.count, priv.sum, priv.mean}) {
      auto v = s.reveal_to("analyst", t);
      out.push_back(v ? *v : dvec());
    }
    return out;
  });
  for (std::size_t g = 0; g < keys.size(); ++g) {
    CAPTURE(g);
    double cnt = 0, s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < 60; ++i)
      if (all(i, 0) == keys[g]) {
        ++cnt;
        s1 += all(i, 1);
        s2 += all(i, 2);
      }
    const bool kept = cnt >= 3;
    CHECK(got[3](g) == (kept ? cnt : 0.0));  // private: exact counts, suppressed groups 0
    CHECK(got[4](g, 0) == (kept ? s1 : 0.0));
    CHECK(got[4](g, 1) == (kept ? s2 : 0.0));
    if (kept) {
      CHECK(std::fabs(got[5](g, 0) - s1 / cnt) <= 6 * ulp * std::fabs(s1 / cnt) + 3 * ulp);
      CHECK(std::fabs(got[5](g, 1) - s2 / cnt) <= 6 * ulp * std::fabs(s2 / cnt) + 3 * ulp);
    } else {
      CHECK(got[5](g, 0) == 0.0);
    }
    if (g < 5) {  // the public group-by sees only the keys present (5 never occurs)
      CHECK(got[0](g) == (kept ? cnt : 0.0));
      CHECK(got[1](g, 0) == (kept ? s1 : 0.0));
      if (kept) CHECK(std::fabs(got[2](g, 1) - s2 / cnt) <= std::fabs(s2 / cnt) * ulp + 4 * ulp);
    }
  }
  CHECK(got[0].size() == 5);
}

/// Least squares in double: solves (XᵀX) w = Xᵀy by Gaussian elimination with partial pivoting.
std::vector<double> least_squares(const dvec& x, const dvec& y) {
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  std::vector<std::vector<double>> m(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < k; ++p) {
      for (std::size_t q = 0; q < k; ++q) m[p][q] += x(i, p) * x(i, q);
      m[p][k] += x(i, p) * y(i);
    }
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::fabs(m[r][c]) > std::fabs(m[piv][c])) piv = r;
    std::swap(m[c], m[piv]);
    for (std::size_t r = 0; r < k; ++r)
      if (r != c) {
        const double f = m[r][c] / m[c][c];
        for (std::size_t q = c; q <= k; ++q) m[r][q] -= f * m[c][q];
      }
  }
  std::vector<double> w(k);
  for (std::size_t c = 0; c < k; ++c) w[c] = m[c][k] / m[c][c];
  return w;
}

TEST_CASE_TEMPLATE("linear regression by the normal equations matches float64 least squares", P, plain64, pond64,
                   securenn64, aby3_64) {
  // 400 rows (two owners), 3 standardized, correlated features; y = X·w + 0.5 + noise.
  std::mt19937_64 g(42);
  std::normal_distribution<double> nd;
  const std::size_t n = 400, k = 3;
  dvec x = dvec::from_shape({n, k}), y = dvec::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    const double common = nd(g);
    for (std::size_t c = 0; c < k; ++c) x(i, c) = 0.6 * common + 0.8 * nd(g);
  }
  for (std::size_t c = 0; c < k; ++c) {  // standardize, then put on a 2^-10 grid
    const dvec v = column_of(x, c);
    const double m = mean_of(v), sd = std::sqrt(var_of(v, 0));
    for (std::size_t i = 0; i < n; ++i) x(i, c) = std::round((x(i, c) - m) / sd * 1024) / 1024;
  }
  for (std::size_t i = 0; i < n; ++i)
    y(i) = std::round((1.5 * x(i, 0) - 2.0 * x(i, 1) + 0.25 * x(i, 2) + 0.5 + 0.3 * nd(g)) * 1024) / 1024;
  const dvec table_all = xt::concatenate(xt::xtuple(x, xt::reshape_view(y, {n, std::size_t(1)})), 1);
  const dvec a = xt::view(table_all, xt::range(0, 250), xt::all()),
             b = xt::view(table_all, xt::range(250, n), xt::all());
  auto got = run_joined<P>(a, b, [&](auto& s, const auto& t) {
    auto w = tfe::stats::linear_regression(tfe::slice(t, 1, 0, k), tfe::slice(t, 1, k, k + 1));
    auto v = s.reveal_to("analyst", w);
    return v ? *v : dvec();
  });
  dvec xa = xt::concatenate(xt::xtuple(x, xt::ones<double>({n, std::size_t(1)})), 1);
  const auto ref = least_squares(xa, y);
  REQUIRE(got.size() == k + 1);
  double norm = 0;
  for (double v : ref) norm += v * v;
  double worst = 0;
  for (std::size_t c = 0; c <= k; ++c) {
    CAPTURE(c);
    CHECK(std::fabs(got(c) - ref[c]) <= 1e-3 * std::sqrt(norm) + 1e-3);
    worst = std::max(worst, std::fabs(got(c) - ref[c]));
  }
  MESSAGE("largest coefficient error ", worst, " (coefficients' norm ", std::sqrt(norm), ")");
  // Without the intercept: the least squares of y on X alone.
  auto got0 = run_joined<P>(a, b, [&](auto& s, const auto& t) {
    tfe::stats::regression_options o;
    o.fit_intercept = false;
    auto w = tfe::stats::linear_regression(tfe::slice(t, 1, 0, k), tfe::slice(t, 1, k, k + 1), o);
    auto v = s.reveal_to("analyst", w);
    return v ? *v : dvec();
  });
  const auto ref0 = least_squares(x, y);
  REQUIRE(got0.size() == k);
  double norm0 = 0;
  for (double v : ref0) norm0 += v * v;
  for (std::size_t c = 0; c < k; ++c) {
    CAPTURE(c);
    CHECK(std::fabs(got0(c) - ref0[c]) <= 1e-3 * std::sqrt(norm0) + 1e-3);
  }
}

TEST_CASE("bad tables are refused, naming the owner, the column and the row") {
  using P = plain64;
  auto run = [&](dvec a, dvec b, std::vector<std::string> names = {}) {
    tfe::run_options opt;
    opt.session.insecure_deterministic_seed = 1;
    tfe::run_local<P>(
        players<P>(),
        [&](auto& s) {
          auto ta = tfe::stats::define_table(
              s, "alice", [&] { return a; }, names);
          auto tb = tfe::stats::define_table(s, "bob", [&] { return b; });
          (void)tfe::stats::column_mean(tfe::stats::join_rows<P>({ta, tb}));
        },
        opt);
  };
  const dvec ok = {{1.0, 2.0}, {3.0, 4.0}};
  auto e = tfe_test::error_of<tfe::player_error>([&] { run(dvec::from_shape({0, 2}), ok); });
  CHECK(tfe_test::contains(e, "alice"));
  CHECK(tfe_test::contains(e, "empty"));
  e = tfe_test::error_of<tfe::player_error>([&] { run({{1.0, NAN}, {3.0, 4.0}}, ok, {"age", "bmi"}); });
  CHECK(tfe_test::contains(e, "'bmi'"));
  CHECK(tfe_test::contains(e, "row 0"));
  CHECK(tfe_test::contains(e, "not a finite number"));
  e = tfe_test::error_of<tfe::player_error>([&] { run({{1.0, 2.0}, {40000.0, 4.0}}, ok, {"age", "bmi"}); });
  CHECK(tfe_test::contains(e, "'age'"));
  CHECK(tfe_test::contains(e, "row 1"));
  CHECK(tfe_test::contains(e, "fixed-point range"));
  e = tfe_test::error_of<tfe::player_error>([&] { run(ok, {{1.0, 2.0, 3.0}}); });
  CHECK(tfe_test::contains(e, "'bob' has 3 columns"));
  CHECK(tfe_test::contains(e, "'alice' has 2"));
  e = tfe_test::error_of<tfe::player_error>([&] { run(ok, {{INFINITY, 2.0}}); });
  CHECK(tfe_test::contains(e, "bob"));
  CHECK(tfe_test::contains(e, "#0"));
  // Bad arguments of the statistics themselves (public, so every player refuses them alike).
  auto stat = [&](auto&& fn) {
    tfe::run_local<P>(players<P>(), [&](auto& s) {
      auto t = tfe::stats::define_table(s, "alice", [&] { return ok; });
      fn(s, t.values);
    });
  };
  e = tfe_test::error_of<tfe::player_error>([&] {
    stat([](auto&, const auto& x) { (void)tfe::stats::histogram(x, {{0.0, 1.0}, {0.0, 2.0, 1.0}}); });
  });
  CHECK(tfe_test::contains(e, "column #1 has 3 edges"));
  e = tfe_test::error_of<tfe::player_error>([&] {
    stat([](auto&, const auto& x) { (void)tfe::stats::histogram(x, {{0.0, 1.0}, {2.0, 1.0}}); });
  });
  CHECK(tfe_test::contains(e, "not strictly increasing"));
  e = tfe_test::error_of<tfe::player_error>(
      [&] { stat([](auto&, const auto& x) { (void)tfe::stats::describe(x, "nobody"); }); });
  CHECK(tfe_test::contains(e, "nobody"));
  e = tfe_test::error_of<tfe::player_error>([&] {
    stat([](auto&, const auto& x) { (void)tfe::stats::quantiles(tfe::reshape(x, {-1}), {0.5, 1.5}); });
  });
  CHECK(tfe_test::contains(e, "level 1.5 is outside [0, 1]"));
  e = tfe_test::error_of<tfe::player_error>(
      [&] { stat([](auto&, const auto& x) { (void)tfe::stats::group_by_public(x, {1.0}, 1); }); });
  CHECK(tfe_test::contains(e, "1 categories for 2 rows"));
  e = tfe_test::error_of<tfe::player_error>([&] { run(ok, ok, {"age"}); });
  CHECK(tfe_test::contains(e, "2 columns but 1 column names"));
}

}  // namespace test_stats
