// tests/test_approx_smooth.cpp: erf, gelu, gelu_tanh, tanh_accurate and sigmoid_accurate
// (tfe/ops/approx_smooth.hpp) and the masked softmax (approx_elementary.hpp) under plain, Pond, ABY3
// and SecureNN in ring64, and Pond in ring128. Each function is checked against double math on the
// ENCODED input over a dense grid of its polynomial range, every breakpoint and its neighbours one
// step away, and points outside up to the edge of the fixed-point range, asserting the DOCUMENTED
// bound  |ŷ − g(x)| ≤ max(ε_fit, ε_out) + 3·2^-f.
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "tfe/tfe.hpp"

#include <array>
#include <cmath>
#include <random>
#include <string>
#include <utility>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_approx_smooth {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using pond128 = tfe::pond<tfe::ring128>;
using aby3_64 = tfe::aby3<tfe::ring64>;
using securenn64 = tfe::securenn<tfe::ring64>;

/// Run options with the ring's preset fixed point and truncation `mode`.
template <class P>
tfe::run_options with_truncation(tfe::truncation_mode mode) {
  tfe::run_options o;
  const auto preset = tfe::fixed_point_config::preset<typename P::ring>();
  o.session.fixed_point = tfe::fixed_point_config{preset.frac_bits, preset.int_bits, mode};
  return o;
}

template <class P, class F>
xt::xarray<double> eval(const xt::xarray<double>& xs, F&& fn,
                        tfe::truncation_mode mode = tfe::truncation_mode::probabilistic) {
  const auto o = with_truncation<P>(mode);
  auto r = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        auto x = s.define_private_input(P::default_players()[0], [&] { return xs; });
        auto out = s.reveal_to(P::default_players()[0], fn(x));
        return out ? *out : xt::xarray<double>();
      },
      o);
  return r[0];
}

struct smooth_case {
  const char* name;
  double lo, hi;        // the polynomial range
  double fit, outside;  // documented ε_fit and ε_out
  double (*ref)(double);
};

double gelu_ref(double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }
double gelu_tanh_ref(double v) {
  return 0.5 * v * (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
}
double sigmoid_ref(double v) { return 1 / (1 + std::exp(-v)); }
double erf_ref(double v) { return std::erf(v); }
double tanh_ref(double v) { return std::tanh(v); }

const smooth_case cases[] = {
    {"erf", -4, 4, 6.4e-5, 1.6e-8, erf_ref},
    {"gelu", -5, 5, 5.2e-5, 1.5e-6, gelu_ref},
    {"gelu_tanh", -5, 5, 5.2e-5, 2.3e-7, gelu_tanh_ref},
    {"tanh_accurate", -6, 6, 8.0e-5, 1.3e-5, tanh_ref},
    {"sigmoid_accurate", -12, 12, 3.6e-5, 6.2e-6, sigmoid_ref},
};

template <class X>
auto apply(const std::string& name, const X& x) {
  if (name == "erf") return tfe::erf(x);
  if (name == "gelu") return tfe::gelu(x);
  if (name == "gelu_tanh") return tfe::gelu_tanh(x);
  if (name == "tanh_accurate") return tfe::tanh_accurate(x);
  return tfe::sigmoid_accurate(x);
}

/// The grid: n points on [lo − 1, hi + 1], each breakpoint and its neighbours, and far points.
xt::xarray<double> grid(const smooth_case& c, std::size_t n, const tfe::fixed_point_config& cfg) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(c.lo - 1 + (c.hi - c.lo + 2) * double(i) / double(n - 1));
  const double w = c.name == std::string("sigmoid_accurate") ? 2 : 1;
  for (double e = c.lo; e <= c.hi; e += w)
    for (double d : {-cfg.resolution(), 0.0, cfg.resolution()}) v.push_back(e + d);
  const double big = cfg.bound() - 1;
  for (double f : {20.0, 100.0, 1000.0, big}) {
    v.push_back(f);
    v.push_back(-f);
  }
  xt::xarray<double> out = xt::zeros<double>({v.size()});
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

template <class P>
void check_smooth(std::size_t n, tfe::truncation_mode mode = tfe::truncation_mode::probabilistic) {
  const auto cfg = tfe::fixed_point_config::preset<typename P::ring>();
  for (const auto& c : cases) {
    auto xs = grid(c, n, cfg);
    auto ys = eval<P>(
        xs, [&](auto& x) { return apply(c.name, x); }, mode);
    REQUIRE(ys.size() == xs.size());
    double worst = 0, wx = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double xq = std::nearbyint(xs(i) * cfg.scale()) / cfg.scale();
      const double err = std::fabs(ys(i) - c.ref(xq));
      if (err > worst) worst = err, wx = xq;
    }
    const double bound = std::max(c.fit, c.outside) + 3 * cfg.resolution();
    INFO(std::string(c.name) << ": max error " << worst << " at x = " << wx << ", bound " << bound);
    MESSAGE(std::string(c.name) << " max |error| = " << worst << " (bound " << bound << ")");
    CHECK(worst <= bound);
  }
}

}  // namespace

TEST_CASE("smooth activations: documented bounds over the whole range, plain ring64") { check_smooth<plain64>(20001); }
TEST_CASE("smooth activations: documented bounds over the whole range, pond ring64") { check_smooth<pond64>(20001); }
TEST_CASE("smooth activations: documented bounds over the whole range, aby3 ring64") { check_smooth<aby3_64>(20001); }
TEST_CASE("smooth activations: documented bounds over the whole range, securenn ring64") {
  check_smooth<securenn64>(2001);
}
TEST_CASE("smooth activations: documented bounds over the whole range, pond ring128") { check_smooth<pond128>(4001); }
// Under the exact truncation GELU's outer slope joins the polynomial's sum of products (approx_smooth.hpp).
TEST_CASE("smooth activations: documented bounds with the exact truncation, aby3 and pond ring64, aby3 ring128") {
  check_smooth<aby3_64>(20001, tfe::truncation_mode::exact);
  check_smooth<pond64>(20001, tfe::truncation_mode::exact);
  check_smooth<tfe::aby3<tfe::ring128>>(4001, tfe::truncation_mode::exact);
}

template <class P>
void check_sum_of_products(tfe::truncation_mode mode) {
  // Σ_i a_i ⊙ b_i over 5 rows of 300 values in [−4, 4]: within one truncation's ulp (and the encoding
  // of the operands: 5·2·4·2^-f), in ONE truncated product of 300 outputs.
  std::mt19937_64 gen(std::random_device{}());
  std::uniform_real_distribution<double> u(-4, 4);
  const std::size_t k = 5, n = 300;
  xt::xarray<double> as = xt::zeros<double>({k, n}), bs = xt::zeros<double>({k, n});
  for (auto& v : as) v = u(gen);
  for (auto& v : bs) v = u(gen);
  const auto preset = tfe::fixed_point_config::preset<typename P::ring>();
  const auto o = with_truncation<P>(mode);
  const auto out = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        auto a = s.define_private_input(P::default_players()[0], [&] { return as; });
        auto b = s.define_private_input(P::default_players()[0], [&] { return bs; });
        const auto before = s.stats().tag("mul");
        auto y = tfe::detail::sum_of_products(a, b);
        auto cost = s.stats().tag("mul");
        cost.bytes_sent -= before.bytes_sent;
        cost.rounds -= before.rounds;
        auto v = s.reveal_to(P::default_players()[0], y);
        return std::make_pair(v ? *v : xt::xarray<double>(), cost);
      },
      o);
  const auto& ys = out[0].first;
  REQUIRE(ys.size() == n);
  const double ulp = preset.resolution();
  for (std::size_t e = 0; e < n; ++e) {
    double want = 0;
    for (std::size_t i = 0; i < k; ++i) want += as(i, e) * bs(i, e);
    INFO("element " << e);
    CHECK(std::fabs(ys(e) - want) <= (1 + 5 * 2 * 4) * ulp);
  }
  if constexpr (std::is_same_v<P, aby3_64>) {
    // ABY3 reshares one value per output, not k: the cost of one truncated product of n outputs.
    const auto want = mode == tfe::truncation_mode::exact
                          ? aby3_64::cost_model::exact_bilinear_truncated(n, preset.frac_bits, 0)
                          : aby3_64::cost_model::bilinear_truncated(n);
    for (std::size_t p = 0; p < 3; ++p) {
      CAPTURE(p);
      CHECK(out[p].second.bytes_sent == want.player[p].bytes_sent);
      CHECK(out[p].second.rounds == want.player[p].rounds);
    }
  }
}

TEST_CASE("sum_of_products: the sum within an ulp, one truncated product per output (ABY3's cost)") {
  for (auto mode : {tfe::truncation_mode::probabilistic, tfe::truncation_mode::exact}) {
    CAPTURE(static_cast<int>(mode));
    check_sum_of_products<plain64>(mode);
    check_sum_of_products<pond64>(mode);
    check_sum_of_products<aby3_64>(mode);
    check_sum_of_products<securenn64>(mode);
  }
}

TEST_CASE("smooth activations: rounds as documented (Pond ring64: the sign test's 7, then 4 or 5 product rounds)") {
  auto rounds = tfe::run_local<pond64>(pond64::default_players(), [&](auto& s) {
    auto x = s.define_private_input("server0", [] { return xt::xarray<double>{-7.0, -0.3, 0.0, 2.5, 9.0}; });
    (void)tfe::gelu(x);
    (void)tfe::erf(x);
    (void)tfe::detail::step_bits(x, {-5.0, 0.0, 5.0});  // the comparison alone, as a reference
    return std::array<std::uint64_t, 3>{s.stats().tag("gelu").rounds, s.stats().tag("erf").rounds,
                                        s.stats().tag("pond_sign").rounds};
  });
  const auto& s0 = rounds[0];
  CHECK(s0[2] == 3 * 7);  // three sign tests of 7 rounds each
  CHECK(s0[0] == 7 + 5);  // gelu: degree 6, powers in 3 rounds
  CHECK(s0[1] == 7 + 4);  // erf: degree 4
}

template <class P>
void check_masked_softmax(tfe::truncation_mode mode = tfe::truncation_mode::probabilistic) {
  std::mt19937_64 gen(std::random_device{}());
  std::normal_distribution<double> nd(0, 4);
  const std::size_t b = 3, q = 5, k = 7;
  xt::xarray<double> xs = xt::zeros<double>({b, q, k});
  for (auto& v : xs) v = nd(gen);
  // A causal mask (key j ≤ query i) broadcast over the batch, and one row with a single kept entry.
  xt::xarray<bool> keep = xt::zeros<bool>({std::size_t{1}, q, k});
  for (std::size_t i = 0; i < q; ++i)
    for (std::size_t j = 0; j <= i; ++j) keep(0, i, j) = true;
  auto ys = eval<P>(
      xs, [&](auto& x) { return tfe::softmax(x, keep, -1); }, mode);
  const double bound = 8 * tfe::fixed_point_config::preset<typename P::ring>().resolution() + 3e-7;
  for (std::size_t a = 0; a < b; ++a)
    for (std::size_t i = 0; i < q; ++i) {
      double m = -1e300, total = 0;
      for (std::size_t j = 0; j <= i; ++j) m = std::max(m, xs(a, i, j));
      for (std::size_t j = 0; j <= i; ++j) total += std::exp(xs(a, i, j) - m);
      for (std::size_t j = 0; j < k; ++j) {
        if (j > i) {
          CHECK(ys(a, i, j) == 0.0);  // masked: exactly 0
        } else {
          INFO("row " << a << "," << i << " entry " << j);
          CHECK(std::fabs(ys(a, i, j) - std::exp(xs(a, i, j) - m) / total) <= bound);
        }
      }
    }
}

TEST_CASE("masked softmax: masked entries are exactly 0, the rest within softmax's bound") {
  check_masked_softmax<plain64>();
  check_masked_softmax<pond64>();
  check_masked_softmax<aby3_64>();
  check_masked_softmax<securenn64>();
  check_masked_softmax<aby3_64>(tfe::truncation_mode::exact);
  check_masked_softmax<pond64>(tfe::truncation_mode::exact);
  check_masked_softmax<tfe::aby3<tfe::ring128>>(tfe::truncation_mode::exact);
}

TEST_CASE("masked softmax: a fully masked row and a mask of the wrong shape are refused by name") {
  xt::xarray<double> xs = {{1.0, 2.0}, {3.0, 4.0}};
  xt::xarray<bool> keep = {{true, false}, {false, false}};
  auto msg =
      tfe_test::error_of<tfe::error>([&] { eval<plain64>(xs, [&](auto& x) { return tfe::softmax(x, keep, -1); }); });
  CHECK(tfe_test::contains(msg, "row 1"));
  CHECK(tfe_test::contains(msg, "entirely masked"));
  xt::xarray<bool> wrong = xt::ones<bool>({std::size_t{3}});
  msg = tfe_test::error_of<tfe::error>([&] { eval<plain64>(xs, [&](auto& x) { return tfe::softmax(x, wrong, -1); }); });
  INFO(msg);
  CHECK(tfe_test::contains(msg, "cannot be broadcast"));
}

template <class P>
void check_layer_norm() {
  // Rows of 64 with standard deviations from 0.1 to 100 (σ² from 10^-2 to 10^4) and random means.
  std::mt19937_64 gen(std::random_device{}());
  const std::size_t rows = 25, n = 64;
  xt::xarray<double> xs = xt::zeros<double>({rows, n});
  for (std::size_t r = 0; r < rows; ++r) {
    const double sd = std::pow(10.0, -1.0 + 3.0 * double(r) / double(rows - 1));
    std::normal_distribution<double> nd(std::uniform_real_distribution<double>(-50, 50)(gen), sd);
    for (std::size_t j = 0; j < n; ++j) xs(r, j) = nd(gen);
  }
  const double eps = 1e-5;
  auto ys = eval<P>(xs, [&](auto& x) { return tfe::layer_norm(x, {-1}, eps); });
  const auto cfg = tfe::fixed_point_config::preset<typename P::ring>();
  const double u = cfg.resolution();
  for (std::size_t r = 0; r < rows; ++r) {
    double mu = 0, var = 0;
    std::vector<double> q(n);
    for (std::size_t j = 0; j < n; ++j) mu += (q[j] = std::nearbyint(xs(r, j) * cfg.scale()) / cfg.scale());
    mu /= double(n);
    for (double v : q) var += (v - mu) * (v - mu);
    var /= double(n);
    const double inv = 1 / std::sqrt(var + eps), sd = std::sqrt(var);
    for (std::size_t j = 0; j < n; ++j) {
      const double y = (q[j] - mu) * inv;
      const double bound = u * (3 + 2 * inv + std::fabs(y) * (6 + 2 / inv + (1 + 2 * sd) / (var + eps)));
      INFO("row " << r << " (σ² = " << var << ") entry " << j << ": " << ys(r, j) << " for " << y);
      CHECK(std::fabs(ys(r, j) - y) <= bound);
    }
  }
}

TEST_CASE("layer_norm: the documented bound for variances from 1e-2 to 1e4") {
  check_layer_norm<plain64>();
  check_layer_norm<pond64>();
  check_layer_norm<aby3_64>();
  check_layer_norm<securenn64>();
  check_layer_norm<pond128>();
}

}  // namespace test_approx_smooth
