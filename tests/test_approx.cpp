// tests/test_approx.cpp: the piecewise approximations and exact helpers of tfe/ops/approx.hpp —
// sigmoid (23 pieces), sigmoid_3piece, tanh, abs, sign, clip, minimum, min — on plain<ring64>,
// pond<ring64> and pond<ring128>: dense grids over the whole fixed-point range, asserting each
// DOCUMENTED maximum error against double math on the encoded input (0 for the exact ones), and the
// documented cost (one batched sign test, at most one product round).
// exp, reciprocal, inv_sqrt, sqrt, log, softmax: tests/test_approx_elementary.cpp.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <type_traits>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_approx {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using pond128 = tfe::pond<tfe::ring128>;

/// Dense grids, smaller for ring128 Pond (time and memory of the batched sign tests).
template <class P>
std::size_t points(std::size_t n) {
  return tfe::ring_traits<typename P::ring>::bits > 64 ? n / 3 : n;
}

template <class P>
tfe::fixed_point_config preset() {
  return tfe::fixed_point_config::preset<typename P::ring>();
}

std::uint64_t seed() {
  const char* env = std::getenv("TFE_APPROX_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20240612;
}

/// fn on the secret-shared xs, revealed to server0; also server0's statistics of the op tag.
template <class P, class F>
std::pair<xt::xarray<double>, tfe::op_stats> eval(const xt::xarray<double>& xs, F&& fn, const std::string& tag = "") {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = seed();
  auto r = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        auto x = s.define_private_input("server0", [&] { return xs; });
        auto out = s.reveal_to("server0", fn(x));
        return std::make_pair(out ? *out : xt::xarray<double>(), s.stats().tag(tag));
      },
      opt);
  return r[0];
}

double quantize(double x, const tfe::fixed_point_config& c) { return std::nearbyint(x * c.scale()) / c.scale(); }

/// A dense grid of [−a, a] plus the extremes of the fixed-point range and a few exact breakpoints.
xt::xarray<double> grid(double a, std::size_t n, const tfe::fixed_point_config& c) {
  xt::xarray<double> g = xt::linspace<double>(-a, a, n);
  const double big = c.bound() - 1;
  xt::xarray<double> extra = {-big, -1000.0, -8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0, 1000.0, big};
  return xt::concatenate(xt::xtuple(g, extra));
}

template <class Ref>
double max_error(const xt::xarray<double>& xs, const xt::xarray<double>& ys, Ref ref,
                 const tfe::fixed_point_config& c) {
  REQUIRE(ys.size() == xs.size());
  double worst = 0;
  for (std::size_t i = 0; i < xs.size(); ++i)
    worst = std::max(worst, std::fabs(ys.data()[i] - ref(quantize(xs.data()[i], c))));
  return worst;
}

double sigma(double v) { return 1.0 / (1.0 + std::exp(-v)); }

template <class P>
constexpr bool is_pond = std::is_same_v<P, pond64> || std::is_same_v<P, pond128>;

/// Pond's rounds for one batched sign test of width k (protocol/pond/compare.hpp): open c, the carry
/// tree of ⌈log2(k − 1)⌉ levels, the bit conversion.
std::uint64_t pond_sign_rounds(unsigned k) {
  std::uint64_t levels = 0;
  while ((1u << levels) < k - 1) ++levels;
  return 1 + levels + 1;
}

}  // namespace

TEST_CASE_TEMPLATE("sigmoid: 23 pieces, error <= 0.00299 + 2^-(f-1) on the whole line", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  auto xs = grid(40, points<P>(40001), c);
  auto [y, st] = eval<P>(
      xs, [](auto& x) { return tfe::sigmoid(x); }, "sigmoid");
  CHECK(max_error(xs, y, sigma, c) <= 0.00299 + 2 * c.resolution());
  // One batched sign test (differences: used_bits() + 1) and one product round.
  if constexpr (is_pond<P>) CHECK(st.rounds == pond_sign_rounds(c.used_bits() + 1) + 1);
}

TEST_CASE_TEMPLATE("sigmoid_3piece: 0 / 0.5 + x/4 / 1, error 0.1193 against the sigmoid", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  auto xs = grid(20, points<P>(20001), c);
  auto [y, st] = eval<P>(
      xs, [](auto& x) { return tfe::sigmoid_3piece(x); }, "sigmoid_3piece");
  CHECK(max_error(xs, y, sigma, c) <= 0.1193 + 2 * c.resolution());
  CHECK(max_error(xs, y, sigma, c) >= 0.1192);
  // It IS the clipped line, up to one truncation.
  CHECK(max_error(
            xs, y, [](double v) { return std::clamp(0.5 + v / 4, 0.0, 1.0); }, c) <= 2 * c.resolution());
  if constexpr (is_pond<P>) CHECK(st.rounds == pond_sign_rounds(c.used_bits() + 1) + 1);
}

TEST_CASE_TEMPLATE("tanh = 2 sigmoid(2x) - 1: error <= 0.0060 + 2^-(f-1)", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  auto xs = grid(20, points<P>(40001), c);
  auto [y, st] = eval<P>(
      xs, [](auto& x) { return tfe::tanh(x); }, "tanh");
  CHECK(max_error(
            xs, y, [](double v) { return std::tanh(v); }, c) <= 0.0060 + 2 * c.resolution());
  if constexpr (is_pond<P>) CHECK(st.rounds == pond_sign_rounds(c.used_bits() + 1) + 1);
  // The same function as 2·sigmoid(2x) − 1 (which doubles sigmoid's fixed-point error), where 2x fits.
  xt::xarray<double> inner = xt::linspace<double>(-20, 20, 4001);
  auto [y1, st1] = eval<P>(inner, [](auto& x) { return tfe::tanh(x); });
  auto [y2, st2] = eval<P>(inner, [](auto& x) { return tfe::sigmoid(x * 2.0) * 2.0 - 1.0; });
  CHECK(xt::amax(xt::abs(y1 - y2))() <= 8 * c.resolution());
}

TEST_CASE_TEMPLATE("abs, sign, clip: exact over the whole range", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  auto xs = grid(c.bound() - 1, points<P>(20001), c);
  auto [ya, sa] = eval<P>(
      xs, [](auto& x) { return tfe::abs(x); }, "abs");
  CHECK(max_error(
            xs, ya, [](double v) { return std::fabs(v); }, c) == 0);
  auto [ys, ss] = eval<P>(
      xs, [](auto& x) { return tfe::sign(x); }, "signum");
  CHECK(max_error(
            xs, ys, [](double v) { return v < 0 ? -1.0 : 1.0; }, c) == 0);  // sign(0) = +1
  if constexpr (is_pond<P>) {
    CHECK(sa.rounds == pond_sign_rounds(c.used_bits()) + 1);  // sign test + one product
    CHECK(ss.rounds == pond_sign_rounds(c.used_bits()));      // sign test only
  }
  for (auto [lo, hi] :
       {std::pair{-3.5, 2.25}, std::pair{0.0, 6.0}, std::pair{1.0, 1.0}, std::pair{-(c.bound() - 2), 100.0}}) {
    auto [yc, sc] = eval<P>(xs, [lo = lo, hi = hi](auto& x) { return tfe::clip(x, lo, hi); });
    CHECK(max_error(
              xs, yc, [lo = lo, hi = hi](double v) { return std::clamp(v, lo, hi); }, c) == 0);
  }
  CHECK_THROWS(eval<P>(xs, [](auto& x) { return tfe::clip(x, 1.0, 0.0); }));
}

TEST_CASE_TEMPLATE("minimum (with broadcasting) and min along an axis: exact", P, plain64, pond64, pond128) {
  const auto c = preset<P>();
  const double big = c.bound() - 1;
  xt::xarray<double> a = {{-big, 3.0, 0.0, -1.5, 7.25}, {2.0, 2.0, -0.5, big, -7.0}, {1e-4, -1e-4, 5.0, -5.0, 0.0}};
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = seed();
  auto r = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        auto x = s.define_private_input("server0", [&] { return a; });
        auto row = s.define_private_input("server0", [] { return xt::xarray<double>{0.0, 2.5, -1.0, 1.0, 0.0}; });
        std::vector<std::optional<xt::xarray<double>>> out;
        out.push_back(s.reveal_to("server0", tfe::minimum(x, row)));  // broadcast (3,5) with (5)
        out.push_back(s.reveal_to("server0", tfe::min(x, -1)));       // along the last axis
        out.push_back(s.reveal_to("server0", tfe::min(x, 0)));        // along the first axis
        out.push_back(s.reveal_to("server0", tfe::minimum(row, row)));
        return out;
      },
      opt);
  auto& o = r[0];
  xt::xarray<double> q = a;
  for (auto& v : q) v = quantize(v, c);
  xt::xarray<double> row = {0.0, 2.5, -1.0, 1.0, 0.0};
  CHECK(*o[0] == xt::xarray<double>(xt::minimum(q, row)));
  CHECK(*o[1] == xt::xarray<double>(xt::amin(q, {1})));
  CHECK(*o[2] == xt::xarray<double>(xt::amin(q, {0})));
  CHECK(*o[3] == row);
}

}  // namespace test_approx
