// tests/test_approx_elementary.cpp: exp, reciprocal, inv_sqrt, sqrt, log and softmax
// (tfe/ops/approx_elementary.hpp) on plain<ring64>, pond<ring64> and pond<ring128>: dense grids of
// each documented domain including its edges, asserting the DOCUMENTED error bound
//   |ŷ − y| ≤ ρ·|y| + α·2^-f      (log and softmax: absolute)
// against double math on the ENCODED input (the value the protocol computes on), and the documented
// behaviour outside the domain (saturation values, never garbage).
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_approx_elementary {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using pond128 = tfe::pond<tfe::ring128>;

template <class P>
tfe::fixed_point_config preset() {
  return tfe::fixed_point_config::preset<typename P::ring>();
}

/// PRG seed of the Pond runs: fixed, so a run is reproducible (TFE_APPROX_SEED overrides it, to
/// check that the bounds do not depend on one lucky draw).
std::uint64_t seed() {
  const char* env = std::getenv("TFE_APPROX_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20240611;
}

/// Runs fn on the secret-shared xs (fixed point c) and reveals the result to server0.
template <class P, class F>
xt::xarray<double> eval(const tfe::fixed_point_config& c, const xt::xarray<double>& xs, F&& fn) {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = seed();
  opt.session.fixed_point = c;
  auto r = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        auto x = s.define_private_input("server0", [&] { return xs; });
        auto out = s.reveal_to("server0", fn(x));
        return out ? *out : xt::xarray<double>();
      },
      opt);
  return r[0];
}

/// Grid sizes: dense, but ring128 Pond runs 64 sign-test thresholds per point, so fewer points there
/// (the time and memory of this test stay a few seconds and a few hundred MB).
template <class P>
std::size_t points() {
  return tfe::ring_traits<typename P::ring>::bits > 64 ? 8001 : 20001;
}

/// The largest encodable value below 2^I (in a double).
double largest(const tfe::fixed_point_config& c) {
  return std::min(c.bound() - c.resolution(), std::nextafter(c.bound(), 0.0));
}

/// The encoded input: round(x·2^f)/2^f.
double quantize(double x, const tfe::fixed_point_config& c) { return std::nearbyint(x * c.scale()) / c.scale(); }

/// 2^a .. 2^b, n points uniform in the exponent, plus every power of two in range and its neighbours
/// one step below and above (the bucket edges).
xt::xarray<double> log_grid(double a, double b, std::size_t n, const tfe::fixed_point_config& c) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(std::min(std::exp2(a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1)),
                         std::min(std::exp2(b) - c.resolution(), std::nextafter(std::exp2(b), 0.0))));
  for (int j = static_cast<int>(std::ceil(a)); j < b; ++j) {
    const double p = std::ldexp(1.0, j);
    for (double d : {-c.resolution(), 0.0, c.resolution()})
      if (p + d >= std::exp2(a) && p + d < std::exp2(b)) v.push_back(p + d);
  }
  xt::xarray<double> out = xt::zeros<double>({v.size()});
  for (std::size_t i = 0; i < v.size(); ++i) out(i) = v[i];
  return out;
}

struct bound {
  double rho, alpha;  // |err| ≤ rho·|y| + alpha·2^-f
};

/// The documented bounds (approx_elementary.hpp), as functions of the step u = 2^-f.
bound exp_bound(const tfe::fixed_point_config& c) { return {16 * c.resolution() + 2.5e-7, 2}; }
bound newton_bound(const tfe::fixed_point_config& c) { return {4 * c.resolution(), 2}; }  // reciprocal, inv_sqrt
bound sqrt_bound(const tfe::fixed_point_config& c) { return {4 * c.resolution(), 3}; }
bound log_bound(const tfe::fixed_point_config& c) { return {0, 4 + 4e-8 * c.scale()}; }
double softmax_bound(const tfe::fixed_point_config& c) { return 8 * c.resolution() + 3e-7; }

/// Checks every point; reports the worst one.
template <class Ref>
void check_bound(const char* what, const xt::xarray<double>& xs, const xt::xarray<double>& ys, Ref ref, bound b,
                 const tfe::fixed_point_config& c) {
  REQUIRE(ys.size() == xs.size());
  double worst = -1, wx = 0, wy = 0, wr = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double y = ref(quantize(xs.data()[i], c));
    const double slack = b.rho * std::fabs(y) + b.alpha * c.resolution() - std::fabs(ys.data()[i] - y);
    if (worst < 0 || -slack > worst) {
      worst = -slack;
      wx = xs.data()[i];
      wy = ys.data()[i];
      wr = y;
    }
  }
  INFO(what << ": worst point x = " << wx << " gives " << wy << ", expected " << wr);
  CHECK(worst <= 0);
}

template <class P>
void check_exp(const tfe::fixed_point_config& c, std::size_t n) {
  const double f = c.frac_bits, top = c.int_bits - 0.5, ulp = c.resolution();
  xt::xarray<double> grid = xt::linspace<double>(-f * std::log(2.0), top * std::log(2.0) - 2 * ulp, n);
  auto y = eval<P>(c, grid, [](auto& x) { return tfe::exp(x); });
  check_bound(
      "exp", grid, y, [](double v) { return std::exp(v); }, exp_bound(c), c);

  // The brief's target: relative error ≤ 1% on [−10, 10] wherever the output has 200 steps (all of it
  // for ring128; x ≥ −5.8 for ring64, below which the 2 steps of absolute error dominate).
  double worst_rel = 0;
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const double xq = quantize(grid(i), c), ref = std::exp(xq);
    if (xq >= -10 && xq <= 10 && ref >= 200 * ulp) worst_rel = std::max(worst_rel, std::fabs(y(i) - ref) / ref);
  }
  CHECK(worst_rel <= 0.01);

  // Outside: below −f·ln2 it is 0 (true value < 2^-f), from (I − ½)·ln2 on 2^(I−½).
  const double lo = -f * std::log(2.0), hi = top * std::log(2.0), big = c.bound() - 1;
  xt::xarray<double> out = {lo - 0.01, lo - 1, -30.0, -1000.0, -big, hi + 0.01, hi + 1, 100.0, 1000.0, big};
  auto yo = eval<P>(c, out, [](auto& x) { return tfe::exp(x); });
  for (std::size_t i = 0; i < 5; ++i) CHECK(std::fabs(yo(i)) <= ulp);
  for (std::size_t i = 5; i < out.size(); ++i) CHECK(yo(i) == doctest::Approx(std::exp2(top)).epsilon(1e-9));
}

template <class P>
void check_reciprocal(const tfe::fixed_point_config& c, std::size_t n) {
  const double ulp = c.resolution();
  const int j_lo = std::max(1 - static_cast<int>(c.int_bits), -static_cast<int>(c.frac_bits));
  auto grid = log_grid(j_lo, c.int_bits, n, c);
  auto y = eval<P>(c, grid, [](auto& x) { return tfe::reciprocal(x); });
  check_bound(
      "reciprocal", grid, y, [](double v) { return 1 / v; }, newton_bound(c), c);

  // Below the domain (including 0 and negatives): 2^-j_lo; the largest inputs give ~0, not garbage.
  const double sat = std::exp2(-j_lo), big = largest(c);
  xt::xarray<double> out = {std::exp2(j_lo) - ulp, 0.0, -ulp, -1.0, -big, big, big / 2};
  auto yo = eval<P>(c, out, [](auto& x) { return tfe::reciprocal(x); });
  for (std::size_t k = 0; k < 5; ++k) CHECK(yo(k) == doctest::Approx(sat).epsilon(newton_bound(c).rho));
  CHECK(std::fabs(yo(5) - 1 / big) <= 2 * ulp);
  CHECK(std::fabs(yo(6) - 2 / big) <= 2 * ulp);
}

template <class P>
void check_inv_sqrt(const tfe::fixed_point_config& c, std::size_t n) {
  const double f = c.frac_bits, ulp = c.resolution();
  auto grid = log_grid(-f, c.int_bits, n, c);
  auto yi = eval<P>(c, grid, [](auto& x) { return tfe::inv_sqrt(x); });
  check_bound(
      "inv_sqrt", grid, yi, [](double v) { return 1 / std::sqrt(v); }, newton_bound(c), c);
  auto ys = eval<P>(c, grid, [](auto& x) { return tfe::sqrt(x); });
  check_bound(
      "sqrt", grid, ys, [](double v) { return std::sqrt(v); }, sqrt_bound(c), c);

  // x ≤ 0: inv_sqrt gives 2^(f/2) (its value at 2^-f), sqrt gives 0.
  xt::xarray<double> out = {0.0, -ulp, -1.0, -(c.bound() - 1)};
  auto yo = eval<P>(c, out, [](auto& x) { return tfe::inv_sqrt(x); });
  for (std::size_t k = 0; k < out.size(); ++k)
    CHECK(yo(k) == doctest::Approx(std::exp2(f / 2)).epsilon(newton_bound(c).rho));
  auto so = eval<P>(c, out, [](auto& x) { return tfe::sqrt(x); });
  for (std::size_t k = 0; k < out.size(); ++k) CHECK(std::fabs(so(k)) <= 2 * ulp);
}

template <class P>
void check_log(const tfe::fixed_point_config& c, std::size_t n) {
  const double f = c.frac_bits, i = c.int_bits, ulp = c.resolution();
  auto grid = log_grid(-f, i, n, c);
  // the half-octave edges 2^(j−½) rounded up to the grid, and their neighbours
  std::vector<double> pts(grid.begin(), grid.end());
  for (int j = -static_cast<int>(f); j <= static_cast<int>(i); ++j) {
    const double e = std::ceil(std::exp2(j - 0.5 + f)) * ulp;
    for (double d : {-ulp, 0.0, ulp})
      if (e + d >= ulp && e + d <= largest(c)) pts.push_back(e + d);
  }
  xt::xarray<double> all = xt::zeros<double>({pts.size()});
  std::copy(pts.begin(), pts.end(), all.begin());
  auto y = eval<P>(c, all, [](auto& x) { return tfe::log(x); });
  check_bound(
      "log", all, y, [](double v) { return std::log(v); }, log_bound(c), c);
  CHECK(std::fabs(eval<P>(c, xt::xarray<double>{1.0}, [](auto& x) { return tfe::log(x); })(0)) <= 2 * ulp);

  // x ≤ 0: −(f+1)·ln2, below every value in the domain.
  xt::xarray<double> out = {0.0, -ulp, -1.0, -(c.bound() - 1)};
  auto yo = eval<P>(c, out, [](auto& x) { return tfe::log(x); });
  for (std::size_t k = 0; k < out.size(); ++k) CHECK(std::fabs(yo(k) + (f + 1) * std::log(2.0)) <= 4 * ulp);
}

template <class P>
void check_softmax(const tfe::fixed_point_config& c, std::vector<std::size_t> shape, long axis, double spread) {
  static std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> u(-spread, spread);
  xt::xarray<double> xs = xt::zeros<double>(shape);
  for (auto& v : xs) v = u(gen);
  if (xs.size() > 3) xs.data()[1] = xs.data()[0];  // a tie
  auto y = eval<P>(c, xs, [axis](auto& x) { return tfe::softmax(x, axis); });
  REQUIRE(y.shape() == xs.shape());
  xt::xarray<double> q = xs;
  for (auto& v : q) v = quantize(v, c);
  const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<long>(shape.size()) : axis);
  // Row-major geometry around the axis: element (o, j, k) at (o·n + j)·inner + k.
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= shape[d];
  for (std::size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::size_t n = shape[a];
  double worst = 0, sum_err = 0;
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t k = 0; k < inner; ++k) {
      auto at = [&](std::size_t j) { return (o * n + j) * inner + k; };
      double mx = -1e300, total = 0, got = 0;
      for (std::size_t j = 0; j < n; ++j) mx = std::max(mx, q.data()[at(j)]);
      for (std::size_t j = 0; j < n; ++j) total += std::exp(q.data()[at(j)] - mx);
      for (std::size_t j = 0; j < n; ++j) {
        worst = std::max(worst, std::fabs(y.data()[at(j)] - std::exp(q.data()[at(j)] - mx) / total));
        got += y.data()[at(j)];
      }
      sum_err = std::max(sum_err, std::fabs(got - 1));
    }
  INFO("shape " << tfe::shape_str(tfe::shape_of(xs)) << " axis " << axis << " spread " << spread << ": max error "
                << worst << ", max |sum − 1| " << sum_err);
  CHECK(worst <= softmax_bound(c));
  CHECK(sum_err <= static_cast<double>(n) * softmax_bound(c));
}

}  // namespace

TEST_CASE_TEMPLATE("exp: relative error over [-f ln2, (I - 1/2) ln2], saturation outside", P, plain64, pond64,
                   pond128) {
  check_exp<P>(preset<P>(), points<P>());
}

TEST_CASE_TEMPLATE("reciprocal: relative error over [2^(1-I), 2^I), saturation below", P, plain64, pond64, pond128) {
  check_reciprocal<P>(preset<P>(), points<P>());
}

TEST_CASE_TEMPLATE("reciprocal with a known range [lo, hi]", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  for (auto [lo, hi] : {std::pair{1.0, 10.0}, std::pair{0.3, 0.4}, std::pair{0.01, 3000.0}}) {
    xt::xarray<double> grid = xt::linspace<double>(lo, hi, 5001);
    auto y = eval<P>(c, grid, [lo = lo, hi = hi](auto& x) { return tfe::reciprocal(x, lo, hi); });
    check_bound(
        "reciprocal(lo, hi)", grid, y, [](double v) { return 1 / v; }, newton_bound(c), c);
  }
  // [0.3, 0.4] lies in one octave: no sign test at all.
  tfe::run_local<P>(P::default_players(), [](auto& s) {
    auto x = s.define_private_input("server0", [] { return xt::xarray<double>{0.3, 0.35}; });
    auto before = s.stats().tag("sign").calls;
    (void)tfe::reciprocal(x, 0.3, 0.4);
    CHECK(s.stats().tag("sign").calls == before);
  });
  try {
    (void)eval<P>(c, xt::xarray<double>{1.0}, [](auto& x) { return tfe::reciprocal(x, 2.0, 1.0); });
    FAIL("a reversed range must throw");
  } catch (const tfe::player_error& e) {
    CHECK_THROWS_AS(e.rethrow_original(), tfe::encoding_error);
  }
  CHECK_THROWS_AS(eval<P>(c, xt::xarray<double>{1.0}, [](auto& x) { return tfe::reciprocal(x, 0.0, 1.0); }),
                  tfe::player_error);
  CHECK_THROWS_AS(eval<P>(c, xt::xarray<double>{1.0}, [](auto& x) { return tfe::inv_sqrt(x, -1.0, 1.0); }),
                  tfe::player_error);
}

TEST_CASE_TEMPLATE("inv_sqrt and sqrt over [2^-f, 2^I), and x <= 0", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  check_inv_sqrt<P>(c, points<P>());
  // With a known range (layer-norm variances, say): fewer thresholds, same error.
  xt::xarray<double> g2 = xt::linspace<double>(0.5, 100.0, 5001);
  auto y2 = eval<P>(c, g2, [](auto& x) { return tfe::inv_sqrt(x, 0.5, 100.0); });
  check_bound(
      "inv_sqrt(lo, hi)", g2, y2, [](double v) { return 1 / std::sqrt(v); }, newton_bound(c), c);
}

TEST_CASE_TEMPLATE("log: absolute error over [2^-f, 2^I), and x <= 0", P, plain64, pond64, pond128) {
  check_log<P>(preset<P>(), points<P>());
}

TEST_CASE_TEMPLATE("softmax: rows of random logits, several axes and sizes", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  check_softmax<P>(c, {300, 10}, -1, 8);
  check_softmax<P>(c, {300, 10}, -1, 40);  // many probabilities below 2^-f
  check_softmax<P>(c, {100, 3}, 1, 1);
  check_softmax<P>(c, {3, 17, 5}, 1, 6);
  check_softmax<P>(c, {40, 2}, -1, 3);
  check_softmax<P>(c, {20, 1}, -1, 3);  // n = 1: exactly 1
  check_softmax<P>(c, {5, 200}, 1, 4);
}

// The buckets, Newton counts and saturation values follow f and I: other splits of ring64 than the
// 16.15 preset, including more integral than fractional bits (scales 2^-j below the resolution).
TEST_CASE_TEMPLATE("non-preset fixed point: f = 12, I = 19 and f = 20, I = 11", P, plain64, pond64) {
  for (auto c : {tfe::fixed_point_config{12, 19}, tfe::fixed_point_config{20, 11}}) {
    CAPTURE(c.frac_bits);
    check_exp<P>(c, 5001);
    check_reciprocal<P>(c, 5001);
    check_inv_sqrt<P>(c, 5001);
    check_log<P>(c, 5001);
    check_softmax<P>(c, {50, 10}, -1, 8);
  }
}

}  // namespace test_approx_elementary
