// tests/conformance/suite_nonlinear.hpp: conformance of the comparison-based ops: relu,
// relu_derivative, less/greater/less_equal/greater_equal/equal and < > <= >=, comparisons with a
// scalar, select, maximum, max and argmax along axes, max_pool2d, and the sign_width::full variants.
// All of them are exact: the inputs are taken on the fixed-point grid (encoded exactly), so results
// must match the double reference exactly. The one product with truncation is select's c·(x − y)
// (c is 0.0 or 1.0): exact in the clear, up to 2·2^-f with share-local truncation.
#ifndef TFE_CONFORMANCE_NONLINEAR_DONE  // not #pragma once: suite.hpp forgets it, for the next protocol of the unit
#define TFE_CONFORMANCE_NONLINEAR_DONE

#include "suite_common.hpp"

namespace TFE_CONFORMANCE_NAMESPACE {

/// Reduction along one axis (removed) by f(values along the axis).
template <class F>
dvec reduce_axis_ref(const dvec& x, long axis_in, F&& f) {
  const shape_t in = shape_of(x);
  const std::size_t axis = static_cast<std::size_t>(axis_in < 0 ? axis_in + static_cast<long>(in.size()) : axis_in);
  shape_t out = in;
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  std::vector<double> line;
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src = idx;
    src.insert(src.begin() + static_cast<std::ptrdiff_t>(axis), 0);
    line.clear();
    for (std::size_t i = 0; i < in[axis]; ++i) {
      src[axis] = i;
      line.push_back(at(x, src));
    }
    return f(line);
  });
}

inline double max_of(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }
/// The FIRST index of the maximum (std::max_element returns the first among ties).
inline double argmax_of(const std::vector<double>& v) {
  return static_cast<double>(std::max_element(v.begin(), v.end()) - v.begin());
}

template <class F>
dvec map_ref(const dvec& x, F&& f) {
  dvec out = x;
  for (auto& v : out) v = f(v);
  return out;
}

template <class F>
dvec zip_ref(const dvec& a, const dvec& b, F&& f) {
  auto shape = tfe::detail::broadcast_shapes(shape_of(a), shape_of(b), "reference");
  dvec x = xt::broadcast(a, shape), y = xt::broadcast(b, shape);
  dvec out = x;
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = f(x.data()[i], y.data()[i]);
  return out;
}

inline double b2d(bool b) { return b ? 1.0 : 0.0; }

/// Grid pairs (x, y) in (-bound, bound) rich in the cases comparisons get wrong: ties, neighbours one
/// ulp apart, 0, ±2^-f, and the extreme pair (bound − 2^-f, −(bound − 2^-f)) both ways round, whose
/// difference needs one bit more than the fixed-point range.
inline std::pair<dvec, dvec> comparison_pairs(data_gen& g, const fixed_model& m, const shape_t& shape) {
  dvec x = g.grid(shape, m.bound);
  dvec y = g.grid(shape, m.bound);
  const double nb = m.near_bound();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = x.data()[i];
    switch (i % 4) {
      case 0:
        y.data()[i] = xi;
        break;  // tie
      case 1:
        y.data()[i] = xi + m.res < m.bound ? xi + m.res : xi - m.res;
        break;  // one ulp apart
      case 2:
        y.data()[i] = xi - m.res > -m.bound ? xi - m.res : xi + m.res;
        break;
      default:
        break;  // independent
    }
  }
  if (x.size() >= 6) {
    x.data()[0] = nb, y.data()[0] = -nb;
    x.data()[1] = -nb, y.data()[1] = nb;
    x.data()[5] = 0, y.data()[5] = m.res;
  }
  return {x, y};
}

TEST_SUITE(TFE_CONFORMANCE_SUITE_NAME) {
  TFE_CONFORMANCE_CASE("relu and relu_derivative: exact, relu'(0) = 1") {
    TFE_CONFORMANCE_SETUP("relu");
    const dvec x = g.grid({4, 6}, m.bound);  // edges: 0, ±2^-f, ±(bound − 2^-f)
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      return {tfe::relu(X), tfe::relu_derivative(X), tfe::relu(X, tfe::sign_width::full),
              tfe::relu_derivative(X, tfe::sign_width::full)};
    });
    REQUIRE(out.size() == 4);
    const dvec r = map_ref(x, [](double v) { return v > 0 ? v : 0.0; });
    const dvec dr = map_ref(x, [](double v) { return b2d(v >= 0); });
    TFE_CHECK_EXACT(out[0], r);
    TFE_CHECK_EXACT(out[1], dr);
    TFE_CHECK_EXACT(out[2], r);
    TFE_CHECK_EXACT(out[3], dr);
  }

  TFE_CONFORMANCE_CASE("comparisons: less, greater, less_equal, greater_equal, equal and < > <= >=") {
    TFE_CONFORMANCE_SETUP("compare");
    const auto [x, y] = comparison_pairs(g, m, {4, 6});
    const dvec r = g.grid({6}, m.bound);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), R = k.bob(r);
      return {tfe::less(X, Y),
              tfe::greater(X, Y),
              tfe::less_equal(X, Y),
              tfe::greater_equal(X, Y),
              tfe::equal(X, Y),
              X<Y, X>
                  Y,
              X <= Y,
              X >= Y,
              tfe::equal(X, X),
              tfe::less(X, R),
              tfe::greater_equal(R, X)};
    });
    REQUIRE(out.size() == 12);
    TFE_CHECK_EXACT(out[0], zip_ref(x, y, [](double a, double b) { return b2d(a < b); }));
    TFE_CHECK_EXACT(out[1], zip_ref(x, y, [](double a, double b) { return b2d(a > b); }));
    TFE_CHECK_EXACT(out[2], zip_ref(x, y, [](double a, double b) { return b2d(a <= b); }));
    TFE_CHECK_EXACT(out[3], zip_ref(x, y, [](double a, double b) { return b2d(a >= b); }));
    TFE_CHECK_EXACT(out[4], zip_ref(x, y, [](double a, double b) { return b2d(a == b); }));
    TFE_CHECK_EXACT(out[5], zip_ref(x, y, [](double a, double b) { return b2d(a < b); }));
    TFE_CHECK_EXACT(out[6], zip_ref(x, y, [](double a, double b) { return b2d(a > b); }));
    TFE_CHECK_EXACT(out[7], zip_ref(x, y, [](double a, double b) { return b2d(a <= b); }));
    TFE_CHECK_EXACT(out[8], zip_ref(x, y, [](double a, double b) { return b2d(a >= b); }));
    TFE_CHECK_EXACT(out[9], full({4, 6}, 1.0));
    TFE_CHECK_EXACT(out[10], zip_ref(x, r, [](double a, double b) { return b2d(a < b); }));  // (4,6) vs (6,)
    TFE_CHECK_EXACT(out[11], zip_ref(r, x, [](double a, double b) { return b2d(a >= b); }));
  }

  TFE_CONFORMANCE_CASE("comparisons with a scalar") {
    TFE_CONFORMANCE_SETUP("compare_scalar");
    dvec x = g.grid({3, 5}, m.bound);
    const double c = m.quantize(0.3 * m.bound);
    x(1, 0) = c;  // tie
    x(1, 1) = c + m.res;
    x(1, 2) = c - m.res;
    x(2, 0) = -m.near_bound();
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      return {tfe::less(X, c),      tfe::greater(X, c), tfe::less(X, 0.0),
              tfe::greater(X, 0.0), tfe::less(X, -c),   tfe::greater(X, -c)};
    });
    REQUIRE(out.size() == 6);
    TFE_CHECK_EXACT(out[0], map_ref(x, [&](double v) { return b2d(v < c); }));
    TFE_CHECK_EXACT(out[1], map_ref(x, [&](double v) { return b2d(v > c); }));
    TFE_CHECK_EXACT(out[2], map_ref(x, [&](double v) { return b2d(v < 0); }));
    TFE_CHECK_EXACT(out[3], map_ref(x, [&](double v) { return b2d(v > 0); }));
    TFE_CHECK_EXACT(out[4], map_ref(x, [&](double v) { return b2d(v < -c); }));
    TFE_CHECK_EXACT(out[5], map_ref(x, [&](double v) { return b2d(v > -c); }));
  }

  TFE_CONFORMANCE_CASE("select and maximum (with broadcasting)") {
    TFE_CONFORMANCE_SETUP("select_maximum");
    // select: |x|, |y| < bound/2 so x − y stays in range for the product c·(x − y).
    const dvec xs = g.grid({3, 4}, m.bound / 2), ys = g.grid({3, 4}, m.bound / 2);
    const dvec cx = g.grid({3, 1}, m.bound / 2), cy = g.grid({3, 1}, m.bound / 2);
    const auto [x, y] = comparison_pairs(g, m, {4, 6});
    const dvec r = g.grid({6}, m.bound), col = g.grid({4, 1}, m.bound), row = g.grid({1, 6}, m.bound);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto XS = k.alice(xs), YS = k.bob(ys), CX = k.alice(cx), CY = k.bob(cy);
      auto X = k.alice(x), Y = k.bob(y), R = k.bob(r), C = k.alice(col), W = k.bob(row);
      return {tfe::select(tfe::less(XS, YS), XS, YS),
              tfe::select(tfe::greater_equal(CX, CY), XS, YS),
              tfe::maximum(X, Y),
              tfe::maximum(X, R),
              tfe::maximum(C, W),
              tfe::maximum(X, Y, tfe::sign_width::full)};
    });
    REQUIRE(out.size() == 6);
    auto mx = [](double a, double b) { return a > b ? a : b; };
    TFE_CHECK_CLOSE(out[0], zip_ref(xs, ys, [](double a, double b) { return a < b ? a : b; }), m.trunc());
    const dvec cond = zip_ref(cx, cy, [](double a, double b) { return b2d(a >= b); });  // (3,1), broadcast
    const dvec cb = xt::broadcast(cond, {3, 4});
    dvec sel = ys;
    for (std::size_t i = 0; i < sel.size(); ++i) sel.data()[i] = cb.data()[i] != 0 ? xs.data()[i] : ys.data()[i];
    TFE_CHECK_CLOSE(out[1], sel, m.trunc());
    TFE_CHECK_EXACT(out[2], zip_ref(x, y, mx));
    TFE_CHECK_EXACT(out[3], zip_ref(x, r, mx));      // (4,6) vs (6,)
    TFE_CHECK_EXACT(out[4], zip_ref(col, row, mx));  // (4,1) vs (1,6)
    TFE_CHECK_EXACT(out[5], zip_ref(x, y, mx));
  }

  TFE_CONFORMANCE_CASE("max and argmax along axes: odd lengths, length 1, random values") {
    TFE_CONFORMANCE_SETUP("max_argmax");
    const dvec x = g.grid({4, 7, 3}, m.bound);  // edges included: ±(bound − 2^-f)
    const dvec one = g.grid({3, 1}, m.bound);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), O = k.bob(one);
      return {tfe::max(X, 1),
              tfe::argmax(X, 1),
              tfe::max(X, 0),
              tfe::argmax(X, 0),
              tfe::max(X),
              tfe::argmax(X),
              tfe::max(X, -2),
              tfe::argmax(X, -3),
              tfe::max(O, 1),
              tfe::argmax(O, 1),
              tfe::max(O, 0),
              tfe::argmax(O, 0),
              tfe::max(X, 1, tfe::sign_width::full),
              tfe::argmax(X, 1, tfe::sign_width::full)};
    });
    REQUIRE(out.size() == 14);
    TFE_CHECK_EXACT(out[0], reduce_axis_ref(x, 1, max_of));
    TFE_CHECK_EXACT(out[1], reduce_axis_ref(x, 1, argmax_of));
    TFE_CHECK_EXACT(out[2], reduce_axis_ref(x, 0, max_of));
    TFE_CHECK_EXACT(out[3], reduce_axis_ref(x, 0, argmax_of));
    TFE_CHECK_EXACT(out[4], reduce_axis_ref(x, 2, max_of));
    TFE_CHECK_EXACT(out[5], reduce_axis_ref(x, 2, argmax_of));
    TFE_CHECK_EXACT(out[6], reduce_axis_ref(x, 1, max_of));
    TFE_CHECK_EXACT(out[7], reduce_axis_ref(x, 0, argmax_of));
    TFE_CHECK_EXACT(out[8], reduce_axis_ref(one, 1, max_of));
    TFE_CHECK_EXACT(out[9], reduce_axis_ref(one, 1, argmax_of));
    TFE_CHECK_EXACT(out[10], reduce_axis_ref(one, 0, max_of));
    TFE_CHECK_EXACT(out[11], reduce_axis_ref(one, 0, argmax_of));
    TFE_CHECK_EXACT(out[12], reduce_axis_ref(x, 1, max_of));
    TFE_CHECK_EXACT(out[13], reduce_axis_ref(x, 1, argmax_of));
  }

  TFE_CONFORMANCE_CASE("argmax returns the FIRST index among ties") {
    TFE_CONFORMANCE_SETUP("argmax_ties");
    // Hand-made rows whose maximum appears more than once, at lengths 2..7.
    const dvec t4{{1, 5, 3, 5}, {2, 2, 2, 2}, {0, 1, 1, 0}, {-1, -3, -1, -2}, {0, 0, 0, 7}, {4, 4, 1, 1}};
    const dvec t5{{3, 9, 9, 1, 9}, {4, 4, 1, 4, 4}, {5, 1, 5, 1, 5}, {0, 2, 0, 2, 0}};
    const dvec t7{{1, 2, 3, 3, 2, 1, 3}, {6, 0, 0, 0, 6, 0, 6}, {0, 0, 0, 0, 0, 0, 0}};
    const dvec t2{{1, 1}, {-1, 2}, {2, -1}};
    const dvec t3{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}};
    // Random small integers: ties everywhere.
    const dvec r = g.ints({5, 6}, -2, 2), r3 = g.ints({3, 9, 2}, -1, 1);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      return {tfe::argmax(k.alice(t4), 1), tfe::argmax(k.alice(t5), 1),
              tfe::argmax(k.alice(t7), 1), tfe::argmax(k.alice(t2), 1),
              tfe::argmax(k.alice(t3), 1), tfe::argmax(k.alice(r), 1),
              tfe::argmax(k.alice(r), 0),  tfe::argmax(k.alice(r3), 1),
              tfe::max(k.alice(r), 1),     tfe::argmax(k.alice(tfe_conformance::dvec(xt::transpose(t4))), 0)};
    });
    REQUIRE(out.size() == 10);
    TFE_CHECK_EXACT(out[0], (dvec{1, 0, 1, 0, 3, 0}));
    TFE_CHECK_EXACT(out[1], (dvec{1, 0, 0, 1}));
    TFE_CHECK_EXACT(out[2], (dvec{2, 0, 0}));
    TFE_CHECK_EXACT(out[3], (dvec{0, 1, 0}));
    TFE_CHECK_EXACT(out[4], (dvec{1, 0, 0}));
    TFE_CHECK_EXACT(out[5], reduce_axis_ref(r, 1, argmax_of));
    TFE_CHECK_EXACT(out[6], reduce_axis_ref(r, 0, argmax_of));
    TFE_CHECK_EXACT(out[7], reduce_axis_ref(r3, 1, argmax_of));
    TFE_CHECK_EXACT(out[8], reduce_axis_ref(r, 1, max_of));
    TFE_CHECK_EXACT(out[9], (dvec{1, 0, 1, 0, 3, 0}));
  }

  TFE_CONFORMANCE_CASE("max_pool2d: SAME and VALID, strides 1 and 2") {
    TFE_CONFORMANCE_SETUP("max_pool2d");
    struct conf {
      std::array<std::size_t, 2> pool, strides;
      tfe::padding pad;
    };
    const std::vector<conf> confs{{{2, 2}, {2, 2}, tfe::padding::valid}, {{2, 2}, {2, 2}, tfe::padding::same},
                                  {{3, 3}, {1, 1}, tfe::padding::same},  {{3, 3}, {2, 2}, tfe::padding::valid},
                                  {{2, 2}, {1, 1}, tfe::padding::valid}, {{3, 3}, {2, 2}, tfe::padding::same},
                                  {{3, 2}, {1, 2}, tfe::padding::same}};
    const dvec x = g.grid({2, 5, 5, 3}, m.bound);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      privs o;
      for (const auto& c : confs) o.push_back(tfe::max_pool2d(X, c.pool, c.strides, c.pad));
      o.push_back(tfe::max_pool2d(X, {2, 2}));  // strides default to the pool, VALID
      o.push_back(tfe::max_pool2d(X, {2, 2}, {1, 1}, tfe::padding::same, tfe::sign_width::full));
      return o;
    });
    REQUIRE(out.size() == confs.size() + 2);
    for (std::size_t i = 0; i < confs.size(); ++i) {
      CAPTURE(i);
      TFE_CHECK_EXACT(out[i], pool_ref(x, confs[i].pool, confs[i].strides, confs[i].pad == tfe::padding::same, max_of));
    }
    TFE_CHECK_EXACT(out[confs.size()], pool_ref(x, {2, 2}, {2, 2}, false, max_of));
    TFE_CHECK_EXACT(out[confs.size() + 1], pool_ref(x, {2, 2}, {1, 1}, true, max_of));
  }

  TFE_CONFORMANCE_CASE("max_pool2d SAME: padding never wins, even for values below -(bound - 1)") {
    TFE_CONFORMANCE_SETUP("max_pool2d_negative");
    // Every value lies in (-bound, -(bound - 1)): still inside the fixed-point range, so the windows
    // that overhang the image must return the in-image maximum, not the padding offset.
    // x = -(bound - 2^-f) + |t|, |t| < 1: in [-(bound - 2^-f), -(bound - 1) + 2^-f), mostly below
    // -(bound - 1). (Rounding is monotonic, so x never reaches -bound; with ring128 the doubles near
    // 2^31 are multiples of 2^-21, on the grid.)
    const dvec t = g.grid({1, 3, 3, 2}, 1.0);
    const dvec x = xt::abs(t) - m.near_bound();
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      return {tfe::max_pool2d(X, {2, 2}, {2, 2}, tfe::padding::same),
              tfe::max_pool2d(X, {3, 3}, {1, 1}, tfe::padding::same)};
    });
    REQUIRE(out.size() == 2);
    TFE_CHECK_EXACT(out[0], pool_ref(x, {2, 2}, {2, 2}, true, max_of));
    TFE_CHECK_EXACT(out[1], pool_ref(x, {3, 3}, {1, 1}, true, max_of));
  }

  TFE_CONFORMANCE_CASE("sign_width::full: relu, less, maximum, max, argmax on values anywhere in the ring") {
    TFE_CONFORMANCE_SETUP("sign_width_full");
    // Values beyond the fixed-point range, built exactly with mul_int: x·K with K = 2^(k - used - 3),
    // so the encodings use up to k - 2 bits and their differences k - 1 (k = ring bits). Only the
    // full-width sign sees them right.
    constexpr unsigned ring_bits = tfe::ring_traits<typename P::ring>::bits;
    const unsigned shift = ring_bits - m.cfg.used_bits() - 3;
    REQUIRE(shift < 63);
    const std::int64_t K = std::int64_t(1) << shift;
    const double Kd = static_cast<double>(K);
    const auto [x, y] = comparison_pairs(g, m, {3, 8});
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y);
      auto XK = tfe::mul_int(X, K), YK = tfe::mul_int(Y, K);
      const auto full = tfe::sign_width::full;
      return {tfe::relu(XK, full),      tfe::relu_derivative(XK, full),
              tfe::less(XK, YK, full),  tfe::greater_equal(XK, YK, full),
              tfe::equal(XK, YK, full), tfe::maximum(XK, YK, full),
              tfe::max(XK, 1, full),    tfe::argmax(XK, 1, full),
              tfe::less(X, Y, full),    tfe::relu(X, full)};
    });
    REQUIRE(out.size() == 10);
    const dvec xk = x * Kd, yk = y * Kd;  // exact: powers of two
    TFE_CHECK_EXACT(out[0], map_ref(xk, [](double v) { return v > 0 ? v : 0.0; }));
    TFE_CHECK_EXACT(out[1], map_ref(xk, [](double v) { return b2d(v >= 0); }));
    TFE_CHECK_EXACT(out[2], zip_ref(xk, yk, [](double a, double b) { return b2d(a < b); }));
    TFE_CHECK_EXACT(out[3], zip_ref(xk, yk, [](double a, double b) { return b2d(a >= b); }));
    TFE_CHECK_EXACT(out[4], zip_ref(xk, yk, [](double a, double b) { return b2d(a == b); }));
    TFE_CHECK_EXACT(out[5], zip_ref(xk, yk, [](double a, double b) { return a > b ? a : b; }));
    TFE_CHECK_EXACT(out[6], reduce_axis_ref(xk, 1, max_of));
    TFE_CHECK_EXACT(out[7], reduce_axis_ref(xk, 1, argmax_of));
    TFE_CHECK_EXACT(out[8], zip_ref(x, y, [](double a, double b) { return b2d(a < b); }));
    TFE_CHECK_EXACT(out[9], map_ref(x, [](double v) { return v > 0 ? v : 0.0; }));
  }

}  // TEST_SUITE

}  // namespace TFE_CONFORMANCE_NAMESPACE

#endif  // TFE_CONFORMANCE_NONLINEAR_DONE
