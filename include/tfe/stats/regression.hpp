// tfe/stats/regression.hpp: linear regression on a private table by the normal equations, solved
// with a Newton–Schulz matrix inverse on shares (no division, no comparison), generic over protocol
// and ring. The logistic regression of examples/joint_training.cpp is its SGD-trained sibling.
#pragma once

#include "tfe/stats/row_sums.hpp"
#include "tfe/stats/table.hpp"

#include <cmath>
#include <vector>

namespace tfe::stats {

struct regression_options {
  bool fit_intercept = true;
  /// A PUBLIC upper bound on trace(XᵀX/n) (the intercept's column of ones counts 1): every
  /// eigenvalue is below it, so V0 = I/c starts Newton–Schulz inside its region of convergence.
  /// For standardized features (mean 0, variance 1) the trace is k (+1 with the intercept); 0: that
  /// value times 1.25.
  double trace_bound = 0;
  /// Newton–Schulz steps: the error of I − A·V squares each step once it is below 1; from
  /// 1 − λ_min/c it takes about log2(c/λ_min) + 5 steps (public, as the number of rounds).
  unsigned iterations = 20;
};

/// Least-squares coefficients w (k, or k + 1 with the intercept LAST) of y ≈ X·w for a private X
/// (n, k) and y (n) or (n, 1).
/// Math: A = XᵀX/n, b = Xᵀy/n (stats::gram of X with X and with y: chunks of 4096 rows summed at
/// scale 2^2f and truncated exactly, so the mean square of a feature must stay below 2^18 on ring64,
/// stats/row_sums.hpp), div_count, V0 = I/c, V ← V·(2I − A·V) (Newton–
/// Schulz: ‖I − A·V_{t+1}‖ = ‖I − A·V_t‖²), w = V·b. With the intercept, the column of ones is never
/// built: its products are the column sums Σx, Σy and n, exact and local. Cost: two product rounds on
/// ⌈n/4096⌉·k² and ⌈n/4096⌉·k values for XᵀX and Xᵀy, each with its exact truncation (n·k·(k+1)
/// multiply-adds locally; no n-row copy), div_count, then 2 rounds of
/// (k+1)×(k+1) matmuls per step, one matvec. Error (ring64, f = 16; standardized data, condition number κ of A ≤ 100): the fixed-point
/// noise of each step, (k+1)·2^-f·‖V‖, is what Newton–Schulz converges to: ‖ŵ − w‖ ≤ 1e-3·‖w‖ + 1e-3
/// (tested); the relative error grows with κ.
template <protocol P>
private_tensor<P> linear_regression(const private_tensor<P>& x, const private_tensor<P>& y,
                                    const regression_options& opt = {}) {
  TFE_ENFORCE(x.ndim() == 2 && x.shape()[0] > 0 && x.shape()[1] > 0, shape_error,
              "linear_regression: features must be a non-empty (rows, columns) table, got ", shape_str(x.shape()));
  const std::size_t n = x.shape()[0];
  TFE_ENFORCE((y.ndim() == 1 && y.shape()[0] == n) || (y.ndim() == 2 && y.shape()[0] == n && y.shape()[1] == 1),
              shape_error, "linear_regression: the target must have ", n, " rows, got ", shape_str(y.shape()));
  auto& s = x.sess();
  auto scope = s.op_scope("stats_regression");
  const long nl = static_cast<long>(n);
  const std::size_t kx = x.shape()[1];
  const auto yc = reshape(y, {nl, 1});
  // [XᵀX | Xᵀy] (stats::gram: exact chunked sums) and, for the intercept (a
  // column of ones after X, never built), [Σx | Σy]: one div_count, exact.
  auto m = [&] {
    const detail::exact_sums_scope<P> exact(s);
    auto top = concat({gram(x, x), gram(x, yc)}, 1);  // (kx, kx + 1); no n-row concatenation
    if (opt.fit_intercept)
      top = concat({top, reshape(concat({sum(x, {0}), sum(yc, {0})}, 0), {1, static_cast<long>(kx) + 1})}, 0);
    return div_count(top, n);
  }();
  auto a = slice(slice(m, 0, 0, kx), 1, 0, kx), b = slice(slice(m, 0, 0, kx), 1, kx, kx + 1);
  if (opt.fit_intercept) {
    // A = [[XᵀX, Σx], [Σxᵀ, n]]/n, b = [Xᵀy; Σy]/n.
    auto mean_x = slice(slice(m, 0, kx, kx + 1), 1, 0, kx), mean_y = slice(slice(m, 0, kx, kx + 1), 1, kx, kx + 1);
    auto one = to_private(s.constant(xt::ones<double>({std::size_t(1), std::size_t(1)})));
    a = concat({concat({a, transpose(mean_x)}, 1), concat({mean_x, one}, 1)}, 0);
    b = concat({b, mean_y}, 0);
  }
  const std::size_t k = a.shape()[0];
  const long kl = static_cast<long>(k);
  const double c = opt.trace_bound > 0 ? opt.trace_bound : 1.25 * static_cast<double>(k);
  auto v = to_private(s.constant(xt::eye<double>(k) / c));
  const auto two_i = s.constant(2.0 * xt::eye<double>(k));
  for (unsigned t = 0; t < opt.iterations; ++t) v = matmul(v, two_i - matmul(a, v));
  return reshape(matmul(v, b), {kl});
}

}  // namespace tfe::stats
