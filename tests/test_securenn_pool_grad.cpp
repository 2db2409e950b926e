// tests/test_securenn_pool_grad.cpp: max pooling with argmax and its derivative (ops/pool_grad.hpp),
// against a double-precision reference of TensorFlow's MaxPoolGrad (the gradient of each window goes
// to its FIRST maximum, windows that overlap add up, SAME padding never wins), under plain (the
// reference protocol) and SecureNN on both rings; SecureNN must agree with plain exactly.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_securenn_pool_grad {

namespace {

using dvec = xt::xarray<double>;

struct pool_case {
  tfe::shape_t x_shape;
  std::array<std::size_t, 2> pool, strides;
  tfe::padding pad;
};

struct geometry {
  std::size_t out_h, out_w, pad_top, pad_left;
};

geometry geom(const pool_case& c) {
  auto g = tfe::ring_ops::conv2d_geometry(c.x_shape[1], c.x_shape[2], c.pool[0], c.pool[1], c.strides[0], c.strides[1],
                                          c.pad);
  return {g.out_h, g.out_w, g.pad_top, g.pad_left};
}

/// Reference: max of every window, its first argmax (row-major over the window, in-image positions
/// only), and dx = scatter of dy to the argmaxes.
struct reference {
  dvec y, onehot, dx;
};

reference ref(const dvec& x, const dvec& dy, const pool_case& c) {
  const auto g = geom(c);
  const std::size_t N = c.x_shape[0], H = c.x_shape[1], W = c.x_shape[2], C = c.x_shape[3];
  const std::size_t K = c.pool[0] * c.pool[1];
  reference r{xt::zeros<double>({N, g.out_h, g.out_w, C}), xt::zeros<double>({N, g.out_h, g.out_w, K, C}),
              xt::zeros<double>(c.x_shape)};
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox)
        for (std::size_t ch = 0; ch < C; ++ch) {
          bool found = false;
          double best = 0;
          std::size_t bk = 0, by = 0, bx = 0;
          for (std::size_t dy_ = 0; dy_ < c.pool[0]; ++dy_)
            for (std::size_t dx_ = 0; dx_ < c.pool[1]; ++dx_) {
              const long yy = static_cast<long>(oy * c.strides[0] + dy_) - static_cast<long>(g.pad_top);
              const long xx = static_cast<long>(ox * c.strides[1] + dx_) - static_cast<long>(g.pad_left);
              if (yy < 0 || xx < 0 || yy >= static_cast<long>(H) || xx >= static_cast<long>(W)) continue;
              const double v = x(n, static_cast<std::size_t>(yy), static_cast<std::size_t>(xx), ch);
              if (!found || v > best) {
                found = true;
                best = v;
                bk = dy_ * c.pool[1] + dx_;
                by = static_cast<std::size_t>(yy);
                bx = static_cast<std::size_t>(xx);
              }
            }
          r.y(n, oy, ox, ch) = best;
          r.onehot(n, oy, ox, bk, ch) = 1.0;
          r.dx(n, by, bx, ch) += dy(n, oy, ox, ch);
        }
  return r;
}

/// Runs forward-with-argmax, both backward variants and max_pool2d under P; returns what alice sees:
/// {y, onehot (revealed as integers), dx from the kept argmax, dx recomputed, max_pool2d}.
template <class P>
std::vector<dvec> run(const dvec& x, const dvec& dy, const pool_case& c) {
  auto names = P::default_players();
  names.push_back("alice");
  auto res = tfe::run_local<P>(names, [&](auto& s) {
    auto X = s.define_private_input("alice", [&] { return x; });
    auto DY = s.define_private_input("alice", [&] { return dy; });
    auto fwd = tfe::max_pool2d_with_argmax(X, c.pool, c.strides, c.pad);
    auto dx1 = tfe::max_pool2d_backward_from_argmax(fwd.argmax, DY, X.shape(), c.pool, c.strides, c.pad);
    auto dx2 = tfe::max_pool2d_backward(X, DY, c.pool, c.strides, c.pad);
    auto y2 = tfe::max_pool2d(X, c.pool, c.strides, c.pad);
    // The one-hot holds integers: reveal it scaled to fixed point.
    auto oh = tfe::mul_int(fwd.argmax, std::int64_t(1) << s.fixed_point().frac_bits);
    std::vector<dvec> out;
    for (const auto* t : {&fwd.output, &oh, &dx1, &dx2, &y2}) {
      auto v = s.reveal_to("alice", *t);
      if (v) out.push_back(*v);
    }
    return out;
  });
  return res.back();
}

void check_case(const pool_case& c, std::uint64_t seed) {
  CAPTURE(seed);
  std::mt19937_64 g(seed);
  // Small integers (many ties, so "first maximum" matters) and dy on the fixed-point grid.
  std::uniform_int_distribution<int> xi(-3, 3), di(-64, 64);
  dvec x = xt::zeros<double>(c.x_shape);
  for (auto& v : x) v = xi(g) * 0.5;
  const auto ge = geom(c);
  dvec dy = xt::zeros<double>({c.x_shape[0], ge.out_h, ge.out_w, c.x_shape[3]});
  for (auto& v : dy) v = di(g) / 16.0;
  const reference r = ref(x, dy, c);
  const auto plain = run<tfe::plain<tfe::ring64>>(x, dy, c);
  const auto snn = run<tfe::securenn<tfe::ring64>>(x, dy, c);
  const auto snn128 = run<tfe::securenn<tfe::ring128>>(x, dy, c);
  for (const auto* got : {&plain, &snn, &snn128}) {
    REQUIRE(got->size() == 5);
    CHECK((*got)[0] == r.y);
    CHECK((*got)[1] == r.onehot);
    CHECK((*got)[2] == r.dx);
    CHECK((*got)[3] == r.dx);
    CHECK((*got)[4] == r.y);
  }
}

}  // namespace

TEST_CASE("max_pool2d_backward: 2x2 stride 2 VALID, ties") {
  check_case({{2, 4, 6, 3}, {2, 2}, {2, 2}, tfe::padding::valid}, 1);
}

TEST_CASE("max_pool2d_backward: overlapping windows (2x2 stride 1, 3x3 stride 2) accumulate") {
  check_case({{1, 5, 5, 2}, {2, 2}, {1, 1}, tfe::padding::valid}, 2);
  check_case({{2, 7, 7, 1}, {3, 3}, {2, 2}, tfe::padding::valid}, 3);
}

TEST_CASE("max_pool2d_backward: SAME padding (3x3 stride 1, 2x2 stride 2 on odd sizes)") {
  check_case({{1, 5, 4, 2}, {3, 3}, {1, 1}, tfe::padding::same}, 4);
  check_case({{1, 5, 5, 1}, {2, 2}, {2, 2}, tfe::padding::same}, 5);
}

TEST_CASE("max_pool2d_backward: non-square pool") {
  check_case({{1, 4, 6, 2}, {2, 3}, {2, 3}, tfe::padding::valid}, 6);
}

TEST_CASE("max_pool2d_backward_from_argmax: shape errors name the shapes") {
  using P = tfe::plain<tfe::ring64>;
  CHECK_THROWS_AS(
      tfe::run_local<P>(
          {"server0"},
          [](auto& s) {
            auto x = s.define_private_input("server0", [] { return dvec(xt::zeros<double>({1, 4, 4, 1})); });
            auto dy = s.define_private_input("server0", [] { return dvec(xt::zeros<double>({1, 3, 2, 1})); });
            (void)tfe::max_pool2d_backward(x, dy, {2, 2});
          }),
      tfe::player_error);
}

}  // namespace test_securenn_pool_grad
