// tfe/ops/approx.hpp: approximations of nonlinear functions, generic over protocols.
//
// Everything here is built from the generic ops only (batched sign tests, products, truncation and
// local linear algebra), so it runs unchanged on plain, pond and any later protocol. Two building
// blocks carry most of it:
//
//  * Steps. ONE batched sign test of x − θ_j for all thresholds θ_j gives shares of the integer bits
//    s_j = [x ≥ θ_j]. Any piecewise-constant function of x with jumps at the θ_j is then LOCAL:
//      g(x) = g_0 + Σ_j s_j·(g_{j+1} − g_j)     (bits times public constants, summed)
//    and any piecewise-linear one costs ONE product, (Σ_j s_j·Δslope_j)·x. Bucket normalisations
//    (2^-j for x in [2^j, 2^(j+1)), used by exp, reciprocal, inv_sqrt and log in approx_elementary.hpp)
//    are piecewise constants too.
//  * Powers. x^2 .. x^d in ⌈log2 d⌉ rounds of products: level r multiplies x^(2^r) by every lower power
//    at once, a broadcasting product that opens x^(2^r) once. A polynomial Σ c_i x^i then adds the
//    untruncated terms enc(c_i)·x^i and truncates ONCE.
//
// Costs count, per input value: sign-test thresholds (all in ONE batched protocol comparison of
// width used_bits()+1: 7 rounds in Pond ring64, 8 in ring128, whatever their number; about 22 bytes
// per threshold and server in ring64), products (elementwise, each one Beaver round in Pond; a
// broadcasting product counts once per output but opens the shared operand once) and the rounds of
// products on the critical path. Measured bytes and errors: docs/approximations.md, produced by
// benchmarks/approx_errors.cpp; the bounds are asserted in tests/test_approx*.cpp.
//
// This file: sigmoid (23 pieces), sigmoid_3piece, tanh, abs, sign, clip, minimum, min.
// tfe/ops/approx_elementary.hpp (included at the end): exp, reciprocal, inv_sqrt, sqrt, log, softmax.
//
// sigmoid: a piecewise-linear interpolation of 1/(1 + e^-x) through 23 breakpoints on [-8, 8]
// (finer near 0, where the curvature is), 0 below −8 and 1 above 8. Written as a sum of steps,
//   f(x) = Σ_j [x ≥ b_j] · (Δα_j·x + Δβ_j),
// with Δ the change of slope and intercept at breakpoint b_j, so it costs ONE batched sign test of
// the 23 differences x − b_j (the protocol's comparison rounds, once) and ONE product
// (Σ_j [x ≥ b_j]·Δα_j)·x, whatever the input size. The bits times public constants are local.
// Maximum error over the whole real line, measured with numpy on 4·10^6 points in [−40, 40]:
// 0.002984 (interpolation) + 2^-(f−1) (fixed-point encoding and one truncation); no divergence for
// large |x| (unlike the polynomial approximations of TF Encrypted's Pond, which blow up outside ±8).
#pragma once

#include "tfe/ops/nonlinear.hpp"
#include "tfe/protocol/protocol.hpp"

#include <array>
#include <cmath>
#include <vector>

namespace tfe {

namespace detail {

/// A real constant in the ring at the session's scale, WITHOUT the fixed-point range check: bucket
/// normalisations such as 2^16 are fine as multipliers although no input could hold them.
template <class R>
R encode_unchecked(double v, const fixed_point_config& cfg) {
  const double scaled = v * cfg.scale();
  TFE_ENFORCE(std::isfinite(scaled) && std::fabs(scaled) < std::ldexp(1.0, static_cast<int>(ring_traits<R>::bits) - 2),
              encoding_error, "constant ", v, " does not fit the ring at scale 2^", cfg.frac_bits);
  return ring_traits<R>::from_double(scaled);
}

/// Adds a real constant (unchecked encoding, see above).
template <protocol P>
private_tensor<P> add_constant(const private_tensor<P>& x, double c) {
  ring_tensor<typename P::ring> t(shape_t{});
  t() = encode_unchecked<typename P::ring>(c, x.sess().fixed_point());
  return add_public(x, t, "add");
}

/// Shares of the integer bits [x ≥ θ_j] for every threshold at once, shape (M, ...x): ONE batched
/// sign test of the M differences x − θ_j (each within used_bits()+1 bits).
template <protocol P>
private_tensor<P> step_bits(const private_tensor<P>& x, const std::vector<double>& thresholds) {
  using R = typename P::ring;
  TFE_ENFORCE(!thresholds.empty(), shape_error, "step_bits: no thresholds");
  // The differences x − θ_j, stacked along a new leading axis in one broadcast: x plus the public
  // column (−θ_0, ..., −θ_{M−1}) of shape (M, 1, ...).
  shape_t cshape(x.ndim() + 1, 1);
  cshape[0] = thresholds.size();
  ring_tensor<R> neg_theta = ring_tensor<R>::from_shape(cshape);
  for (std::size_t j = 0; j < thresholds.size(); ++j) neg_theta.data()[j] = encode_scalar(x.sess(), -thresholds[j])();
  auto steps = sign_bit(add_public(x, neg_theta, "sub"), sign_width::fixed_point_range, true);  // [x < θ_j]
  // [x ≥ θ_j] = 1 − [x < θ_j], in place: every component negated, the public one plus 1.
  const int k = P::public_component(x.sess());
  for (std::size_t i = 0; i < steps.parts().size(); ++i) {
    const R one = static_cast<int>(i) == k ? ring_traits<R>::one() : ring_traits<R>::zero();
    R* p = steps.parts()[i].data();
    for (std::size_t e = 0; e < steps.parts()[i].size(); ++e) p[e] = R(one - p[e]);
  }
  return steps;
}

/// Σ_j rows_j · enc(c_j) over the leading axis of `rows` (shape (M, ...)), no truncation: exact
/// fixed point when the rows are integer bits, 2f fractional bits when they are fixed point.
template <protocol P>
private_tensor<P> dot_rows(const private_tensor<P>& rows, const std::vector<double>& c) {
  using R = typename P::ring;
  const auto& cfg = rows.sess().fixed_point();
  const std::size_t m = rows.shape().at(0);
  TFE_ENFORCE(c.size() == m, shape_error, "dot_rows: ", c.size(), " constants for ", m, " rows");
  shape_t cshape(rows.ndim(), 1);
  cshape[0] = m;
  ring_tensor<R> cr(cshape);
  for (std::size_t j = 0; j < m; ++j) cr.data()[j] = encode_unchecked<R>(c[j], cfg);
  shape_t out(rows.shape().begin() + 1, rows.shape().end());
  return map_parts(rows, out, [&](const ring_tensor<R>& p) { return ring_ops::sum(ring_tensor<R>(p * cr), {0}); });
}

/// One piecewise-constant function encoded for the step bits: enc(v[0]) and the jumps between
/// consecutive ENCODED values, so that every bucket gets exactly enc(v[j]) (a function that is 0 on a
/// bucket is an exact zero there). `integer`: the values are integers held unscaled (as multipliers
/// that need no truncation).
template <class R>
struct bucket_values {
  R base;
  std::vector<R> jumps;
};

template <class R>
bucket_values<R> encode_bucket_values(const std::vector<double>& v, std::size_t m, fixed_point_config cfg,
                                      bool integer) {
  if (integer) cfg.frac_bits = 0;
  TFE_ENFORCE(v.size() == m + 1, shape_error, "piecewise_constant: ", v.size(), " values for ", m, " steps");
  bucket_values<R> b{encode_unchecked<R>(v[0], cfg), std::vector<R>(m)};
  for (std::size_t j = 0; j < m; ++j)
    b.jumps[j] = R(encode_unchecked<R>(v[j + 1], cfg) - encode_unchecked<R>(v[j], cfg));
  return b;
}

/// out_r[e] (+)= [public component] enc(v_r[0]) + Σ_j steps[j·n + e] · jump_{r,j} for every function
/// r, over one share component: blocked over e so that a block of the m step rows is read from
/// memory once for all functions. `accumulate`: add to out_r instead of overwriting it.
template <class R>
void accumulate_bucket_values(const R* steps, std::size_t m, std::size_t n, const std::vector<bucket_values<R>>& fs,
                              bool public_component, const std::vector<R*>& out, bool accumulate) {
  constexpr std::size_t block = 2048;
  for (std::size_t lo = 0; lo < n; lo += block) {
    const std::size_t hi = std::min(n, lo + block);
    for (std::size_t r = 0; r < fs.size(); ++r) {
      R* a = out[r];
      const R base = public_component ? fs[r].base : ring_traits<R>::zero();
      if (accumulate)
        for (std::size_t e = lo; e < hi; ++e) a[e] = R(a[e] + base);
      else
        std::fill(a + lo, a + hi, base);
      for (std::size_t j = 0; j < m; ++j) {
        const R c = fs[r].jumps[j];
        const R* pj = steps + j * n;
        for (std::size_t e = lo; e < hi; ++e) a[e] = R(a[e] + R(pj[e] * c));
      }
    }
  }
}

/// The piecewise-constant functions v_r (v_r[0] below θ_0, v_r[j] on [θ_{j-1}, θ_j), v_r[M] above
/// θ_{M-1}) of the step bits (M, ...x), stacked along a new leading axis: shape (r, ...x). Local, one
/// pass over the step bits for all of them. `integer[r]`: see encode_bucket_values.
template <protocol P>
private_tensor<P> piecewise_constants(const private_tensor<P>& steps, const std::vector<std::vector<double>>& v,
                                      const std::vector<bool>& integer) {
  using R = typename P::ring;
  TFE_ENFORCE(!v.empty() && integer.size() == v.size(), shape_error, "piecewise_constants: ", v.size(), " functions, ",
              integer.size(), " integer flags");
  const std::size_t m = steps.shape().at(0);
  std::vector<bucket_values<R>> fs;
  for (std::size_t r = 0; r < v.size(); ++r)
    fs.push_back(encode_bucket_values<R>(v[r], m, steps.sess().fixed_point(), integer[r]));
  shape_t one(steps.shape().begin() + 1, steps.shape().end());
  const std::size_t n = shape_size(one);
  shape_t out = one;
  out.insert(out.begin(), v.size());
  const int k = P::public_component(steps.sess());
  typename private_tensor<P>::parts_type parts;
  for (std::size_t i = 0; i < steps.parts().size(); ++i) {
    ring_tensor<R> acc = ring_tensor<R>::from_shape(out);
    std::vector<R*> rows;
    for (std::size_t r = 0; r < v.size(); ++r) rows.push_back(acc.data() + r * n);
    accumulate_bucket_values(steps.parts()[i].data(), m, n, fs, static_cast<int>(i) == k, rows, false);
    parts.push_back(std::move(acc));
  }
  return private_tensor<P>(steps.sess(), std::move(out), std::move(parts));
}

/// The piecewise-constant function with value v[0] below θ_0, v[j] on [θ_{j-1}, θ_j), v[M] above
/// θ_{M-1}, from the step bits (M, ...x): local (see encode_bucket_values for `integer`).
template <protocol P>
private_tensor<P> piecewise_constant(const private_tensor<P>& steps, const std::vector<double>& v,
                                     bool integer = false) {
  auto rows = piecewise_constants(steps, {v}, {integer});
  shape_t out(steps.shape().begin() + 1, steps.shape().end());
  for (auto& p : rows.parts()) p.reshape(out);
  return private_tensor<P>(steps.sess(), std::move(out), std::move(rows.parts()));
}

/// y += piecewise_constant(steps, v), in place (local).
template <protocol P>
void add_piecewise_constant(private_tensor<P>& y, const private_tensor<P>& steps, const std::vector<double>& v) {
  using R = typename P::ring;
  const std::size_t m = steps.shape().at(0);
  const shape_t one(steps.shape().begin() + 1, steps.shape().end());
  TFE_ENFORCE(y.shape() == one && y.parts().size() == steps.parts().size(), shape_error,
              "add_piecewise_constant: shape ", shape_str(y.shape()), " for step bits of shape ",
              shape_str(steps.shape()));
  const std::vector<bucket_values<R>> fs{encode_bucket_values<R>(v, m, steps.sess().fixed_point(), false)};
  const int k = P::public_component(steps.sess());
  for (std::size_t i = 0; i < steps.parts().size(); ++i)
    accumulate_bucket_values(steps.parts()[i].data(), m, shape_size(one), fs, static_cast<int>(i) == k,
                             std::vector<R*>{y.parts()[i].data()}, true);
}

/// Σ of rows [first, first + count) of x's leading axis (local, no truncation): one pass.
template <protocol P>
private_tensor<P> sum_rows(const private_tensor<P>& x, std::size_t first, std::size_t count) {
  using R = typename P::ring;
  TFE_ENFORCE(x.ndim() >= 1 && count >= 1 && first + count <= x.shape()[0], shape_error, "sum_rows: rows [", first,
              ", ", first + count, ") of shape ", shape_str(x.shape()));
  shape_t out(x.shape().begin() + 1, x.shape().end());
  const std::size_t n = shape_size(out);
  return map_parts(x, out, [&](const ring_tensor<R>& p) {
    ring_tensor<R> acc = ring_tensor<R>::from_shape(out);
    R* a = acc.data();
    std::copy_n(p.data() + first * n, n, a);
    for (std::size_t r = first + 1; r < first + count; ++r) {
      const R* pr = p.data() + r * n;
      for (std::size_t e = 0; e < n; ++e) a[e] = R(a[e] + pr[e]);
    }
    return acc;
  });
}

/// y += row `row` of x's leading axis, in place (local).
template <protocol P>
void add_row(private_tensor<P>& y, const private_tensor<P>& x, std::size_t row) {
  using R = typename P::ring;
  const shape_t one(x.shape().begin() + 1, x.shape().end());
  TFE_ENFORCE(x.ndim() >= 1 && row < x.shape()[0] && y.shape() == one && y.parts().size() == x.parts().size(),
              shape_error, "add_row: row ", row, " of shape ", shape_str(x.shape()), " to shape ",
              shape_str(y.shape()));
  const std::size_t n = shape_size(one);
  for (std::size_t i = 0; i < x.parts().size(); ++i) {
    R* a = y.parts()[i].data();
    const R* b = x.parts()[i].data() + row * n;
    for (std::size_t e = 0; e < n; ++e) a[e] = R(a[e] + b[e]);
  }
}

/// Elementwise product with broadcasting and WITHOUT truncation (an integer operand, or a product
/// truncated later): the protocol's bilinear routine on the unbroadcast operands.
template <protocol P>
private_tensor<P> mul_broadcast_exact(const private_tensor<P>& a, const private_tensor<P>& b) {
  check_same_session(a.sess(), b.sess(), "mul");
  auto scope = a.sess().op_scope("mul");
  shape_t zs = broadcast_shapes(a.shape(), b.shape(), "mul");
  auto prod = P::bilinear(a.sess(), a.parts(), b.parts(), a.shape(), b.shape(), zs, ring_ops::elementwise_product{});
  return private_tensor<P>(a.sess(), std::move(zs), std::move(prod));
}

/// Σ_i x[i] ⊙ y[i] over the leading axis of two share components of the same shape (k, ...), shape
/// (...): bilinear, for P::bilinear and P::bilinear_truncated.
struct stacked_dot {
  template <class R>
  ring_tensor<R> operator()(const ring_tensor<R>& x, const ring_tensor<R>& y) const {
    TFE_ASSERT(x.dimension() >= 1 && x.shape() == y.shape());
    const shape_t zs(x.shape().begin() + 1, x.shape().end());
    const std::size_t k = x.shape()[0], n = shape_size(zs);
    ring_tensor<R> z = ring_tensor<R>::from_shape(zs);
    R* zp = z.data();
    const R *xp = x.data(), *yp = y.data();
    for (std::size_t e = 0; e < n; ++e) zp[e] = R(xp[e] * yp[e]);
    for (std::size_t i = 1; i < k; ++i) {
      const R *xi = xp + i * n, *yi = yp + i * n;
      for (std::size_t e = 0; e < n; ++e) zp[e] = R(zp[e] + xi[e] * yi[e]);
    }
    return z;
  }
};

/// Σ_i a[i] ⊙ b[i] over the leading axis of two private tensors of the same shape (k, ...), as a
/// fixed-point sum truncated ONCE, in one product round: the sum is a bilinear function of a and b,
/// so ABY3 reshares (and truncates) one value per output instead of k, and the truncation rides on
/// the product (P::bilinear_truncated). Pond and SecureNN open both operands, as k products would.
/// The real sum must stay in the fixed-point range, as a product's does.
template <protocol P>
private_tensor<P> sum_of_products(const private_tensor<P>& a, const private_tensor<P>& b) {
  check_same_session(a.sess(), b.sess(), "sum_of_products");
  TFE_ENFORCE(a.ndim() >= 1 && a.shape() == b.shape(), shape_error, "sum_of_products: shapes ", shape_str(a.shape()),
              " and ", shape_str(b.shape()), " must be equal, with a leading axis to sum over");
  auto scope = a.sess().op_scope("mul");
  const shape_t zs(a.shape().begin() + 1, a.shape().end());
  return truncated_product(a.sess(), &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), zs, stacked_dot{});
}

/// Elementwise fixed-point product of private tensors with broadcasting, passing the UNbroadcast
/// operands to the protocol: a Beaver product opens |a| + |b| elements instead of 2·|a ⊙ b| (one
/// operand reused against many). One round, one truncation.
template <protocol P>
private_tensor<P> mul_broadcast(const private_tensor<P>& a, const private_tensor<P>& b) {
  check_same_session(a.sess(), b.sess(), "mul");
  auto scope = a.sess().op_scope("mul");
  shape_t zs = broadcast_shapes(a.shape(), b.shape(), "mul");
  return truncated_product(a.sess(), &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), zs,
                           ring_ops::elementwise_product{});
}

/// x with a new leading axis of length 1.
template <protocol P>
private_tensor<P> lead1(const private_tensor<P>& x) {
  std::vector<long> s{1};
  for (auto d : x.shape()) s.push_back(static_cast<long>(d));
  return reshape(x, s);
}

/// x^1 .. x^d (index i holds x^(i+1)) in ⌈log2 d⌉ rounds and d − 1 products: level r multiplies
/// x^h (h = 2^r) by x^1 .. x^min(h, d−h) in one broadcasting product.
template <protocol P>
std::vector<private_tensor<P>> powers(const private_tensor<P>& x, std::size_t d) {
  std::vector<private_tensor<P>> pw{x};
  while (pw.size() < d) {
    const std::size_t h = pw.size(), more = std::min(h, d - h);
    if (more == 1) {
      pw.push_back(pw[h - 1] * pw[0]);
      continue;
    }
    auto prod =
        mul_broadcast(lead1(pw[h - 1]), stack(std::vector<private_tensor<P>>(pw.begin(), pw.begin() + more), 0));
    for (std::size_t i = 0; i < more; ++i) pw.push_back(index(prod, i, 0));
  }
  return pw;
}

/// c[0] + c[1]·x + ... + c[d]·x^d: powers (⌈log2 d⌉ rounds), then the untruncated terms summed and
/// truncated once.
template <protocol P, std::size_t N>
private_tensor<P> polynomial(const private_tensor<P>& x, const std::array<double, N>& c) {
  static_assert(N >= 2);
  auto pw = powers(x, N - 1);
  auto terms = truncate(dot_rows(stack(pw, 0), std::vector<double>(c.begin() + 1, c.end())));
  return add_constant(terms, c[0]);
}

/// The same polynomial of degree d = N − 1 with fewer products, for inputs whose output is scaled
/// down afterwards (softmax's exp): p = L(x) + x^h·Q(x) with h = ⌈d/2⌉, the powers x .. x^h (h − 1
/// products, ⌈log2 h⌉ rounds), Q = Σ_{j=0..d−h} c_{h+j}·x^j and L = Σ_{i<h} c_i·x^i (local, truncated
/// together: one round), then ONE product. That is h + 2 truncated values per input instead of d (8 → 6
/// for d = 8; ABY3 reshares each one), in as many rounds. Error: the powers' as in `polynomial`, plus
/// two more truncations (≤ 2^-f each, the second times |x^h| ≤ 1 for |x| ≤ 1).
template <protocol P, std::size_t N>
private_tensor<P> polynomial_split(const private_tensor<P>& x, const std::array<double, N>& c) {
  static_assert(N >= 3);
  constexpr std::size_t d = N - 1, h = (d + 1) / 2;
  auto pw = powers(x, h);  // x^1 .. x^h
  std::vector<double> q(h, 0.0), l(h, 0.0);
  for (std::size_t j = 1; j <= d - h; ++j) q[j - 1] = c[h + j];
  for (std::size_t i = 1; i < h; ++i) l[i - 1] = c[i];
  const auto rows = stack(pw, 0);
  auto both = truncate(stack(std::vector<private_tensor<P>>{dot_rows(rows, q), dot_rows(rows, l)}, 0));
  return add_constant(index(both, 1, 0), c[0]) + pw[h - 1] * add_constant(index(both, 0, 0), c[h]);
}

inline constexpr std::array<double, 23> sigmoid_breakpoints = {-8,  -6, -5,  -4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0,
                                                               0.5, 1,  1.5, 2,  2.5,  3,  3.5,  4,  5,    6,  8};

/// Piecewise-linear f through the points (b_j, g(b_j)), with constant `left` below b_0 and `right`
/// above b_{m-1}, evaluated as Σ_j [x ≥ b_j]·(Δslope_j·x + Δintercept_j): one batched sign, one product.
template <protocol P, std::size_t M, class G>
private_tensor<P> piecewise_linear(const private_tensor<P>& x, const std::array<double, M>& b, G&& g, double left,
                                   double right) {
  // Lines: L_0 = left (constant), L_j on [b_{j-1}, b_j) the chord, L_M = right (constant).
  std::vector<double> slope(M + 1), icpt(M + 1);
  slope[0] = 0;
  icpt[0] = left;
  for (std::size_t j = 1; j < M; ++j) {
    slope[j] = (g(b[j]) - g(b[j - 1])) / (b[j] - b[j - 1]);
    icpt[j] = g(b[j]) - slope[j] * b[j];
  }
  slope[M] = 0;
  icpt[M] = right;
  auto steps = step_bits(x, std::vector<double>(b.begin(), b.end()));  // [x >= b_j], integers 0/1
  auto slope_x = piecewise_constant(steps, slope);                     // exact fixed point
  auto offset = piecewise_constant(steps, icpt);
  return slope_x * x + offset;
}

}  // namespace detail

// ---- sigmoid family ----------------------------------------------------------------------------

/// Sigmoid, piecewise linear (see the header comment for its error: ≤ 0.002984 + 2^-(f-1)).
template <protocol P>
private_tensor<P> sigmoid(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("sigmoid");
  return detail::piecewise_linear(
      x, detail::sigmoid_breakpoints, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }, 0.0, 1.0);
}

/// The classic 3-piece sigmoid: 0 below −2, 0.5 + x/4 on [−2, 2], 1 above 2 (SecureML's choice, the
/// cheap baseline). Cost: one batched sign test of 2 thresholds, one product. Error against
/// 1/(1 + e^-x): 0.1193 at x = ±2 (1 − σ(2)), + 2^-(f-1).
template <protocol P>
private_tensor<P> sigmoid_3piece(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("sigmoid_3piece");
  return detail::piecewise_linear(
      x, std::array<double, 2>{-2.0, 2.0}, [](double v) { return 0.5 + 0.25 * v; }, 0.0, 1.0);
}

/// tanh(x) = 2·σ(2x) − 1 with σ the 23-piece sigmoid: evaluated directly as the piecewise-linear
/// interpolation of tanh through the halved breakpoints (the same function, without doubling the
/// fixed-point error of σ): −1 below −4, 1 above 4. Cost: one batched sign test of 23 thresholds, one
/// product. Error: 2 × 0.002984 = 0.0060 (interpolation) + 2^-(f-1).
template <protocol P>
private_tensor<P> tanh(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("tanh");
  std::array<double, detail::sigmoid_breakpoints.size()> b{};
  for (std::size_t j = 0; j < b.size(); ++j) b[j] = detail::sigmoid_breakpoints[j] / 2;
  return detail::piecewise_linear(
      x, b, [](double v) { return std::tanh(v); }, -1.0, 1.0);
}

// ---- abs, sign, clip, minimum ----------------------------------------------------------------------

/// |x| = x·(1 − 2·[x < 0]), exact. Cost: one sign test (width used_bits()), one product (no truncation).
template <protocol P>
private_tensor<P> abs(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("abs");
  auto neg = detail::sign_bit(x, sign_width::fixed_point_range);
  return detail::mul_exact(x, detail::add_int(mul_int(neg, -2), 1));
}

/// sign(x) as fixed point: −1 for x < 0, +1 for x ≥ 0 (sign(0) = +1, like relu_derivative), exact.
/// Cost: one sign test, no product. (Statistics tag "signum": "sign" is the sign-bit primitive's.)
template <protocol P>
private_tensor<P> sign(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("signum");
  auto neg = detail::sign_bit(x, sign_width::fixed_point_range);
  return detail::bit_to_fixed(detail::add_int(mul_int(neg, -2), 1));
}

/// clip(x, lo, hi) = min(max(x, lo), hi) for public lo ≤ hi, exact:
///   lo + [x ≥ lo]·(x − lo) − [x ≥ hi]·(x − hi)
/// Cost: one batched sign test of 2 thresholds, 2 products without truncation (one round).
template <protocol P>
private_tensor<P> clip(const private_tensor<P>& x, double lo, double hi) {
  TFE_ENFORCE(lo <= hi, encoding_error, "clip: lower bound ", lo, " is above the upper bound ", hi);
  auto scope = x.sess().op_scope("clip");
  auto steps = detail::step_bits(x, {lo, hi});
  auto gated = detail::mul_exact(steps, stack(std::vector<private_tensor<P>>{x - lo, x - hi}, 0));
  return index(gated, 0, 0) - index(gated, 1, 0) + lo;
}

/// Elementwise minimum, exact: y + (x − y)·[x − y < 0]. Cost: one sign test, one product (no truncation).
template <protocol P>
private_tensor<P> minimum(const private_tensor<P>& x, const private_tensor<P>& y,
                          sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("minimum");
  shape_t shape = detail::broadcast_shapes(x.shape(), y.shape(), "minimum");
  auto d = detail::broadcast(x - y, shape);
  auto yb = detail::broadcast(y, shape);
  return yb + detail::mul_exact(d, detail::sign_bit(d, w, true));
}

/// Minimum along `axis` (removed from the shape), exact: −max(−x). Cost: as max, ⌈log2 n⌉ levels of
/// one sign test and one product.
template <protocol P>
private_tensor<P> min(const private_tensor<P>& x, long axis = -1, sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("min");
  return -max(-x, axis, w);
}

}  // namespace tfe

#include "tfe/ops/approx_elementary.hpp"
#include "tfe/ring/tensor_ops.hpp"
