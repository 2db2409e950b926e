// tfe/graph/kernels_nn.hpp: pooling, normalization, softmax, reductions and arg-extrema (ONNX, NCHW).
//
//   MaxPool GlobalMaxPool ReduceMax ReduceMin   ⌈log2 window⌉ levels of one sign test + one product
//                                               (explicit pads hold −(2^I − 1): they never win)
//   AveragePool GlobalAveragePool ReduceMean    local sums, one public product (1/count)
//   ReduceSum                                   local;  ReduceSumSquare: one product
//   BatchNormalization                          the owner folds scale/√(var+ε) and the shift into two
//                                               per-channel weights (graph/model.hpp): one product;
//                                               with params computed in the graph, inv_sqrt
//   LayerNormalization InstanceNormalization    mean, variance (one product), inv_sqrt(var + ε) (domain
//                                               [2^-14, 2^15) in ring64: smaller variances saturate),
//                                               two products
//   Softmax                                     tfe::softmax (exact max, exp, reciprocal)
//   LogSoftmax                                  x − max − log Σ exp(x − max) (the log's argument ≥ 1)
//   ArgMax ArgMin                               tfe::argmax: private integer indices
#pragma once

#include "tfe/graph/kernels_linear.hpp"

namespace tfe::graph::kernels {

namespace detail {

/// The sum-of-one-window counts of an average pool: how many in-image elements each window holds.
inline xt::xarray<double> window_counts(const shape_t& xs, const conv_params& p, std::size_t oh, std::size_t ow) {
  xt::xarray<double> cnt = xt::zeros<double>({std::size_t(1), oh, ow, std::size_t(1)});
  for (std::size_t y = 0; y < oh; ++y)
    for (std::size_t x = 0; x < ow; ++x) {
      std::size_t n = 0;
      for (std::size_t dy = 0; dy < p.kh; ++dy)
        for (std::size_t dx = 0; dx < p.kw; ++dx) {
          const long iy = static_cast<long>(y * p.strides[0] + dy) - static_cast<long>(p.pads[0]);
          const long ix = static_cast<long>(x * p.strides[1] + dx) - static_cast<long>(p.pads[1]);
          if (iy >= 0 && ix >= 0 && iy < static_cast<long>(xs[2]) && ix < static_cast<long>(xs[3])) ++n;
        }
      cnt(0, y, x, 0) = static_cast<double>(n);
    }
  return cnt;
}

}  // namespace detail

/// MaxPool and AveragePool (2-D, NCHW).
template <protocol P>
result<P> pool_2d(op_context<P>& c, bool is_max);

/// MaxPool and AveragePool; 1-D pooling runs as 2-D on (N, C, 1, L).
template <protocol P>
result<P> pool(op_context<P>& c, bool is_max) {
  const shape_t xs = c.at(0).shape();
  if (xs.size() != 3) return pool_2d(c, is_max);
  node n = c.n;
  for (const char* a : {"strides", "dilations", "kernel_shape"})
    if (n.has(a)) n.attributes[a].ints.insert(n.attributes[a].ints.begin(), 1);
  if (n.has("pads")) {
    auto& v = n.attributes["pads"].ints;
    if (v.size() == 2) v = {0, v[0], 0, v[1]};
  }
  const value<P> x2 = as_2d(c.at(0));
  op_context<P> c2{c.s, n, {&x2}, c.opset};
  auto r = pool_2d(c2, is_max);
  const shape_t ys = r[0].shape();
  r[0] = gd::apply_structural(r[0], [&](const auto& v) { return gd::reshaped(v, {ys[0], ys[1], ys[3]}); });
  return r;
}

template <protocol P>
result<P> pool_2d(op_context<P>& c, bool is_max) {
  const shape_t xs = c.at(0).shape();
  TFE_ENFORCE(xs.size() == 4, config_error, c.n.where(), ": pooling is supported in 2-D, input of shape ",
              shape_str(xs));
  const auto k = c.n.get_ints("kernel_shape");
  TFE_ENFORCE(k.size() == 2 && k[0] >= 1 && k[1] >= 1, config_error, c.n.where(),
              ": kernel_shape must hold 2 positive integers");
  for (auto d : c.n.get_ints("dilations"))
    if (d != 1) c.unsupported("pooling with dilations");
  TFE_ENFORCE(c.n.outputs.size() < 2 || c.n.outputs[1].empty(), config_error, c.n.where(),
              ": the Indices output of MaxPool is not supported");
  const bool ceil = c.n.get_int("ceil_mode", 0) != 0;
  auto p = conv_attributes(c.n, xs, static_cast<std::size_t>(k[0]), static_cast<std::size_t>(k[1]), ceil);
  auto x = c.priv(0);
  const std::array<std::array<std::size_t, 2>, 4> pads{
      {{0, 0}, {0, 0}, {p.pads[0], p.pads[2]}, {p.pads[1], p.pads[3]}}};
  std::vector<std::array<std::size_t, 2>> pv(pads.begin(), pads.end());
  const bool padded = p.pads[0] + p.pads[1] + p.pads[2] + p.pads[3] > 0;
  auto xp = padded ? pad(x, pv) : x;
  if (is_max && padded) {
    // Padding never wins: the most negative in-range value where the pads are.
    const double low = -(std::ldexp(1.0, static_cast<int>(c.s.fixed_point().int_bits)) - 1.0);
    xt::xarray<double> inside = gd::zero_padded(xt::xarray<double>(xt::ones<double>(xs)), pv);
    xp = xp + c.s.constant(xt::xarray<double>((1.0 - inside) * low));
  }
  auto nhwc = transpose(xp, {0, 2, 3, 1});
  const std::array<std::size_t, 2> win{p.kh, p.kw};
  private_tensor<P> y;
  if (is_max) {
    y = max_pool2d(nhwc, win, p.strides, padding::valid);
  } else {
    auto sums = sum(pool_windows(nhwc, win, p.strides, padding::valid), {3});
    const bool include_pad = c.n.get_int("count_include_pad", 0) != 0;
    xt::xarray<double> cnt = detail::window_counts(xs, p, sums.shape()[1], sums.shape()[2]);
    if (include_pad) {
      // Windows count every position inside the pads.
      shape_t ps{xs[0], xs[1], xs[2] + p.pads[0] + p.pads[2], xs[3] + p.pads[1] + p.pads[3]};
      conv_params q = p;
      q.pads = {0, 0, 0, 0};
      cnt = detail::window_counts(ps, q, sums.shape()[1], sums.shape()[2]);
    }
    y = sums * c.s.constant(xt::xarray<double>(1.0 / cnt));
  }
  return c.out(transpose(y, {0, 3, 1, 2}));
}

template <protocol P>
result<P> global_pool(op_context<P>& c, bool is_max) {
  const shape_t xs = c.at(0).shape();
  TFE_ENFORCE(xs.size() >= 3, shape_error, c.n.where(), ": input of shape ", shape_str(xs), " has no spatial axes");
  const std::size_t spatial = shape_size(xs) / (xs[0] * xs[1]);
  auto flat = reshape(c.priv(0), std::vector<long>{long(xs[0]), long(xs[1]), long(spatial)});
  std::vector<long> out{long(xs[0]), long(xs[1])};
  for (std::size_t d = 2; d < xs.size(); ++d) out.push_back(1);
  if (is_max) return c.out(reshape(max(flat, -1), out));
  return c.out(reshape(sum(flat, {-1}) * (1.0 / static_cast<double>(spatial)), out));
}

/// y = x·a + b per channel (axis 1) for public or private (C,) vectors a, b.
template <protocol P>
private_tensor<P> channel_affine(op_context<P>& c, const private_tensor<P>& x, const value<P>& a, const value<P>& b) {
  std::vector<long> s(x.ndim(), 1);
  s[1] = static_cast<long>(x.shape()[1]);
  const shape_t ss(s.begin(), s.end());
  private_tensor<P> y =
      a.is_public() ? gd::mul_public(x, array{gd::reshaped(a.pub->data, ss), false}) : x * reshape(*a.priv, s);
  return add_channel_bias(c, y, b);
}

template <protocol P>
result<P> batch_norm(op_context<P>& c) {
  TFE_ENFORCE(c.n.get_int("training_mode", 0) == 0, config_error, c.n.where(),
              ": BatchNormalization in training mode is not supported");
  const auto x = c.priv(0);
  const double eps = c.n.get_float("epsilon", 1e-5);
  // Parameters computed inside the graph (not folded by the owner): a = scale·inv_sqrt(var + ε).
  auto a = c.priv(1) * inv_sqrt(c.priv(4) + eps);
  auto b = c.priv(2) - c.priv(3) * a;
  return c.out(channel_affine(c, x, value<P>::of(a), value<P>::of(b)));
}

/// tfe.ScaleShift(x, a, b): the owner-folded BatchNormalization, x·a + b per channel.
template <protocol P>
result<P> scale_shift(op_context<P>& c) {
  return c.out(channel_affine(c, c.priv(0), c.at(1), c.at(2)));
}

/// (x − mean)·inv_sqrt(var + ε) over `axes` (kept as size 1): tfe::layer_norm (approx_smooth.hpp).
template <protocol P>
private_tensor<P> normalized(const private_tensor<P>& x, const std::vector<long>& axes, double eps) {
  return tfe::layer_norm(x, axes, eps);
}

template <protocol P>
result<P> layer_norm(op_context<P>& c) {
  const auto x = c.priv(0);
  const std::size_t a = gd::axis_of(c.n.get_int("axis", -1), x.ndim(), c.n);
  std::vector<long> axes;
  for (std::size_t d = a; d < x.ndim(); ++d) axes.push_back(static_cast<long>(d));
  const double eps = c.n.get_float("epsilon", 1e-5);
  std::optional<private_tensor<P>> mu, inv;
  private_tensor<P> y;
  if (c.n.outputs.size() == 1) {
    y = tfe::layer_norm(x, axes, eps);
  } else {  // the Mean and InvStdDev outputs too
    mu = mean(x, axes, true);
    auto d = x - *mu;
    inv = inv_sqrt(mean(d * d, axes, true) + eps);
    y = d * *inv;
  }
  const auto& sc = c.at(1);
  y = sc.is_public() ? gd::mul_public(y, *sc.pub) : y * *sc.priv;
  if (c.has(2)) y = c.at(2).is_public() ? y + c.s.constant(c.at(2).pub->data) : y + *c.at(2).priv;
  auto r = c.out(y);
  if (c.n.outputs.size() > 1) r.push_back(value<P>::of(*mu));   // Mean
  if (c.n.outputs.size() > 2) r.push_back(value<P>::of(*inv));  // InvStdDev
  return r;
}

template <protocol P>
result<P> instance_norm(op_context<P>& c) {
  const auto x = c.priv(0);
  std::vector<long> axes;
  for (std::size_t d = 2; d < x.ndim(); ++d) axes.push_back(static_cast<long>(d));
  auto y = normalized(x, axes, c.n.get_float("epsilon", 1e-5));
  return c.out(channel_affine(c, y, c.at(1), c.at(2)));
}

/// Softmax / LogSoftmax: from opset 13 along one axis; before, over the axes from `axis` on (as 2-D).
template <protocol P>
result<P> softmax_op(op_context<P>& c, bool log_form) {
  auto x = c.priv(0);
  const shape_t s = x.shape();
  const std::int64_t axis = c.n.get_int("axis", c.opset >= 13 ? -1 : 1);
  std::size_t a = gd::axis_of(axis, s.size(), c.n);
  if (c.opset < 13) {
    std::size_t outer = 1;
    for (std::size_t d = 0; d < a; ++d) outer *= s[d];
    x = reshape(x, std::vector<long>{long(outer), long(shape_size(s) / std::max<std::size_t>(outer, 1))});
    a = 1;
  }
  private_tensor<P> y;
  if (!log_form) {
    y = softmax(x, static_cast<long>(a));
  } else {
    auto m = max(x, static_cast<long>(a));
    shape_t ks = x.shape();
    ks[a] = 1;
    auto d = x - reshape(m, std::vector<long>(ks.begin(), ks.end()));
    auto lse = log(sum(exp(d), {static_cast<long>(a)}, true));
    y = d - lse;
  }
  return c.out(reshape(y, std::vector<long>(s.begin(), s.end())));
}

/// The reduced axes of a Reduce* node (attribute, or input 1 from opset 13 for ReduceSum and 18 for
/// the others); empty means all unless noop_with_empty_axes.
template <protocol P>
std::vector<std::size_t> reduce_axes(op_context<P>& c, bool axes_as_input, bool& noop) {
  const std::size_t r = c.at(0).shape().size();
  std::vector<std::int64_t> ax =
      axes_as_input ? (c.has(1) ? c.ints(1, "axes") : std::vector<std::int64_t>{}) : c.n.get_ints("axes");
  noop = ax.empty() && c.n.get_int("noop_with_empty_axes", 0) != 0;
  std::vector<std::size_t> out;
  if (ax.empty())
    for (std::size_t d = 0; d < r; ++d) out.push_back(d);
  for (auto a : ax) out.push_back(gd::axis_of(a, r, c.n));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

enum class reduction { sum, mean, max, min, sum_square, l2, log_sum, log_sum_exp };

template <protocol P>
result<P> reduce(op_context<P>& c, reduction k) {
  const bool input_axes = c.opset >= (k == reduction::sum ? 13 : 18);
  bool noop = false;
  const auto axes = reduce_axes(c, input_axes, noop);
  if (noop) return c.out(c.at(0));
  const bool keep = c.n.get_int("keepdims", 1) != 0;
  const shape_t s = c.at(0).shape();
  shape_t ks = s, ds;
  for (auto a : axes) ks[a] = 1;
  for (std::size_t d = 0; d < s.size(); ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) ds.push_back(s[d]);
  const shape_t& os = keep ? ks : ds;
  std::vector<long> la(axes.begin(), axes.end()), lo(os.begin(), os.end());
  if (c.at(0).is_public() && (k == reduction::sum || k == reduction::mean)) {
    xt::xarray<double> v = xt::sum(c.at(0).pub->data, axes);
    if (k == reduction::mean) v = v / static_cast<double>(shape_size(s) / std::max<std::size_t>(shape_size(ds), 1));
    return c.out(gd::reshaped(v, os), c.at(0).pub->integer && k == reduction::sum);
  }
  auto x = c.priv(0);
  switch (k) {
    case reduction::sum:
      return c.out(reshape(sum(x, la, keep), lo));
    case reduction::mean:
      return c.out(reshape(mean(x, la, keep), lo));
    case reduction::sum_square:
      return c.out(reshape(sum(x * x, la, keep), lo));
    case reduction::l2:
      return c.out(reshape(sqrt(sum(x * x, la, keep)), lo));
    case reduction::log_sum:
      return c.out(reshape(log(sum(x, la, keep)), lo));
    case reduction::log_sum_exp: {
      // m + log Σ exp(x − m) with m the maximum (so the log's argument is at least 1).
      auto m = reduce(c, reduction::max);
      std::vector<long> ksl(ks.begin(), ks.end());
      auto mk = reshape(*m[0].priv, ksl);
      return c.out(reshape(log(sum(exp(x - mk), la, true)) + mk, lo));
    }
    case reduction::max:
    case reduction::min: {
      // Move the reduced axes to the back, merge them, and take one tournament over them.
      std::vector<std::size_t> perm;
      for (std::size_t d = 0; d < s.size(); ++d)
        if (std::find(axes.begin(), axes.end(), d) == axes.end()) perm.push_back(d);
      perm.insert(perm.end(), axes.begin(), axes.end());
      std::vector<long> merged(ds.begin(), ds.end());
      merged.push_back(static_cast<long>(shape_size(s) / std::max<std::size_t>(shape_size(ds), 1)));
      auto flat = reshape(transpose(x, perm), merged);
      auto r = k == reduction::max ? max(flat, -1) : min(flat, -1);
      return c.out(reshape(r, lo));
    }
  }
  return {};
}

template <protocol P>
result<P> arg_extremum(op_context<P>& c, bool is_max) {
  auto x = c.priv(0);
  const std::size_t a = gd::axis_of(c.n.get_int("axis", 0), x.ndim(), c.n);
  const bool last = c.n.get_int("select_last_index", 0) != 0;
  const std::size_t len = x.shape()[a];
  if (last)  // the first maximum of the reversed axis is the last one: index n − 1 − i
    x = *gd::apply_structural(value<P>::of(x), [&](const auto& v) {
           return gd::strided_slice(v, a, static_cast<std::int64_t>(len) - 1, -1, len);
         }).priv;
  auto r = argmax(is_max ? x : -x, static_cast<long>(a));
  if (last) r = (static_cast<double>(len) - 1.0) - r;
  if (c.n.get_int("keepdims", 1) != 0) {
    shape_t ks = x.shape();
    ks[a] = 1;
    r = reshape(r, std::vector<long>(ks.begin(), ks.end()));
  }
  return c.out(r, true);
}

/// Hardmax: the one-hot vector of the (first) maximum along `axis` (from opset 13; before, of the
/// rows of the 2-D coercion at `axis`): argmax, then one batched equality test with 0..n−1.
template <protocol P>
result<P> hardmax(op_context<P>& c) {
  auto x = c.priv(0);
  const shape_t s = x.shape();
  std::size_t a = gd::axis_of(c.n.get_int("axis", c.opset >= 13 ? -1 : 1), s.size(), c.n);
  if (c.opset < 13) {
    std::size_t outer = 1;
    for (std::size_t d = 0; d < a; ++d) outer *= s[d];
    x = reshape(x, std::vector<long>{long(outer), long(shape_size(s) / std::max<std::size_t>(outer, 1))});
    a = 1;
  }
  const std::size_t n = x.shape()[a];
  shape_t ks = x.shape();
  ks[a] = 1;
  auto idx = reshape(argmax(x, static_cast<long>(a)), std::vector<long>(ks.begin(), ks.end()));
  shape_t rs(x.ndim(), 1);
  rs[a] = n;
  xt::xarray<double> range = xt::arange<double>(static_cast<double>(n));
  range.reshape(rs);
  auto wide = gd::mul_public(idx, array{xt::ones<double>(rs), true});
  auto onehot = equal(wide, to_private(c.s.constant(range)));
  return c.out(reshape(onehot, std::vector<long>(s.begin(), s.end())), true);
}

/// MeanVarianceNormalization: (x − mean)/√var over `axes` (default N, H, W), ε = 1e-9 as ONNX.
template <protocol P>
result<P> mean_variance_norm(op_context<P>& c) {
  auto axes64 = c.n.get_ints("axes", {0, 2, 3});
  std::vector<long> axes(axes64.begin(), axes64.end());
  return c.out(normalized(c.priv(0), axes, 1e-9));
}

// ---- losses ------------------------------------------------------------------------------------

/// NegativeLogLikelihoodLoss of scores (N, C, d...) against class indices (N, d...), and
/// SoftmaxCrossEntropyLoss (the same of LogSoftmax(scores) along axis 1). A private target becomes
/// one-hot rows (one batched equality test with 0..C−1); the picked score is then one product and a
/// sum over C. Optional class weights, ignore_index (masked out), reduction none / sum / mean (mean
/// divides by the summed weights: a private reciprocal when they are private).
template <protocol P>
result<P> nll_loss(op_context<P>& c, bool softmax_first) {
  auto x = c.priv(0);
  const shape_t s = x.shape();
  TFE_ENFORCE(s.size() >= 2, shape_error, c.n.where(), ": scores of shape ", shape_str(s), " need (N, C, ...)");
  const std::size_t classes = s[1];
  private_tensor<P> log_prob = x;
  if (softmax_first) {
    auto m = max(x, 1);
    shape_t ks = s;
    ks[1] = 1;
    const std::vector<long> kl(ks.begin(), ks.end());
    auto d = x - reshape(m, kl);
    log_prob = d - log(sum(exp(d), {1}, true));
  }
  // One-hot of the target along a new axis 1: (N, C, d...).
  const shape_t ts = c.at(1).shape();
  shape_t ts1 = ts;
  ts1.insert(ts1.begin() + 1, 1);
  shape_t cs(s.size(), 1);
  cs[1] = classes;
  xt::xarray<double> range = xt::arange<double>(static_cast<double>(classes));
  range.reshape(cs);
  const auto t1 = gd::apply_structural(c.at(1), [&](const auto& a) { return gd::reshaped(a, ts1); });
  private_tensor<P> onehot;
  std::optional<array> onehot_pub;
  if (t1.is_public()) {
    onehot_pub = array{xt::xarray<double>(xt::cast<double>(xt::equal(xt::broadcast(t1.pub->data, s), range))), true};
  } else {
    auto wide = gd::mul_public(*t1.priv, array{xt::ones<double>(cs), true});
    onehot = equal(wide, to_private(c.s.constant(range)));
  }
  auto pick = [&](const private_tensor<P>& v) {  // Σ_c onehot·v over the class axis
    return sum(onehot_pub ? gd::mul_public(v, *onehot_pub) : onehot * v, {1});
  };
  auto picked = pick(log_prob);
  // Per-element weights: the class weight of the target (1 without weights), 0 where ignored.
  std::optional<private_tensor<P>> wt;
  if (c.has(2)) {
    auto w = c.priv(2);
    wt = pick(tfe::detail::broadcast(reshape(w, std::vector<long>(cs.begin(), cs.end())), s));
  }
  if (c.n.has("ignore_index")) {
    const double ig = static_cast<double>(c.n.get_int("ignore_index", 0));
    private_tensor<P> keep;
    if (t1.is_public()) {
      keep = to_private(c.s.constant(xt::xarray<double>(xt::cast<double>(xt::not_equal(c.at(1).pub->data, ig)))));
    } else {
      xt::xarray<double> ignored = xt::xarray<double>::from_shape(ts);
      ignored.fill(ig);
      keep = 1.0 - equal(*c.at(1).priv, to_private(c.s.constant(ignored)));
    }
    wt = wt ? *wt * keep : keep;
  }
  auto loss = wt ? -(picked * *wt) : -picked;
  const std::string red = c.n.get_string("reduction", "mean");
  result<P> r;
  if (red == "none") {
    r = c.out(loss);
  } else if (red == "sum") {
    r = c.out(reshape(sum(loss), std::vector<long>{}));
  } else if (red == "mean") {
    // Both sums scaled by 1/count first: the reciprocal then sees the mean weight (about 1), where
    // fixed point keeps its precision (1/2412 has only ~27 units of 2^-16).
    const double inv_count = 1.0 / static_cast<double>(loss.size());
    auto mean_loss = sum(loss) * inv_count;
    r = c.out(reshape(wt ? mean_loss * reciprocal(sum(*wt) * inv_count) : mean_loss, std::vector<long>{}));
  } else {
    c.unsupported("reduction '" + red + "'");
  }
  if (softmax_first && c.n.outputs.size() > 1) r.push_back(value<P>::of(log_prob));
  return r;
}

}  // namespace tfe::graph::kernels
