// tfe/graph/kernels_elementwise.hpp: the elementwise ONNX ops (numpy broadcasting throughout).
//
// Public inputs only: computed in plaintext (double; integer tensors stay integers, Div truncates).
// A private input: the protocol ops of tfe/ops. Costs and errors are those of the op used:
//   Add Sub Neg Sum Mean Identity Dropout Where(public condition)   local, exact
//   Mul by a public integer tensor                                  local, exact
//   Mul Div by public reals                                         local + 1 truncation (±1 ulp)
//   Mul of two private tensors                                      1 product (P::bilinear) + truncation
//   Div by a private tensor                                         reciprocal (divisor in [2^-14, 2^15)
//                                                                   for ring64, positive) + 1 product
//   Relu Abs Sign LeakyRelu Max Min Clip Equal Less Greater ...     one sign test (+ 1 product)
//   Exp Log Sqrt Reciprocal Pow(-1, ±0.5)                           tfe/ops/approx*.hpp (bounds there)
//   Sigmoid Tanh Erf Gelu   piecewise degree-4 polynomials, tfe/ops/approx_smooth.hpp: |error| ≤ 8e-5
//                           + 3·2^-f (sigmoid_accurate, tanh_accurate, erf, gelu, gelu_tanh)
//   Softplus  relu(x) + log(1 + exp(−|x|));  Elu/Selu  relu(x) + α·(exp(min(x, 0)) − 1)
// Comparisons give private 0/1 values (fixed point 0.0 / 1.0), which Where, Not, And, Or and Cast use.
#pragma once

#include "tfe/graph/context.hpp"
#include "tfe/ops/approx_smooth.hpp"

namespace tfe::graph::kernels {

namespace gd = ::tfe::graph::detail;

template <protocol P>
using result = std::vector<value<P>>;

// ---- arithmetic ---------------------------------------------------------------------------------

/// ONNX's sign: −1, 0 or 1 (tfe::sign gives 1 at 0): [x > 0] − [x < 0], two batched comparisons.
template <protocol P>
private_tensor<P> sign_onnx(const private_tensor<P>& x) {
  return greater(x, 0.0) - less(x, 0.0);
}

/// 1/x for either sign: s·reciprocal(s·x) with s = 1 − 2·[x < 0] (one sign test, two products more
/// than tfe::reciprocal, whose domain is positive). |x| must lie in reciprocal's domain.
template <protocol P>
private_tensor<P> reciprocal_signed(const private_tensor<P>& x) {
  auto s = 1.0 - less(x, 0.0) * 2.0;
  return reciprocal(x * s) * s;
}

/// Opset < 7 binary ops with broadcast = 1 and `axis`: B's dims align with A's from `axis` on.
template <protocol P>
void legacy_broadcast(op_context<P>& c, std::vector<value<P>>& keep) {
  if (c.opset >= 7 || c.n.get_int("broadcast", 0) == 0 || !c.n.has("axis")) return;
  const shape_t as = c.at(0).shape(), bs = c.at(1).shape();
  const std::size_t axis = gd::axis_of(c.n.get_int("axis", 0), as.size(), c.n);
  shape_t t(as.size(), 1);
  TFE_ENFORCE(axis + bs.size() <= as.size(), shape_error, c.n.where(), ": B of shape ", shape_str(bs),
              " does not fit A of shape ", shape_str(as), " at axis ", axis);
  for (std::size_t i = 0; i < bs.size(); ++i) t[axis + i] = bs[i];
  keep.push_back(gd::apply_structural(c.at(1), [&](const auto& x) { return gd::reshaped(x, t); }));
  c.in[1] = &keep.back();
}

template <protocol P>
result<P> add(op_context<P>& c) {
  std::vector<value<P>> keep;
  keep.reserve(1);
  legacy_broadcast(c, keep);
  const auto &a = c.at(0), &b = c.at(1);
  if (a.is_public() && b.is_public())
    return c.out(xt::xarray<double>(a.pub->data + b.pub->data), a.pub->integer && b.pub->integer);
  if (a.is_public()) return c.out(*b.priv + c.s.constant(a.pub->data));
  if (b.is_public()) return c.out(*a.priv + c.s.constant(b.pub->data));
  return c.out(*a.priv + *b.priv);
}

template <protocol P>
result<P> sub(op_context<P>& c) {
  std::vector<value<P>> keep;
  keep.reserve(1);
  legacy_broadcast(c, keep);
  const auto &a = c.at(0), &b = c.at(1);
  if (a.is_public() && b.is_public())
    return c.out(xt::xarray<double>(a.pub->data - b.pub->data), a.pub->integer && b.pub->integer);
  if (a.is_public()) return c.out(c.s.constant(a.pub->data) - *b.priv);
  if (b.is_public()) return c.out(*a.priv - c.s.constant(b.pub->data));
  return c.out(*a.priv - *b.priv);
}

template <protocol P>
result<P> mul(op_context<P>& c) {
  std::vector<value<P>> keep;
  keep.reserve(1);
  legacy_broadcast(c, keep);
  const auto &a = c.at(0), &b = c.at(1);
  if (a.is_public() && b.is_public())
    return c.out(xt::xarray<double>(a.pub->data * b.pub->data), a.pub->integer && b.pub->integer);
  if (a.is_public()) return c.out(gd::mul_public(*b.priv, *a.pub), b.priv_integer && a.pub->integer);
  if (b.is_public()) return c.out(gd::mul_public(*a.priv, *b.pub), a.priv_integer && b.pub->integer);
  return c.out(*a.priv * *b.priv);
}

template <protocol P>
result<P> div(op_context<P>& c) {
  std::vector<value<P>> keep;
  keep.reserve(1);
  legacy_broadcast(c, keep);
  const auto &a = c.at(0), &b = c.at(1);
  if (a.is_public() && b.is_public()) {
    xt::xarray<double> q = a.pub->data / b.pub->data;
    const bool integer = a.pub->integer && b.pub->integer;
    if (integer) q = xt::trunc(q);
    return c.out(std::move(q), integer);
  }
  if (a.is_private() ? a.priv_integer : a.pub->integer)
    TFE_ENFORCE(!(b.is_private() ? b.priv_integer : b.pub->integer), config_error, c.n.where(),
                ": integer division of private tensors is not supported (it would need a private floor)");
  if (b.is_public()) {
    TFE_ENFORCE(xt::all(xt::not_equal(b.pub->data, 0.0)), config_error, c.n.where(), ": division by a zero constant");
    return c.out(*a.priv * c.s.constant(xt::xarray<double>(1.0 / b.pub->data)));
  }
  auto r = reciprocal_signed(*b.priv);
  if (a.is_public()) return c.out(r * c.s.constant(a.pub->data));
  return c.out(*a.priv * r);
}

template <protocol P>
result<P> neg(op_context<P>& c) {
  const auto& a = c.at(0);
  if (a.is_public()) return c.out(xt::xarray<double>(-a.pub->data), a.pub->integer);
  return c.out(-*a.priv, a.priv_integer);
}

/// Sum and Mean of any number of inputs.
template <protocol P>
result<P> sum_n(op_context<P>& c, bool mean) {
  TFE_ENFORCE(c.num_inputs() >= 1, config_error, c.n.where(), ": needs at least one input");
  if (c.all_public()) {
    xt::xarray<double> acc = c.at(0).pub->data;
    bool integer = c.at(0).pub->integer;
    for (std::size_t i = 1; i < c.num_inputs(); ++i) {
      acc = acc + c.at(i).pub->data;
      integer = integer && c.at(i).pub->integer;
    }
    if (mean) acc = acc / static_cast<double>(c.num_inputs()), integer = false;
    return c.out(std::move(acc), integer);
  }
  private_tensor<P> acc = c.priv(0);
  for (std::size_t i = 1; i < c.num_inputs(); ++i) acc = acc + c.priv(i);
  if (mean && c.num_inputs() > 1) acc = acc * (1.0 / static_cast<double>(c.num_inputs()));
  return c.out(acc);
}

/// Pow with a public exponent: a non-negative integer (products), −1 (reciprocal), ±0.5 (square root).
template <protocol P>
result<P> pow(op_context<P>& c) {
  const auto& x = c.at(0);
  const auto& e = c.pub(1, "exponent");
  if (x.is_public()) return c.out(xt::xarray<double>(xt::pow(x.pub->data, e.data)), x.pub->integer && e.integer);
  TFE_ENFORCE(e.data.size() == 1, config_error, c.n.where(), ": the exponent must be a scalar, got shape ",
              shape_str(shape_of(e.data)));
  const double k = e.data.flat(0);
  if (k == 0.5) return c.out(sqrt(*x.priv));
  if (k == -0.5) return c.out(inv_sqrt(*x.priv));
  if (k == -1) return c.out(reciprocal_signed(*x.priv));
  TFE_ENFORCE(k >= 0 && k == std::trunc(k) && k <= 64, config_error, c.n.where(), ": exponent ", k,
              " is not supported (supported: integers 0..64, -1, 0.5, -0.5)");
  if (k == 0) return c.out(tfe::detail::constant_like(*x.priv, 1.0));
  if (k == 1) return c.out(*x.priv);
  return c.out(tfe::pow(*x.priv, static_cast<unsigned>(k)));
}

// ---- activations and elementary functions ----------------------------------------------------

/// A unary function of a private tensor; public inputs are folded with `plain`.
template <protocol P, class F, class G>
result<P> unary(op_context<P>& c, F&& priv_fn, G&& plain_fn) {
  const auto& x = c.at(0);
  if (x.is_public()) return c.out(xt::xarray<double>(plain_fn(x.pub->data)), false);
  return c.out(priv_fn(*x.priv));
}

/// Gelu (opset 20): approximate="none" is x·Φ(x), "tanh" its tanh form; both piecewise polynomials.
template <protocol P>
result<P> gelu_op(op_context<P>& c) {
  const std::string form = c.n.get_string("approximate", "none");
  TFE_ENFORCE(form == "none" || form == "tanh", config_error, c.n.where(), ": approximate=\"", form,
              "\" is not an ONNX Gelu form (none, tanh)");
  const auto& x = c.at(0);
  if (x.is_public()) {
    const xt::xarray<double>& d = x.pub->data;
    if (form == "tanh")
      return c.out(xt::xarray<double>(0.5 * d * (1.0 + xt::tanh(0.79788456080286535588 * (d + 0.044715 * d * d * d)))),
                   false);
    return c.out(xt::xarray<double>(0.5 * d * (1.0 + xt::erf(d * 0.70710678118654752440))), false);
  }
  return c.out(form == "tanh" ? gelu_tanh(*x.priv) : gelu(*x.priv));
}

template <protocol P>
private_tensor<P> leaky_relu(const private_tensor<P>& x, double alpha) {
  // alpha·x + (1 − alpha)·relu(x): one sign test, one public product.
  return x * alpha + relu(x) * (1.0 - alpha);
}

template <protocol P>
private_tensor<P> elu(const private_tensor<P>& x, double alpha) {
  auto r = relu(x);
  return r + (exp(x - r) - 1.0) * alpha;
}

template <protocol P>
private_tensor<P> softplus(const private_tensor<P>& x) {
  return relu(x) + log(exp(-tfe::abs(x)) + 1.0);
}

template <protocol P>
private_tensor<P> hard_sigmoid(const private_tensor<P>& x, double alpha, double beta) {
  return clip(x * alpha + beta, 0.0, 1.0);
}

/// Clip with optional bounds (inputs 1 and 2 from opset 11, attributes min/max before).
template <protocol P>
result<P> clip_op(op_context<P>& c) {
  std::optional<double> lo, hi;
  if (c.opset < 11) {
    if (c.n.has("min")) lo = c.n.get_float("min", 0);
    if (c.n.has("max")) hi = c.n.get_float("max", 0);
  } else {
    if ((c.has(1) && c.at(1).is_private()) || (c.has(2) && c.at(2).is_private())) {
      // Private bounds: an exact maximum and minimum (one sign test and one product each).
      auto y = c.priv(0);
      if (c.has(1)) y = maximum(y, c.priv(1));
      if (c.has(2)) y = minimum(y, c.priv(2));
      return c.out(y);
    }
    if (c.has(1)) lo = c.pub(1, "min").data.flat(0);
    if (c.has(2)) hi = c.pub(2, "max").data.flat(0);
  }
  const auto& x = c.at(0);
  if (x.is_public()) {
    xt::xarray<double> v = x.pub->data;
    if (lo) v = xt::maximum(v, *lo);
    if (hi) v = xt::minimum(v, *hi);
    return c.out(std::move(v), x.pub->integer);
  }
  if (lo && hi) return c.out(clip(*x.priv, *lo, *hi));
  if (lo) return c.out(relu(*x.priv - *lo) + *lo);
  if (hi) return c.out(-relu(*hi - *x.priv) + *hi);
  return c.out(*x.priv);
}

/// Max / Min of any number of inputs, pairwise (each one sign test and one product).
template <protocol P>
result<P> extremum(op_context<P>& c, bool is_max) {
  if (c.all_public()) {
    xt::xarray<double> acc = c.at(0).pub->data;
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
      acc = is_max ? xt::xarray<double>(xt::maximum(acc, c.at(i).pub->data))
                   : xt::xarray<double>(xt::minimum(acc, c.at(i).pub->data));
    return c.out(std::move(acc), c.at(0).pub->integer);
  }
  private_tensor<P> acc = c.priv(0);
  for (std::size_t i = 1; i < c.num_inputs(); ++i) acc = is_max ? maximum(acc, c.priv(i)) : minimum(acc, c.priv(i));
  return c.out(acc);
}

// ---- comparisons and logic ----------------------------------------------------------------------

enum class cmp { eq, lt, gt, le, ge };

template <protocol P>
result<P> compare(op_context<P>& c, cmp k) {
  const auto &a = c.at(0), &b = c.at(1);
  if (a.is_public() && b.is_public()) {
    const auto &x = a.pub->data, &y = b.pub->data;
    xt::xarray<double> r;
    switch (k) {
      case cmp::eq:
        r = xt::cast<double>(xt::equal(x, y));
        break;
      case cmp::lt:
        r = xt::cast<double>(x < y);
        break;
      case cmp::gt:
        r = xt::cast<double>(x > y);
        break;
      case cmp::le:
        r = xt::cast<double>(x <= y);
        break;
      case cmp::ge:
        r = xt::cast<double>(x >= y);
        break;
    }
    return c.out(std::move(r), true);
  }
  const auto x = c.priv(0), y = c.priv(1);
  switch (k) {
    case cmp::eq:
      return c.out(equal(x, y), true);
    case cmp::lt:
      return c.out(less(x, y), true);
    case cmp::gt:
      return c.out(greater(x, y), true);
    case cmp::le:
      return c.out(less_equal(x, y), true);
    case cmp::ge:
      return c.out(greater_equal(x, y), true);
  }
  return {};
}

template <protocol P>
result<P> logical_not(op_context<P>& c) {
  const auto& a = c.at(0);
  if (a.is_public()) return c.out(xt::xarray<double>(xt::cast<double>(xt::equal(a.pub->data, 0.0))), true);
  return c.out(1.0 - *a.priv, true);
}

/// And, Or, Xor of 0/1 values: a·b, a + b − a·b, a + b − 2·a·b.
template <protocol P>
result<P> logical(op_context<P>& c, int which) {
  if (c.all_public()) {
    auto a = xt::cast<double>(xt::not_equal(c.at(0).pub->data, 0.0));
    auto b = xt::cast<double>(xt::not_equal(c.at(1).pub->data, 0.0));
    xt::xarray<double> r = which == 0   ? xt::xarray<double>(a * b)
                           : which == 1 ? xt::xarray<double>(a + b - a * b)
                                        : xt::xarray<double>(a + b - 2.0 * a * b);
    return c.out(std::move(r), true);
  }
  const auto a = c.priv(0), b = c.priv(1);
  auto ab = a * b;
  if (which == 0) return c.out(ab, true);
  if (which == 1) return c.out(a + b - ab, true);
  return c.out(a + b - ab * 2.0, true);
}

/// Where(condition, x, y): a public condition selects locally; a private one costs one product.
template <protocol P>
result<P> where(op_context<P>& c) {
  const auto& cond = c.at(0);
  if (c.all_public()) {
    auto m = xt::not_equal(cond.pub->data, 0.0);
    return c.out(xt::xarray<double>(xt::where(m, c.at(1).pub->data, c.at(2).pub->data)),
                 c.at(1).pub->integer && c.at(2).pub->integer);
  }
  if (cond.is_public()) return c.out(gd::where_public(*cond.pub, c.priv(1), c.priv(2)));
  return c.out(select(*cond.priv, c.priv(1), c.priv(2)));
}

// ---- identity, casts, rounding --------------------------------------------------------------------

template <protocol P>
result<P> identity(op_context<P>& c) {
  return c.out(c.at(0));
}

template <protocol P>
result<P> dropout(op_context<P>& c) {
  if (c.has(2) && c.at(2).is_public() && c.at(2).pub->data.size() == 1 && c.at(2).pub->data.flat(0) != 0)
    c.unsupported("Dropout in training mode");
  if (c.has(2) && c.at(2).is_private()) c.unsupported("Dropout with a private training_mode");
  auto r = c.out(c.at(0));
  // Inference keeps everything: the mask (public) is all true.
  if (c.n.outputs.size() > 1) r.push_back(value<P>::of(xt::xarray<double>(xt::ones<double>(c.at(0).shape())), true));
  return r;
}

/// ONNX TensorProto data types: 1 float, 10 float16, 11 double, 16 bfloat16; 2..7, 9, 12, 13 integers and bool.
inline bool is_float_type(std::int64_t t) { return t == 1 || t == 10 || t == 11 || t == 16; }

template <protocol P>
result<P> cast(op_context<P>& c) {
  const std::int64_t to = c.n.get_int("to", 1);
  const auto& x = c.at(0);
  TFE_ENFORCE(to != 8, config_error, c.n.where(), ": Cast to string is not supported");
  const bool to_float = is_float_type(to);
  if (x.is_public()) {
    if (to_float) return c.out(x.pub->data, false);
    if (to == 9) return c.out(xt::xarray<double>(xt::cast<double>(xt::not_equal(x.pub->data, 0.0))), true);
    return c.out(xt::xarray<double>(xt::trunc(x.pub->data)), true);
  }
  TFE_ENFORCE(to_float || x.priv_integer, config_error, c.n.where(),
              ": Cast of a private real tensor to an integer type is not supported (it would need a private "
              "floor); private comparison results and indices can be cast");
  return c.out(*x.priv, x.priv_integer);
}

/// Floor, Ceil, Round: public tensors only (shape arithmetic).
template <protocol P>
result<P> rounding(op_context<P>& c, int which) {
  const auto& x = c.at(0);
  if (!x.is_public()) c.unsupported(c.n.op_type + " of a private tensor");
  const auto& d = x.pub->data;
  xt::xarray<double> r = which == 0   ? xt::xarray<double>(xt::floor(d))
                         : which == 1 ? xt::xarray<double>(xt::ceil(d))
                                      : xt::xarray<double>(xt::nearbyint(d));
  return c.out(std::move(r), x.pub->integer);
}

}  // namespace tfe::graph::kernels
