// tests/conformance/suite_arith.hpp: conformance of the arithmetic ops: + - * / unary -, mul_int,
// square, pow, matmul, conversions (to_private, reveal_to_all, define_public_input) and public-public
// arithmetic. Tolerances: see harness.hpp (encoding 2^-(f+1) per input, 2·2^-f per truncation,
// products propagate |a|·e_b + |b|·e_a + e_a·e_b).
#ifndef TFE_CONFORMANCE_ARITH_DONE  // not #pragma once: suite.hpp forgets it, for the next protocol of the unit
#define TFE_CONFORMANCE_ARITH_DONE

#include "suite_common.hpp"

namespace TFE_CONFORMANCE_NAMESPACE {

/// x / d for a public tensor d: d is encoded (error e_d = 2^-(f+1)), decoded, inverted and the
/// inverse encoded again (error 2^-(f+1) + e_d / (|d|(|d| - e_d))), then multiplied and truncated:
///   tol = e_x·(1/|d| + δ) + |x|·δ + trunc,  δ = enc + enc / (|d|(|d| - enc)).
/// For a scalar divisor 1/d is encoded directly: δ = enc.
inline approx div_ref(const approx& x, const dvec& d, bool scalar, const fixed_model& m) {
  const dvec ad = xt::abs(d);
  dvec delta = scalar ? full(shape_of(d), m.enc()) : dvec(m.enc() + m.enc() / (ad * (ad - m.enc())));
  dvec v = x.v / d;
  dvec e = x.e * (1.0 / ad + delta) + xt::abs(x.v) * delta + m.trunc() + dslack(4.0) * xt::abs(v);
  return {v, e};
}

TEST_SUITE(TFE_CONFORMANCE_SUITE_NAME) {
  TFE_CONFORMANCE_CASE("add and sub: private/private, private/public, public/private, scalars, broadcasting") {
    TFE_CONFORMANCE_SETUP("add_sub");
    // |x|, |y| < bound/2 so every sum and difference stays in range; edges 0, ±2^-f, ±(bound/2 - 2^-f).
    const double a = m.below(m.bound / 2);
    const dvec x = g.real({3, 4}, a), y = g.real({3, 4}, a), r = g.real({4}, a);
    const dvec col = g.real({3, 1}, a), row = g.real({1, 4}, a);
    const double c = m.bound * 0.3 + 0.123456789;  // scalar, off the grid
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), R = k.bob(r), C = k.alice(col), W = k.bob(row);
      auto Yp = k.constant(y), Rp = k.constant(r), Yb = k.public_bob(y);
      return {X + Y, X - Y, X + Yp, Yp + X, X - Yp, Yp - X, X + c, c + X, X - c,
              c - X, X + R, R + X,  C + W,  X - Rp, Yb + X, -X,    X - R, C - W};
    });
    REQUIRE(out.size() == 18);
    const approx X = input(x, m), Y = input(y, m), R = input(r, m), C = input(col, m), W = input(row, m);
    const approx Cs = input(dvec(c), m);  // (0-d) the scalar is encoded like any input
    TFE_CHECK_APPROX(out[0], X + Y);
    TFE_CHECK_APPROX(out[1], X - Y);
    TFE_CHECK_APPROX(out[2], X + Y);
    TFE_CHECK_APPROX(out[3], Y + X);
    TFE_CHECK_APPROX(out[4], X - Y);
    TFE_CHECK_APPROX(out[5], Y - X);
    TFE_CHECK_APPROX(out[6], X + Cs);
    TFE_CHECK_APPROX(out[7], Cs + X);
    TFE_CHECK_APPROX(out[8], X - Cs);
    TFE_CHECK_APPROX(out[9], Cs - X);
    TFE_CHECK_APPROX(out[10], X + R);  // (3,4) + (4,)
    TFE_CHECK_APPROX(out[11], R + X);  // (4,) + (3,4)
    TFE_CHECK_APPROX(out[12], C + W);  // (3,1) + (1,4) -> (3,4)
    TFE_CHECK_APPROX(out[13], X - R);
    TFE_CHECK_APPROX(out[14], Y + X);
    TFE_CHECK_APPROX(out[15], -X);
    TFE_CHECK_APPROX(out[16], X - R);
    TFE_CHECK_APPROX(out[17], C - W);
  }

  TFE_CONFORMANCE_CASE("mul: private/private, private/public, public/private, scalars, broadcasting, square") {
    TFE_CONFORMANCE_SETUP("mul");
    // |x|, |y| < sqrt(bound) so |x·y| < bound.
    const double a = m.below(std::sqrt(m.bound));
    const dvec x = g.real({3, 4}, a), y = g.real({3, 4}, a), r = g.real({4}, a);
    const dvec col = g.real({3, 1}, a), row = g.real({1, 4}, a);
    const double c = -2.718281828;
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), R = k.bob(r), C = k.alice(col), W = k.bob(row);
      auto Yp = k.constant(y), Rp = k.constant(r), Yb = k.public_bob(y);
      return {X * Y, X * Yp, Yp * X, X * c, c * X, X * R, R * X, C * W, X * Rp, Yb * X, tfe::square(X), C * Y};
    });
    REQUIRE(out.size() == 12);
    const approx X = input(x, m), Y = input(y, m), R = input(r, m), C = input(col, m), W = input(row, m);
    const approx Cs = input(dvec(c), m);
    TFE_CHECK_APPROX(out[0], mul(X, Y, m));
    TFE_CHECK_APPROX(out[1], mul(X, Y, m));
    TFE_CHECK_APPROX(out[2], mul(Y, X, m));
    TFE_CHECK_APPROX(out[3], mul(X, Cs, m));
    TFE_CHECK_APPROX(out[4], mul(Cs, X, m));
    TFE_CHECK_APPROX(out[5], mul(X, R, m));  // (3,4) * (4,)
    TFE_CHECK_APPROX(out[6], mul(R, X, m));
    TFE_CHECK_APPROX(out[7], mul(C, W, m));  // (3,1) * (1,4)
    TFE_CHECK_APPROX(out[8], mul(X, R, m));
    TFE_CHECK_APPROX(out[9], mul(Y, X, m));
    TFE_CHECK_APPROX(out[10], mul(X, X, m));
    TFE_CHECK_APPROX(out[11], mul(C, Y, m));  // (3,1) * (3,4)
  }

  TFE_CONFORMANCE_CASE("mul: large magnitudes near the range bound times |y| < 1") {
    TFE_CONFORMANCE_SETUP("mul_large");
    // x up to bound - 2^-f (edges included), |y| < 1: products stay inside the range.
    const dvec x = g.real({2, 5}, m.bound), y = g.real({2, 5}, 1.0);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y);
      return {X * Y, X * k.constant(y), X * 0.5, -0.999 * X, Y * X};
    });
    REQUIRE(out.size() == 5);
    const approx X = input(x, m), Y = input(y, m);
    TFE_CHECK_APPROX(out[0], mul(X, Y, m));
    TFE_CHECK_APPROX(out[1], mul(X, Y, m));
    TFE_CHECK_APPROX(out[2], mul(X, input(dvec(0.5), m), m));
    TFE_CHECK_APPROX(out[3], mul(input(dvec(-0.999), m), X, m));
    TFE_CHECK_APPROX(out[4], mul(Y, X, m));
  }

  TFE_CONFORMANCE_CASE("products on the fixed-point grid: only the truncation error remains") {
    TFE_CONFORMANCE_SETUP("grid_products");
    // Inputs on the grid are encoded exactly (e = 0), so a product, matmul or conv2d (exact sums in
    // the ring) may differ from the double reference by its single truncation only: <= 2·2^-f
    // (plus the double slack, which matters only for ring128's large values).
    const double a = m.below(std::sqrt(m.bound / 8));
    const dvec x = g.grid({3, 8}, a), y = g.grid({3, 8}, a), w = g.grid({8, 5}, a);
    const dvec img = g.grid({1, 4, 5, 2}, a), flt = g.grid({2, 2, 2, 3}, a);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), W = k.bob(w), I = k.alice(img), F = k.bob(flt);
      return {X * Y,
              X * k.constant(y),
              X * 0.75,
              tfe::square(X),
              tfe::matmul(X, W),
              tfe::matmul(X, k.constant(w)),
              tfe::conv2d(I, F, {1, 1}, tfe::padding::same),
              tfe::conv2d(I, k.constant(flt), {2, 2}, tfe::padding::valid),
              X / 4.0};
    });
    REQUIRE(out.size() == 9);
    const approx X = input(x, m, true), Y = input(y, m, true), W = input(w, m, true);
    const approx I = input(img, m, true), F = input(flt, m, true);
    TFE_CHECK_APPROX(out[0], mul(X, Y, m));
    TFE_CHECK_APPROX(out[1], mul(X, Y, m));
    TFE_CHECK_APPROX(out[2], mul(X, input(dvec(0.75), m, true), m));
    TFE_CHECK_APPROX(out[3], mul(X, X, m));
    TFE_CHECK_APPROX(out[4], matmul_ref(X, W, m));
    TFE_CHECK_APPROX(out[5], matmul_ref(X, W, m));
    TFE_CHECK_APPROX(out[6], conv2d_ref(I, F, {1, 1}, true, m));
    TFE_CHECK_APPROX(out[7], conv2d_ref(I, F, {2, 2}, false, m));
    TFE_CHECK_APPROX(out[8], mul(X, input(dvec(0.25), m, true), m));
    // x^3 = x · x²: the first truncation error (<= 2 ulp) is scaled by |x| in the second product.
    const dvec x3 = g.grid({3, 8}, m.below(std::cbrt(m.bound)));
    auto out3 = run_one<P>([&](ctx& k) { return tfe::pow(k.alice(x3), 3); });
    TFE_CHECK_APPROX(out3, pow_ref(input(x3, m, true), 3, m));
  }

  TFE_CONFORMANCE_CASE("mul_int: exact multiplication by public integers") {
    TFE_CONFORMANCE_SETUP("mul_int");
    // |x| < bound/8 and |k| <= 7: in range; exact, so only the encoding error scales by |k|.
    const dvec x = g.real({3, 4}, m.below(m.bound / 8));
    const std::vector<std::int64_t> ks{3, -7, 0, 1, -1};
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      privs o;
      for (auto kk : ks) o.push_back(tfe::mul_int(X, kk));
      return o;
    });
    REQUIRE(out.size() == ks.size());
    for (std::size_t i = 0; i < ks.size(); ++i) {
      CAPTURE(ks[i]);
      TFE_CHECK_APPROX(out[i], mul_exact_int(input(x, m), ks[i]));
    }
  }

  TFE_CONFORMANCE_CASE("pow: exponents 0, 1, 2, 3, 5 and square") {
    TFE_CONFORMANCE_SETUP("pow");
    // |x| < bound^(1/5) so every power up to the 5th stays in range. The bound follows tfe::pow's
    // square-and-multiply schedule product by product (pow_ref).
    const double a = m.below(std::pow(m.bound, 0.2));
    const dvec x = g.real({2, 7}, a);
    const std::vector<unsigned> ns{0, 1, 2, 3, 5};
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      privs o;
      for (auto n : ns) o.push_back(tfe::pow(X, n));
      o.push_back(tfe::square(X));
      return o;
    });
    REQUIRE(out.size() == ns.size() + 1);
    const approx X = input(x, m);
    for (std::size_t i = 0; i < ns.size(); ++i) {
      CAPTURE(ns[i]);
      TFE_CHECK_APPROX(out[i], pow_ref(X, ns[i], m));
    }
    TFE_CHECK_APPROX(out[ns.size()], mul(X, X, m));
  }

  TFE_CONFORMANCE_CASE("division by a public tensor and by a scalar") {
    TFE_CONFORMANCE_SETUP("div");
    // |x| < bound/4 and 0.5 <= |d| <= 8 so |x/d| < bound/2.
    const dvec x = g.real({3, 4}, m.below(m.bound / 4));
    const dvec d = g.magnitude({3, 4}, 0.5, 8.0), dr = g.magnitude({4}, 0.5, 8.0);
    const std::vector<double> scalars{3.0, -0.5, 7.0, 1.0 / 3.0};
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      privs o{X / k.constant(d), X / k.public_bob(d), X / k.constant(dr)};
      for (double s : scalars) o.push_back(X / s);
      return o;
    });
    REQUIRE(out.size() == 3 + scalars.size());
    const approx X = input(x, m);
    TFE_CHECK_APPROX(out[0], div_ref(X, d, false, m));
    TFE_CHECK_APPROX(out[1], div_ref(X, d, false, m));
    TFE_CHECK_APPROX(out[2], div_ref(X, dr, false, m));  // (3,4) / (4,)
    for (std::size_t i = 0; i < scalars.size(); ++i) {
      CAPTURE(scalars[i]);
      TFE_CHECK_APPROX(out[3 + i], div_ref(X, dvec(scalars[i]), true, m));
    }
  }

  TFE_CONFORMANCE_CASE("matmul: private·private, private·public, public·private, odd sizes") {
    TFE_CONFORMANCE_SETUP("matmul");
    struct dims {
      std::size_t n, k, c;
    };
    const std::vector<dims> cases{{3, 5, 7}, {1, 1, 1}, {7, 1, 2}, {2, 9, 3}, {4, 4, 1}};
    for (const auto& dm : cases) {
      CAPTURE(dm.n);
      CAPTURE(dm.k);
      CAPTURE(dm.c);
      // |x|, |y| < sqrt(bound / k): every output (a sum of k products) stays inside the range.
      const double a = m.below(std::sqrt(m.bound / static_cast<double>(dm.k)));
      const dvec x = g.real({dm.n, dm.k}, a), y = g.real({dm.k, dm.c}, a);
      auto out = run_revealed<P>([&](ctx& k) -> privs {
        auto X = k.alice(x), Y = k.bob(y);
        return {tfe::matmul(X, Y), tfe::matmul(X, k.constant(y)), tfe::matmul(k.constant(x), Y),
                tfe::matmul(X, k.public_bob(y))};
      });
      REQUIRE(out.size() == 4);
      const approx ref = matmul_ref(input(x, m), input(y, m), m);
      for (std::size_t i = 0; i < out.size(); ++i) {
        CAPTURE(i);
        TFE_CHECK_APPROX(out[i], ref);
      }
    }
  }

  TFE_CONFORMANCE_CASE("conversions: to_private, define_public_input, reveal_to_all") {
    TFE_CONFORMANCE_SETUP("conversions");
    const dvec x = g.real({2, 3}, m.near_bound()), y = g.real({4}, m.bound / 2);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      return {tfe::to_private(k.constant(x)), tfe::to_private(k.public_bob(y)),
              k.bob(y) + tfe::to_private(k.constant(dvec(1.5)))};
    });
    REQUIRE(out.size() == 3);
    TFE_CHECK_APPROX(out[0], input(x, m));
    TFE_CHECK_APPROX(out[1], input(y, m));
    TFE_CHECK_APPROX(out[2], input(y, m) + input(dvec(1.5), m));  // (4,) + 0-d

    // define_public_input and reveal_to_all: every player learns the same value.
    const auto names = players<P>();
    auto results = tfe::run_local<P>(
        names,
        [&](tfe::session<P>& s) {
          ctx k{s};
          auto pb = k.public_bob(y);
          auto all = s.reveal_to_all(k.alice(x) * 0.5);
          return std::vector<dvec>{pb.decode(), all.decode()};
        },
        test_options(g.seed()));
    REQUIRE(results.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      CAPTURE(names[i]);
      REQUIRE(results[i].size() == 2);
      TFE_CHECK_APPROX(results[i][0], input(y, m));
      TFE_CHECK_APPROX(results[i][1], mul(input(x, m), input(dvec(0.5), m), m));
      TFE_CHECK_EXACT(results[i][1], results[0][1]);  // one value for everybody
    }
  }

  TFE_CONFORMANCE_CASE("public/public arithmetic, public reshape, transpose and division") {
    TFE_CONFORMANCE_SETUP("public_public");
    const double a = m.below(std::sqrt(m.bound / 2));
    const dvec x = g.real({2, 3}, a), y = g.real({2, 3}, a), r = g.real({3}, a);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.constant(x), Y = k.public_bob(y), R = k.constant(r);
      return {tfe::to_private(X + Y),
              tfe::to_private(X - R),
              tfe::to_private(-X),
              tfe::to_private(X * Y),
              tfe::to_private(X * R),
              tfe::to_private(tfe::reshape(X, {3, -1})),
              tfe::to_private(tfe::transpose(X)),
              tfe::to_private(X / 4.0)};
    });
    REQUIRE(out.size() == 8);
    const approx X = input(x, m), Y = input(y, m), R = input(r, m);
    TFE_CHECK_APPROX(out[0], X + Y);
    TFE_CHECK_APPROX(out[1], X - R);
    TFE_CHECK_APPROX(out[2], -X);
    // Public products truncate in the clear (floor: one ulp), within the general bound.
    TFE_CHECK_APPROX(out[3], mul(X, Y, m));
    TFE_CHECK_APPROX(out[4], mul(X, R, m));
    TFE_CHECK_CLOSE(out[5], reshaped(x, {3, 2}), m.enc());
    TFE_CHECK_CLOSE(out[6], dvec(xt::transpose(x)), m.enc());
    // public / scalar decodes, divides in double and re-encodes: encoding error of x / 4, then 1 rounding.
    TFE_CHECK_CLOSE(out[7], dvec(x / 4.0), m.enc() / 4 + m.enc());
  }

}  // TEST_SUITE

}  // namespace TFE_CONFORMANCE_NAMESPACE

#endif  // TFE_CONFORMANCE_ARITH_DONE
