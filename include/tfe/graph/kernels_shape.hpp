// tfe/graph/kernels_shape.hpp: the ONNX ops that only move elements or compute shapes.
//
// All local (no communication, no error) on private tensors, and folded in plaintext on public ones:
// Shape Size Reshape Flatten Transpose Concat Split Slice Squeeze Unsqueeze Gather (public indices)
// Expand Tile Pad (constant mode) ConstantOfShape Range Constant. Shape and Size of a private tensor
// are public. Gather with PRIVATE indices (a token id from a client, say) uses one-hot vectors: one
// batched equality test of every index against 0..n−1, then one product with the table (axis 0).
#pragma once

#include "tfe/graph/kernels_elementwise.hpp"

namespace tfe::graph::kernels {

template <protocol P>
result<P> shape_op(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  auto r = static_cast<std::int64_t>(s.size());
  std::int64_t start = c.n.get_int("start", 0), end = c.n.get_int("end", r);
  start = std::clamp(start < 0 ? start + r : start, std::int64_t(0), r);
  end = std::clamp(end < 0 ? end + r : end, std::int64_t(0), r);
  xt::xarray<double> v = xt::zeros<double>({static_cast<std::size_t>(std::max<std::int64_t>(end - start, 0))});
  for (std::int64_t i = start; i < end; ++i) v(static_cast<std::size_t>(i - start)) = static_cast<double>(s[i]);
  return c.out(std::move(v), true);
}

template <protocol P>
result<P> size_op(op_context<P>& c) {
  return c.out(xt::xarray<double>(static_cast<double>(shape_size(c.at(0).shape()))), true);
}

/// The target shape of Reshape: 0 copies the input's dimension (unless allowzero), −1 is inferred.
inline shape_t reshape_target(const shape_t& from, const std::vector<std::int64_t>& to, bool allowzero, const node& n) {
  shape_t s(to.size());
  std::size_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1) {
      TFE_ENFORCE(infer < 0, shape_error, n.where(), ": more than one -1 in the target shape");
      infer = static_cast<int>(i);
      continue;
    }
    TFE_ENFORCE(to[i] >= 0, shape_error, n.where(), ": dimension ", to[i], " in the target shape");
    s[i] = (to[i] == 0 && !allowzero) ? (i < from.size() ? from[i] : 0) : static_cast<std::size_t>(to[i]);
    known *= s[i];
  }
  const std::size_t total = shape_size(from);
  if (infer >= 0) {
    TFE_ENFORCE(known > 0 && total % known == 0, shape_error, n.where(), ": cannot reshape ", shape_str(from), " to ",
                dims_str(to));
    s[static_cast<std::size_t>(infer)] = total / known;
  }
  TFE_ENFORCE(shape_size(s) == total, shape_error, n.where(), ": cannot reshape ", shape_str(from), " (", total,
              " elements) to ", shape_str(s));
  return s;
}

template <protocol P>
result<P> reshape_to(op_context<P>& c, const shape_t& s) {
  return c.out(gd::apply_structural(c.at(0), [&](const auto& a) { return gd::reshaped(a, s); }));
}

template <protocol P>
result<P> reshape_op(op_context<P>& c) {
  const auto to = c.opset >= 5 ? c.ints(1, "shape") : c.n.get_ints("shape");
  return reshape_to(c, reshape_target(c.at(0).shape(), to, c.n.get_int("allowzero", 0) != 0, c.n));
}

template <protocol P>
result<P> flatten(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::size_t a = c.n.get_int("axis", 1) == static_cast<std::int64_t>(s.size())
                            ? s.size()
                            : gd::axis_of(c.n.get_int("axis", 1), s.size(), c.n);
  std::size_t outer = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= s[d];
  return reshape_to(c, shape_t{outer, outer ? shape_size(s) / outer : 0});
}

/// Squeeze (axes from opset 13 an input) and Unsqueeze.
template <protocol P>
result<P> squeeze(op_context<P>& c, bool un) {
  const shape_t s = c.at(0).shape();
  const auto axes = c.opset >= 13 ? (c.has(1) ? c.ints(1, "axes") : std::vector<std::int64_t>{}) : c.n.get_ints("axes");
  shape_t out;
  if (un) {
    const std::size_t r = s.size() + axes.size();
    std::vector<bool> is_new(r, false);
    for (auto a : axes) {
      const auto k = gd::axis_of(a, r, c.n);
      TFE_ENFORCE(!is_new[k], shape_error, c.n.where(), ": axis ", a, " repeated");
      is_new[k] = true;
    }
    std::size_t j = 0;
    for (std::size_t d = 0; d < r; ++d) out.push_back(is_new[d] ? 1 : s[j++]);
  } else {
    std::vector<bool> drop(s.size(), axes.empty());
    if (axes.empty())
      for (std::size_t d = 0; d < s.size(); ++d) drop[d] = s[d] == 1;
    for (auto a : axes) {
      const auto k = gd::axis_of(a, s.size(), c.n);
      TFE_ENFORCE(s[k] == 1, shape_error, c.n.where(), ": cannot squeeze axis ", a, " of size ", s[k]);
      drop[k] = true;
    }
    for (std::size_t d = 0; d < s.size(); ++d)
      if (!drop[d]) out.push_back(s[d]);
  }
  return reshape_to(c, out);
}

template <protocol P>
result<P> transpose_op(op_context<P>& c) {
  const std::size_t r = c.at(0).shape().size();
  auto p = c.n.get_ints("perm");
  std::vector<std::size_t> perm;
  if (p.empty())
    for (std::size_t d = r; d-- > 0;) perm.push_back(d);
  std::vector<bool> seen(r, false);
  for (auto a : p) {
    TFE_ENFORCE(a >= 0 && static_cast<std::size_t>(a) < r && !seen[a], shape_error, c.n.where(),
                ": perm is not a permutation of ", r, " axes");
    seen[a] = true;
    perm.push_back(static_cast<std::size_t>(a));
  }
  TFE_ENFORCE(perm.size() == r, shape_error, c.n.where(), ": perm has ", perm.size(), " axes for rank ", r);
  return c.out(gd::apply_structural(c.at(0), [&](const auto& a) { return gd::transposed(a, perm); }));
}

template <protocol P>
result<P> concat_op(op_context<P>& c) {
  TFE_ENFORCE(c.num_inputs() >= 1, config_error, c.n.where(), ": no inputs");
  const std::size_t a = gd::axis_of(c.n.get_int("axis", 0), c.at(0).shape().size(), c.n);
  if (c.all_public()) {
    std::vector<const xt::xarray<double>*> xs;
    bool integer = true;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) xs.push_back(&c.at(i).pub->data), integer &= c.at(i).pub->integer;
    return c.out(gd::concatenated(xs, a, c.n), integer);
  }
  std::vector<private_tensor<P>> ps;
  for (std::size_t i = 0; i < c.num_inputs(); ++i) ps.push_back(c.priv(i));
  using R = typename P::ring;
  typename private_tensor<P>::parts_type parts;
  for (std::size_t k = 0; k < ps[0].parts().size(); ++k) {
    std::vector<const ring_tensor<R>*> xs;
    for (const auto& x : ps) xs.push_back(&x.parts()[k]);
    parts.push_back(gd::concatenated(xs, a, c.n));
  }
  std::vector<shape_t> shapes;
  for (const auto& x : ps) shapes.push_back(x.shape());
  shape_t s = tfe::detail::concat_shape(shapes, a, "Concat");
  return c.out(private_tensor<P>(c.s, std::move(s), std::move(parts)));
}

template <protocol P>
result<P> split_op(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::size_t a = gd::axis_of(c.n.get_int("axis", 0), s.size(), c.n);
  std::vector<std::int64_t> sizes =
      c.opset >= 13 ? (c.has(1) ? c.ints(1, "split") : std::vector<std::int64_t>{}) : c.n.get_ints("split");
  const std::size_t k = c.n.outputs.size();
  if (sizes.empty()) {
    const auto parts = static_cast<std::size_t>(c.n.get_int("num_outputs", static_cast<std::int64_t>(k)));
    TFE_ENFORCE(parts > 0, shape_error, c.n.where(), ": no outputs");
    const std::size_t len = (s[a] + parts - 1) / parts;
    for (std::size_t i = 0; i < parts; ++i)
      sizes.push_back(static_cast<std::int64_t>(std::min(len, s[a] - std::min(s[a], i * len))));
  }
  std::int64_t total = 0;
  for (auto z : sizes) total += z;
  TFE_ENFORCE(sizes.size() == k && total == static_cast<std::int64_t>(s[a]), shape_error, c.n.where(), ": splitting ",
              s[a], " along axis ", a, " into ", sizes.size(), " parts adding up to ", total, " for ", k, " outputs");
  result<P> out;
  std::int64_t off = 0;
  for (auto z : sizes) {
    out.push_back(gd::apply_structural(
        c.at(0), [&](const auto& x) { return gd::strided_slice(x, a, off, 1, static_cast<std::size_t>(z)); }));
    off += z;
  }
  return out;
}

template <protocol P>
result<P> slice_op(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (c.opset >= 10) {
    starts = c.ints(1, "starts"), ends = c.ints(2, "ends");
    if (c.has(3)) axes = c.ints(3, "axes");
    if (c.has(4)) steps = c.ints(4, "steps");
  } else {
    starts = c.n.get_ints("starts"), ends = c.n.get_ints("ends"), axes = c.n.get_ints("axes");
  }
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  TFE_ENFORCE(ends.size() == starts.size() && axes.size() == starts.size() && steps.size() == starts.size(),
              shape_error, c.n.where(), ": starts, ends, axes and steps differ in length");
  value<P> cur = c.at(0);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::size_t a = gd::axis_of(axes[i], s.size(), c.n);
    const auto dim = static_cast<std::int64_t>(s[a]);
    const std::int64_t step = steps[i];
    TFE_ENFORCE(step != 0, shape_error, c.n.where(), ": step 0");
    auto clampi = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
      if (v < 0) v = v <= INT64_MIN / 2 ? lo : v + dim;
      return std::clamp(v, lo, hi);
    };
    std::int64_t b, e;
    if (step > 0) {
      b = clampi(starts[i], 0, dim), e = clampi(ends[i], 0, dim);
    } else {
      b = clampi(starts[i], -1, dim - 1), e = clampi(ends[i], -1, dim - 1);
    }
    const std::int64_t count = step > 0 ? std::max<std::int64_t>(0, (e - b + step - 1) / step)
                                        : std::max<std::int64_t>(0, (b - e + (-step) - 1) / (-step));
    cur = gd::apply_structural(
        cur, [&](const auto& x) { return gd::strided_slice(x, a, b, step, static_cast<std::size_t>(count)); });
  }
  return c.out(cur);
}

template <protocol P>
result<P> gather(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::size_t a = gd::axis_of(c.n.get_int("axis", 0), s.size(), c.n);
  const auto& idx = c.at(1);
  if (idx.is_public()) {
    const auto& d = idx.pub->data;
    std::vector<std::size_t> ix;
    for (double v : d) {
      const auto k = static_cast<std::int64_t>(v);
      TFE_ENFORCE(k >= -static_cast<std::int64_t>(s[a]) && k < static_cast<std::int64_t>(s[a]), shape_error,
                  c.n.where(), ": index ", k, " out of range for axis ", a, " of size ", s[a]);
      ix.push_back(static_cast<std::size_t>(k < 0 ? k + static_cast<std::int64_t>(s[a]) : k));
    }
    const shape_t is = shape_of(d);
    return c.out(gd::apply_structural(c.at(0), [&](const auto& x) { return gd::gathered(x, a, ix, is); }));
  }
  // Private indices: one-hot rows by one batched equality test, then one product with the table.
  TFE_ENFORCE(a == 0, config_error, c.n.where(), ": Gather with private indices is supported along axis 0 only");
  // Negative indices count from the end: i + n·[i < 0] (one sign test).
  const auto ip = *idx.priv + gd::mul_public(less(*idx.priv, 0.0), array{xt::xarray<double>(double(s[0])), true});
  const std::size_t n = s[0], m = ip.size(), rest = shape_size(s) / std::max<std::size_t>(n, 1);
  xt::xarray<double> range = xt::arange<double>(static_cast<double>(n));
  range.reshape({1, n});
  auto flat = reshape(ip, std::vector<long>{static_cast<long>(m), 1});
  auto wide = gd::mul_public(flat, array{xt::ones<double>({std::size_t(1), n}), true});
  auto onehot = equal(wide, to_private(c.s.constant(range)));
  auto table = reshape(c.priv(0), std::vector<long>{static_cast<long>(n), static_cast<long>(rest)});
  shape_t os = ip.shape();
  os.insert(os.end(), s.begin() + 1, s.end());
  auto r = matmul(onehot, table);
  return c.out(reshape(r, std::vector<long>(os.begin(), os.end())));
}

template <protocol P>
result<P> expand(op_context<P>& c) {
  const auto to = c.ints(1, "shape");
  shape_t want(to.begin(), to.end());
  const shape_t s = tfe::detail::broadcast_shapes(c.at(0).shape(), want, "Expand");
  return c.out(gd::apply_structural(c.at(0), [&](const auto& x) { return gd::broadcast_to(x, s); }));
}

template <protocol P>
result<P> tile(op_context<P>& c) {
  const auto reps = c.ints(1, "repeats");
  const shape_t s = c.at(0).shape();
  TFE_ENFORCE(reps.size() == s.size(), shape_error, c.n.where(), ": ", reps.size(), " repeats for rank ", s.size());
  value<P> cur = c.at(0);
  for (std::size_t d = 0; d < s.size(); ++d) {
    TFE_ENFORCE(reps[d] >= 1, shape_error, c.n.where(), ": repeat ", reps[d]);
    std::vector<std::size_t> ix;
    for (std::int64_t r = 0; r < reps[d]; ++r)
      for (std::size_t k = 0; k < s[d]; ++k) ix.push_back(k);
    const shape_t is{ix.size()};
    cur = gd::apply_structural(cur, [&](const auto& x) { return gd::gathered(x, d, ix, is); });
  }
  return c.out(cur);
}

/// Pad, constant mode: zeros, or a public constant_value placed by a public mask (local either way).
template <protocol P>
result<P> pad_op(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::string mode = c.n.get_string("mode", "constant");
  if (mode != "constant") c.unsupported("Pad mode '" + mode + "'");
  const auto p = c.opset >= 11 ? c.ints(1, "pads") : c.n.get_ints("pads");
  double fill = c.opset >= 11 ? (c.has(2) ? c.pub(2, "constant_value").data.flat(0) : 0.0) : c.n.get_float("value", 0);
  std::vector<std::int64_t> axes;
  if (c.opset >= 18 && c.has(3)) axes = c.ints(3, "axes");
  if (axes.empty())
    for (std::size_t d = 0; d < s.size(); ++d) axes.push_back(static_cast<std::int64_t>(d));
  TFE_ENFORCE(p.size() == 2 * axes.size(), shape_error, c.n.where(), ": ", p.size(), " pads for ", axes.size(),
              " axes");
  std::vector<std::array<std::size_t, 2>> pads(s.size(), {0, 0});
  for (std::size_t i = 0; i < axes.size(); ++i) {
    TFE_ENFORCE(p[i] >= 0 && p[i + axes.size()] >= 0, config_error, c.n.where(),
                ": negative pads (cropping) are not supported");
    pads[gd::axis_of(axes[i], s.size(), c.n)] = {static_cast<std::size_t>(p[i]),
                                                 static_cast<std::size_t>(p[i + axes.size()])};
  }
  auto padded = gd::apply_structural(c.at(0), [&](const auto& x) { return gd::zero_padded(x, pads); });
  if (fill == 0) return c.out(padded);
  // fill where the padding is: fill·(1 − [inside]).
  xt::xarray<double> mask = fill - gd::zero_padded(xt::xarray<double>(xt::ones<double>(s)), pads) * fill;
  if (padded.is_public()) return c.out(xt::xarray<double>(padded.pub->data + mask), padded.pub->integer);
  return c.out(*padded.priv + c.s.constant(mask));
}

template <protocol P>
result<P> constant_of_shape(op_context<P>& c) {
  const auto dims = c.ints(0, "shape");
  shape_t s;
  for (auto d : dims) {
    TFE_ENFORCE(d >= 0 && static_cast<std::size_t>(d) <= max_graph_elements, shape_error, c.n.where(), ": dimension ",
                d);
    s.push_back(static_cast<std::size_t>(d));
  }
  TFE_ENFORCE(shape_size(s) <= max_graph_elements, shape_error, c.n.where(), ": shape ", shape_str(s), " too large");
  double v = 0;
  bool integer = false;
  if (c.n.has("value")) {
    const auto& t = c.n.get("value", attribute::kind::tensor).t;
    v = t.data.size() ? t.data.flat(0) : 0.0, integer = t.integer;
  }
  xt::xarray<double> out = xt::xarray<double>::from_shape(s);
  out.fill(v);
  return c.out(std::move(out), integer);
}

template <protocol P>
result<P> range(op_context<P>& c) {
  const auto &a = c.pub(0, "start"), &b = c.pub(1, "limit"), &d = c.pub(2, "delta");
  const double start = a.data.flat(0), limit = b.data.flat(0), delta = d.data.flat(0);
  TFE_ENFORCE(delta != 0, shape_error, c.n.where(), ": delta 0");
  const double n = std::max(std::ceil((limit - start) / delta), 0.0);
  TFE_ENFORCE(n <= static_cast<double>(max_graph_elements), shape_error, c.n.where(), ": ", n, " elements");
  xt::xarray<double> v = xt::arange<double>(static_cast<double>(n)) * delta + start;
  return c.out(std::move(v), a.integer);
}

template <protocol P>
result<P> constant(op_context<P>& c) {
  TFE_ENFORCE(c.n.has("value"), config_error, c.n.where(), ": only the 'value' form of Constant is supported here");
  return c.out(value<P>::of(c.n.get("value", attribute::kind::tensor).t));
}

}  // namespace tfe::graph::kernels
