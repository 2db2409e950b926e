// tfe/ops/approx_smooth.hpp: accurate approximations of the smooth activations transformers need,
// generic over protocols: erf, gelu (erf form), gelu_tanh (tanh form), tanh_accurate and
// sigmoid_accurate, all from one piecewise-polynomial evaluator; and layer_norm.
//
// Method (the piecewise polynomials of PUMA, Dong et al. 2023, §4, with our own layouts: unit
// intervals and degree 4 for erf, tanh and sigmoid, intervals of 2.5 and degree 6 for GELU, chosen
// by measuring error against cost, see docs/approximations.md):
//  * The range [lo, hi] is cut into n intervals of equal width w, the breakpoints e_k = lo + k·w.
//    ONE batched sign test of x − e_k for all n + 1 breakpoints gives the bits [x ≥ e_k]; from them
//    any per-interval constant is local (`detail::piecewise_constant`, approx.hpp).
//  * Normalization: t = G·x + K with G = 2/w and K = −2·m_k/w on interval k (midpoint m_k), and
//    G = K = 0 outside [lo, hi]. ONE product. t ∈ [−1, 1] inside, so the polynomial's powers and
//    coefficients stay small whatever the interval (a polynomial in x itself would lose 5^4·2^-17
//    to the encoding of its coefficients).
//  * On interval k, g is replaced by its degree-d interpolant at the Chebyshev nodes in t, written
//    in monomials c_{k,0..d}. The coefficients C_i = c_{k,i} are per-interval constants (local).
//  * Powers t^2..t^d: ⌈log2 d⌉ rounds (`detail::powers`).
//  * Outside [lo, hi], g is replaced by an affine function a + b·x with integer slope b (0, ±1: the
//    saturation values of erf, tanh and sigmoid, and GELU's 0 and x). One more product round
//    computes Σ C_i·t^i as ONE sum of products (detail::sum_of_products: ABY3 reshares and truncates
//    one value per input, not d). An integer outer slope B (0 inside) adds B·x: into the same sum
//    under the exact truncation; under the probabilistic one as an untruncated product in the same
//    round, with the C_i·t^i as d separate products summed and truncated after (a large x must not
//    meet Pond's truncation failure, see approx.hpp).
//
// Cost per input value: n + 1 sign-test thresholds (one batched comparison), 1 + (d − 1) + (d + 1)
// products in 1 + ⌈log2 d⌉ + 1 product rounds: for d = 4, 4 product rounds after the comparison
// (Pond ring64: 7 + 4 = 11 rounds), 9 products (8 when the outer slopes are 0). ABY3 reshares
// 1 + (d − 1) + 1 values (the last truncated in its product; + 1 and a truncation for the
// probabilistic outer slope).
//
// Error: |ŷ − g(x)| ≤ ε_fit + ε_out + 3·2^-f, with ε_fit the interpolation error on [lo, hi]
// (measured on a dense grid, stated per function below), ε_out = max |a + b·x − g(x)| outside, and
// the fixed-point floor (the encoding of 2d + 2 constants, two truncations). tests/test_approx_smooth.cpp
// asserts the bound over the whole fixed-point range under every protocol.
#pragma once

#include "tfe/ops/approx.hpp"

#include <array>
#include <cmath>
#include <vector>

namespace tfe {

namespace detail {

/// a + b·x, the function used outside a piecewise polynomial's range; b must be an integer.
struct affine {
  double a = 0, b = 0;
};

/// The monomial coefficients (in t ∈ [−1, 1]) of the degree-d polynomial that interpolates g at the
/// d + 1 Chebyshev nodes cos((2j + 1)π / (2d + 2)): a near-minimax fit, computed by solving the
/// (well-conditioned for d ≤ 8) Vandermonde system with partial pivoting.
template <class G>
std::vector<double> chebyshev_interpolant(G&& g, unsigned d) {
  TFE_ENFORCE(d >= 1 && d <= 8, encoding_error, "chebyshev_interpolant: degree ", d, " is not in [1, 8]");
  const std::size_t n = d + 1;
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1));
  for (std::size_t j = 0; j < n; ++j) {
    const double t =
        std::cos((2.0 * static_cast<double>(j) + 1) * 3.14159265358979323846 / (2.0 * static_cast<double>(n)));
    double p = 1;
    for (std::size_t i = 0; i < n; ++i, p *= t) a[j][i] = p;
    a[j][n] = g(t);
  }
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t piv = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[piv][col])) piv = r;
    std::swap(a[col], a[piv]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (std::size_t k = col; k <= n; ++k) a[r][k] -= f * a[col][k];
    }
  }
  std::vector<double> c(n);
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i][n] / a[i][i];
  return c;
}

/// The shape of a piecewise polynomial: n intervals of width w from lo, degree d, affine outside.
struct piecewise_spec {
  double lo, width;
  unsigned intervals, degree;
  affine left, right;
};

/// g on [lo, lo + n·w] as degree-d polynomials per interval (see the header comment), `left` below
/// and `right` above. Requires x in the fixed-point range (the sign test's domain).
template <protocol P, class G>
private_tensor<P> piecewise_polynomial(const private_tensor<P>& x, const piecewise_spec& sp, G&& g) {
  const unsigned n = sp.intervals, d = sp.degree;
  TFE_ENFORCE(n >= 1 && sp.width > 0, encoding_error, "piecewise_polynomial: ", n, " intervals of width ", sp.width);
  const bool integer_slopes = sp.left.b == std::trunc(sp.left.b) && sp.right.b == std::trunc(sp.right.b);
  TFE_ENFORCE(integer_slopes, encoding_error, "piecewise_polynomial: outer slopes must be integers, got ", sp.left.b,
              " and ", sp.right.b);
  std::vector<double> edges(n + 1);
  for (unsigned k = 0; k <= n; ++k) edges[k] = sp.lo + sp.width * k;
  // Per-bucket constants: bucket 0 below lo, bucket k = [e_{k-1}, e_k), bucket n + 1 above.
  std::vector<double> gain(n + 2, 0.0), offset(n + 2, 0.0), slope(n + 2, 0.0);
  std::vector<std::vector<double>> coef(d + 1, std::vector<double>(n + 2, 0.0));
  coef[0][0] = sp.left.a;
  coef[0][n + 1] = sp.right.a;
  slope[0] = sp.left.b;
  slope[n + 1] = sp.right.b;
  for (unsigned k = 1; k <= n; ++k) {
    const double h = sp.width / 2, m = edges[k - 1] + h;
    gain[k] = 1 / h;
    offset[k] = -m / h;
    auto c = chebyshev_interpolant([&](double t) { return g(m + h * t); }, d);
    for (unsigned i = 0; i <= d; ++i) coef[i][k] = c[i];
  }
  auto steps = step_bits(x, edges);
  auto t = piecewise_constant(steps, gain) * x;
  add_piecewise_constant(t, steps, offset);
  auto pw = powers(t, d);  // t^1 .. t^d
  std::vector<std::vector<double>> lhs(coef.begin() + 1, coef.end());
  const bool outer_slope = sp.left.b != 0 || sp.right.b != 0;
  if (outer_slope && x.sess().fixed_point().truncation != truncation_mode::exact) {
    // The probabilistic truncation fails with probability about |value|·2^(f+1−ℓ), so B·x (integer B)
    // stays untruncated: one round of every C_i·t^i (2f fractional bits) and B·x (f bits), then the
    // polynomial terms summed and truncated.
    lhs.push_back(slope);
    std::vector<bool> integer(d, false);
    integer.push_back(true);
    pw.push_back(x);
    auto prod = mul_exact(piecewise_constants(steps, lhs, integer), stack(pw, 0));
    pw.clear();
    auto y = truncate(sum_rows(prod, 0, d));
    add_piecewise_constant(y, steps, coef[0]);
    add_row(y, prod, d);
    return y;
  }
  // One round: Σ C_i·t^i as one sum of products, truncated once (ABY3 reshares one value per input,
  // not d). Under the exact truncation B·x joins the sum, B as a fixed-point constant (B·x at 2f
  // fractional bits: exact for |x| < 2^(ℓ−2−2f), the whole fixed-point range).
  if (outer_slope) {
    lhs.push_back(slope);
    pw.push_back(x);
  }
  auto y = sum_of_products(piecewise_constants(steps, lhs, std::vector<bool>(lhs.size(), false)), stack(pw, 0));
  pw.clear();
  add_piecewise_constant(y, steps, coef[0]);
  return y;
}

inline constexpr double sqrt1_2 = 0.70710678118654752440;

}  // namespace detail

/// erf(x): degree-4 polynomials on the 8 unit intervals of [−4, 4], ±1 outside.
/// Error ≤ 6.4e-5 (fit) + 1.6e-8 (|1 − erf(4)|) + 3·2^-f on the whole line. Cost: 9 thresholds,
/// 8 products in 4 product rounds.
template <protocol P>
private_tensor<P> erf(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("erf");
  return detail::piecewise_polynomial(x, {-4.0, 1.0, 8, 4, {-1, 0}, {1, 0}}, [](double v) { return std::erf(v); });
}

/// GELU(x) = x·Φ(x) = x/2·(1 + erf(x/√2)) (the exact form; ONNX Gelu approximate="none", PyTorch's
/// default): degree-6 polynomials on the 4 intervals of width 2.5 of [−5, 5], 0 below and x above.
/// Error ≤ 5.2e-5 (fit) + 1.5e-6 (|x·Φ(−|x|)| beyond ±5) + 3·2^-f. Cost: 5 thresholds, 13 products
/// in 5 product rounds. (The same error as 10 unit intervals of degree 4, for 5 thresholds instead
/// of 11 and one more round: in a transformer's feed-forward block the comparisons are the CPU cost,
/// see docs/approximations.md.)
template <protocol P>
private_tensor<P> gelu(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("gelu");
  return detail::piecewise_polynomial(x, {-5.0, 2.5, 4, 6, {0, 0}, {0, 1}},
                                      [](double v) { return 0.5 * v * (1 + std::erf(v * detail::sqrt1_2)); });
}

/// The tanh form x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (ONNX Gelu approximate="tanh", PyTorch's
/// approximate='tanh'), computed as its own piecewise polynomial (not through tanh): same layout and
/// cost as `gelu`, error ≤ 5.2e-5 (fit) + 2.3e-7 (outside) + 3·2^-f.
template <protocol P>
private_tensor<P> gelu_tanh(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("gelu_tanh");
  return detail::piecewise_polynomial(x, {-5.0, 2.5, 4, 6, {0, 0}, {0, 1}}, [](double v) {
    return 0.5 * v * (1 + std::tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v)));
  });
}

/// tanh(x) to 8e-5: degree-4 polynomials on the 12 unit intervals of [−6, 6], ±1 outside.
/// Error ≤ 8.0e-5 (fit) + 1.3e-5 (1 − tanh 6) + 3·2^-f. Cost: 13 thresholds, 8 products in 4
/// product rounds (`tanh` in approx.hpp: 23 thresholds, 1 product, error 0.006).
template <protocol P>
private_tensor<P> tanh_accurate(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("tanh_accurate");
  return detail::piecewise_polynomial(x, {-6.0, 1.0, 12, 4, {-1, 0}, {1, 0}}, [](double v) { return std::tanh(v); });
}

/// The logistic sigmoid to 4e-5: degree-4 polynomials on the 12 intervals of width 2 of [−12, 12],
/// 0 below and 1 above. Error ≤ 3.6e-5 (fit) + 6.2e-6 (σ(−12)) + 3·2^-f. Cost: 13 thresholds, 8
/// products in 4 product rounds (`sigmoid` in approx.hpp: 23 thresholds, 1 product, error 0.003).
template <protocol P>
private_tensor<P> sigmoid_accurate(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("sigmoid_accurate");
  return detail::piecewise_polynomial(x, {-12.0, 2.0, 12, 4, {0, 0}, {1, 0}},
                                      [](double v) { return 1 / (1 + std::exp(-v)); });
}

// ---- normalization -------------------------------------------------------------------------------

/// Layer normalization without its affine part: (x − μ)·inv_sqrt(σ² + ε) over `axes` (kept as size
/// 1), μ and σ² the mean and the (biased) variance. Cost: two local means (one truncation each), one
/// product for the squares, `inv_sqrt` (31 thresholds ring64, 13 Pond rounds) and one broadcast
/// product. Error, from the truncations (2^-f each) and inv_sqrt's bound (4·2^-f·r + 2·2^-f) carried
/// through: with r = 1/√(σ² + ε),
///   |ŷ − y| ≤ 2^-f·(3 + 2r + |y|·(6 + 2/r + (1 + 2σ)/(σ² + ε)))
/// (the 2/r term: r itself is a fixed-point number, so for σ = 100 it is known to 2·2^-f out of 0.01;
/// scale such inputs down first when that relative error, 3e-3 at f = 16, matters)
/// (tests/test_approx_smooth.cpp checks it on rows with σ² from 10^-2 to 10^4). The variance must lie
/// in inv_sqrt's domain [2^-f, 2^I) after ε is added; a row whose σ² + ε is below 2^-f is normalized
/// with r = 2^(f/2) (inv_sqrt's saturation value), one whose σ² + ε reaches 2^I gives 0.
template <protocol P>
private_tensor<P> layer_norm(const private_tensor<P>& x, const std::vector<long>& axes, double eps = 1e-5) {
  auto scope = x.sess().op_scope("layer_norm");
  auto d = x - mean(x, axes, true);
  auto inv = inv_sqrt(mean(d * d, axes, true) + eps);
  return detail::mul_broadcast(d, inv);
}

}  // namespace tfe
