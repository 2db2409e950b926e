// tfe/graph/kernels_resample.hpp: Resize, Upsample, DepthToSpace, SpaceToDepth (ONNX, NCHW).
//
// All are public index maps, so all are local on shares: nearest-neighbour resizing gathers public
// indices along each axis (exact); linear resizing is separable, per axis a gather of the two
// neighbours and a product with public weights (one truncation per axis, ±1 ulp); DepthToSpace and
// SpaceToDepth are reshape-transpose-reshape. Cubic resizing, antialiasing and roi crops are refused
// with the attribute named.
#pragma once

#include "tfe/graph/kernels_nn.hpp"

namespace tfe::graph::kernels {

namespace detail {

/// The source coordinate of output index o for an axis of `in` → `out` elements (scale out/in unless
/// given), by ONNX's coordinate_transformation_mode.
inline double source_coordinate(const std::string& mode, std::size_t o, std::size_t in, std::size_t out, double scale,
                                const node& n) {
  const double x = static_cast<double>(o);
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "asymmetric") return x / scale;
  if (mode == "align_corners") return out > 1 ? x * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  throw config_error(n.where() + ": coordinate_transformation_mode '" + mode + "' is not supported");
}

inline std::size_t nearest_index(const std::string& mode, double x, std::size_t in, const node& n) {
  double r;
  if (mode == "round_prefer_floor")
    r = (x - std::floor(x) == 0.5) ? std::floor(x) : std::round(x);
  else if (mode == "round_prefer_ceil")
    r = std::round(x);
  else if (mode == "floor")
    r = std::floor(x);
  else if (mode == "ceil")
    r = std::ceil(x);
  else
    throw config_error(n.where() + ": nearest_mode '" + mode + "' is not supported");
  return static_cast<std::size_t>(std::clamp(r, 0.0, static_cast<double>(in) - 1));
}

}  // namespace detail

/// Resize (opset 10+: scales as input 1; 11+: roi, scales, sizes as inputs 1-3) and Upsample.
template <protocol P>
result<P> resize(op_context<P>& c, bool upsample) {
  const shape_t s = c.at(0).shape();
  const std::string mode = c.n.get_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear") c.unsupported("Resize mode '" + mode + "'");
  if (c.n.get_int("antialias", 0) != 0) c.unsupported("Resize with antialias");
  std::vector<double> scales;
  std::vector<std::int64_t> sizes;
  if (upsample) {
    if (c.opset < 9)
      scales = c.n.get_floats("scales");
    else
      for (double v : c.pub(1, "scales").data) scales.push_back(v);
  } else if (c.opset < 11) {
    for (double v : c.pub(1, "scales").data) scales.push_back(v);
  } else {
    if (c.has(1) && c.pub(1, "roi").data.size() > 0 &&
        c.n.get_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
      c.unsupported("Resize with tf_crop_and_resize");
    if (c.has(2))
      for (double v : c.pub(2, "scales").data) scales.push_back(v);
    if (c.has(3)) sizes = c.ints(3, "sizes");
  }
  TFE_ENFORCE(scales.size() == s.size() || sizes.size() == s.size(), shape_error, c.n.where(), ": ", scales.size(),
              " scales and ", sizes.size(), " sizes for rank ", s.size());
  const std::string ctm =
      upsample || c.opset < 11 ? "asymmetric" : c.n.get_string("coordinate_transformation_mode", "half_pixel");
  const std::string nm = upsample || c.opset < 11 ? "floor" : c.n.get_string("nearest_mode", "round_prefer_floor");
  value<P> cur = c.at(0);
  for (std::size_t d = 0; d < s.size(); ++d) {
    const std::size_t in = s[d];
    std::size_t out;
    double scale;
    if (!sizes.empty()) {
      out = static_cast<std::size_t>(sizes[d]);
      scale = static_cast<double>(out) / static_cast<double>(in);
    } else {
      scale = scales[d];
      TFE_ENFORCE(scale > 0, shape_error, c.n.where(), ": scale ", scale);
      out = static_cast<std::size_t>(std::floor(static_cast<double>(in) * scale));
    }
    TFE_ENFORCE(out <= max_graph_elements, shape_error, c.n.where(), ": output size ", out);
    if (out == in && scale == 1.0) continue;
    const shape_t os{out};
    if (mode == "nearest") {
      std::vector<std::size_t> ix;
      for (std::size_t o = 0; o < out; ++o)
        ix.push_back(detail::nearest_index(nm, detail::source_coordinate(ctm, o, in, out, scale, c.n), in, c.n));
      cur = gd::apply_structural(cur, [&](const auto& a) { return gd::gathered(a, d, ix, os); });
      continue;
    }
    // Linear: the two neighbours, weighted (the weights are public).
    std::vector<std::size_t> lo, hi;
    shape_t ws(s.size(), 1);
    ws[d] = out;
    xt::xarray<double> w = xt::zeros<double>(ws);
    for (std::size_t o = 0; o < out; ++o) {
      const double x = std::clamp(detail::source_coordinate(ctm, o, in, out, scale, c.n), 0.0, double(in - 1));
      const auto x0 = static_cast<std::size_t>(std::floor(x));
      lo.push_back(x0), hi.push_back(std::min(x0 + 1, in - 1));
      w.flat(o) = x - static_cast<double>(x0);
    }
    auto a = gd::apply_structural(cur, [&](const auto& v) { return gd::gathered(v, d, lo, os); });
    auto b = gd::apply_structural(cur, [&](const auto& v) { return gd::gathered(v, d, hi, os); });
    const array wa{xt::xarray<double>(1.0 - w), false}, wb{w, false};
    if (a.is_public()) {
      cur = value<P>::of(xt::xarray<double>(a.pub->data * wa.data + b.pub->data * wb.data), false);
    } else {
      cur = value<P>::of(gd::mul_public(*a.priv, wa) + gd::mul_public(*b.priv, wb));
    }
  }
  return c.out(cur);
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth with block size b.
template <protocol P>
result<P> depth_space(op_context<P>& c, bool to_space) {
  const shape_t s = c.at(0).shape();
  TFE_ENFORCE(s.size() == 4, shape_error, c.n.where(), ": needs an NCHW input, got ", shape_str(s));
  const auto b = static_cast<std::size_t>(c.n.get_int("blocksize", 0));
  TFE_ENFORCE(b >= 1, config_error, c.n.where(), ": blocksize must be positive");
  const std::size_t n = s[0], ch = s[1], h = s[2], w = s[3];
  shape_t mid, out;
  std::vector<std::size_t> perm;
  if (to_space) {
    TFE_ENFORCE(ch % (b * b) == 0, shape_error, c.n.where(), ": ", ch, " channels for block size ", b);
    if (c.n.get_string("mode", "DCR") == "DCR")
      mid = {n, b, b, ch / (b * b), h, w}, perm = {0, 3, 4, 1, 5, 2};
    else
      mid = {n, ch / (b * b), b, b, h, w}, perm = {0, 1, 4, 2, 5, 3};
    out = {n, ch / (b * b), h * b, w * b};
  } else {
    TFE_ENFORCE(h % b == 0 && w % b == 0, shape_error, c.n.where(), ": ", h, "x", w, " for block size ", b);
    mid = {n, ch, h / b, b, w / b, b}, perm = {0, 3, 5, 1, 2, 4};
    out = {n, ch * b * b, h / b, w / b};
  }
  return c.out(gd::apply_structural(
      c.at(0), [&](const auto& a) { return gd::reshaped(gd::transposed(gd::reshaped(a, mid), perm), out); }));
}

// ---- triangles, cumulative sums, element gathers ------------------------------------------------

/// Trilu: keeps the upper (j − i ≥ k) or lower (j − i ≤ k) triangle of the last two axes: a public
/// 0/1 mask, multiplied exactly.
template <protocol P>
result<P> trilu(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  TFE_ENFORCE(s.size() >= 2, shape_error, c.n.where(), ": needs at least 2 axes, got ", shape_str(s));
  const std::int64_t k = c.has(1) ? c.ints(1, "k").at(0) : 0;
  const bool upper = c.n.get_int("upper", 1) != 0;
  const std::size_t rows = s[s.size() - 2], cols = s.back();
  xt::xarray<double> m = xt::zeros<double>({rows, cols});
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const auto d = static_cast<std::int64_t>(j) - static_cast<std::int64_t>(i);
      m(i, j) = (upper ? d >= k : d <= k) ? 1.0 : 0.0;
    }
  const auto& x = c.at(0);
  if (x.is_public()) return c.out(xt::xarray<double>(x.pub->data * m), x.pub->integer);
  return c.out(gd::mul_public(*x.priv, array{m, true}), x.priv_integer);
}

namespace detail {

/// Cumulative sum along `axis` (wrapping arithmetic on ring elements is what shares need).
template <class A>
A cumulative(const A& a, std::size_t axis, bool exclusive, bool reverse) {
  using T = typename A::value_type;
  const shape_t s = shape_of(a);
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
  for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const std::size_t n = s[axis];
  A out = xt::zeros<T>(s);
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      T acc = T(0);
      for (std::size_t step = 0; step < n; ++step) {
        const std::size_t k = reverse ? n - 1 - step : step;
        const std::size_t at = (o * n + k) * inner + i;
        if (exclusive) {
          out.flat(at) = acc;
          acc = static_cast<T>(acc + a.flat(at));
        } else {
          acc = static_cast<T>(acc + a.flat(at));
          out.flat(at) = acc;
        }
      }
    }
  return out;
}

/// GatherElements along `axis` with (normalized) public indices of the output's shape.
template <class A>
A gathered_elements(const A& a, std::size_t axis, const xt::xarray<double>& idx) {
  const shape_t s = shape_of(a), os = shape_of(idx);
  A out = A::from_shape(os);
  std::vector<std::size_t> stride(s.size(), 1), ostride(os.size(), 1);
  for (std::size_t d = s.size(); d-- > 1;) stride[d - 1] = stride[d] * s[d], ostride[d - 1] = ostride[d] * os[d];
  for (std::size_t f = 0; f < idx.size(); ++f) {
    std::size_t src = 0, rem = f;
    for (std::size_t d = 0; d < os.size(); ++d) {
      const std::size_t coord = rem / ostride[d];
      rem %= ostride[d];
      src += (d == axis ? static_cast<std::size_t>(idx.flat(f)) : coord) * stride[d];
    }
    out.flat(f) = a.flat(src);
  }
  return out;
}

}  // namespace detail

template <protocol P>
result<P> cumsum(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::size_t a = gd::axis_of(c.ints(1, "axis").at(0), s.size(), c.n);
  const bool exclusive = c.n.get_int("exclusive", 0) != 0, reverse = c.n.get_int("reverse", 0) != 0;
  return c.out(
      gd::apply_structural(c.at(0), [&](const auto& x) { return detail::cumulative(x, a, exclusive, reverse); }));
}

template <protocol P>
result<P> gather_elements(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  const std::size_t a = gd::axis_of(c.n.get_int("axis", 0), s.size(), c.n);
  const auto& ia = c.pub(1, "indices");
  xt::xarray<double> idx = ia.data;
  TFE_ENFORCE(idx.dimension() == s.size(), shape_error, c.n.where(), ": indices of rank ", idx.dimension(),
              " for data of rank ", s.size());
  for (std::size_t d = 0; d < s.size(); ++d)
    TFE_ENFORCE(d == a || idx.shape()[d] <= s[d], shape_error, c.n.where(), ": indices of shape ",
                shape_str(shape_of(idx)), " for data of shape ", shape_str(s));
  for (auto& v : idx) {
    const double n = static_cast<double>(s[a]);
    TFE_ENFORCE(v >= -n && v < n, shape_error, c.n.where(), ": index ", v, " out of range for axis ", a, " of size ",
                s[a]);
    if (v < 0) v += n;
  }
  return c.out(gd::apply_structural(c.at(0), [&](const auto& x) { return detail::gathered_elements(x, a, idx); }));
}

/// EyeLike: a public identity-like matrix (its shape is public even for a private input).
template <protocol P>
result<P> eye_like(op_context<P>& c) {
  const shape_t s = c.at(0).shape();
  TFE_ENFORCE(s.size() == 2, shape_error, c.n.where(), ": needs a 2-D input, got ", shape_str(s));
  const std::int64_t k = c.n.get_int("k", 0);
  xt::xarray<double> e = xt::zeros<double>(s);
  for (std::size_t i = 0; i < s[0]; ++i) {
    const std::int64_t j = static_cast<std::int64_t>(i) + k;
    if (j >= 0 && j < static_cast<std::int64_t>(s[1])) e(i, static_cast<std::size_t>(j)) = 1;
  }
  const std::int64_t dt = c.n.get_int("dtype", 1);
  return c.out(std::move(e), !is_float_type(dt));
}

}  // namespace tfe::graph::kernels
