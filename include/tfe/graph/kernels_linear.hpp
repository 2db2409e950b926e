// tfe/graph/kernels_linear.hpp: Gemm, MatMul, Conv, ConvTranspose in ONNX layouts (NCHW, OIHW).
//
// Each product of two private tensors is ONE call of the protocol's bilinear routine with the whole
// ring map as the bilinear function (Beaver triples in Pond, replicated products in ABY3), then ONE
// truncation: a batched MatMul (attention's Q·Kᵀ over every head and batch at once), a grouped or
// depthwise Conv (the groups inside the map), a dilated Conv (the filter dilated first: a local,
// linear op on its shares). A public operand makes the product local, then one truncation.
// Layout changes (NCHW <-> NHWC for the ring convolution, OIHW -> HWIO) are local moves.
// ConvTranspose is the convolution of the zero-upsampled input with the flipped, transposed filter.
#pragma once

#include "tfe/graph/kernels_shape.hpp"

namespace tfe::graph::kernels {

namespace detail {

using gd::apply_structural;

/// (B, n, k)·(B, k, m) -> (B, n, m), batch by batch.
template <class R>
ring_tensor<R> batched_matmul(const ring_tensor<R>& a, const ring_tensor<R>& b, std::size_t threads = 1) {
  const std::size_t bn = a.shape()[0], n = a.shape()[1], k = a.shape()[2], m = b.shape()[2];
  ring_tensor<R> out = ring_tensor<R>::from_shape({bn, n, m});
  for (std::size_t i = 0; i < bn; ++i) {
    ring_tensor<R> ai = xt::view(a, i), bi = xt::view(b, i);
    auto ci = ring_ops::matmul(ai, bi, threads);
    std::copy(ci.begin(), ci.end(), out.data() + i * n * m);
  }
  (void)k;
  return out;
}

/// A product of two values through the protocol (private×private), locally (one public operand),
/// or in plaintext is never needed here: a public×public product is shared first.
template <protocol P, class Map>
private_tensor<P> bilinear(op_context<P>& c, const value<P>& a, const value<P>& b, const shape_t& as, const shape_t& bs,
                           const shape_t& out, Map&& map) {
  using R = typename P::ring;
  const auto pa = a.is_private() ? *a.priv : to_private(c.s.constant(a.pub->data));
  if (b.is_public()) {
    const auto wb = c.s.encode(b.pub->data);
    return truncate(tfe::detail::map_parts(pa, out, [&](const ring_tensor<R>& p) { return map(p, wb); }));
  }
  return tfe::detail::truncated_product(c.s, &pa.parts(), nullptr, &b.priv->parts(), nullptr, as, bs, out, map);
}

}  // namespace detail

/// MatMul with numpy semantics: 1-D operands are promoted, batch dimensions broadcast.
template <protocol P>
result<P> matmul_values(op_context<P>& c, value<P> a, value<P> b) {
  using R = typename P::ring;
  shape_t as = a.shape(), bs = b.shape();
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) a = gd::apply_structural(a, [&](const auto& x) { return gd::reshaped(x, {1, as[0]}); });
  if (b1) b = gd::apply_structural(b, [&](const auto& x) { return gd::reshaped(x, {bs[0], 1}); });
  as = a.shape(), bs = b.shape();
  const std::size_t n = as[as.size() - 2], k = as.back(), k2 = bs[bs.size() - 2], m = bs.back();
  TFE_ENFORCE(k == k2, shape_error, c.n.where(), ": shapes ", shape_str(as), " and ", shape_str(bs), " do not align");
  shape_t abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
  shape_t out_shape;
  if (c.all_public() || (a.is_public() && b.is_public())) a = value<P>::of(to_private(c.s.constant(a.pub->data)));
  value<P> result_v;
  if (bbatch.empty()) {
    // (..., n, k)·(k, m): one 2-D product of the flattened rows.
    const std::size_t rows = shape_size(as) / k;
    auto a2 = gd::apply_structural(a, [&](const auto& x) { return gd::reshaped(x, {rows, k}); });
    auto r = detail::bilinear(
        c, a2, b, shape_t{rows, k}, bs, shape_t{rows, m},
        [t = c.s.threads()](const ring_tensor<R>& x, const ring_tensor<R>& y) { return ring_ops::matmul(x, y, t); });
    out_shape = abatch, out_shape.push_back(n), out_shape.push_back(m);
    result_v = value<P>::of(reshape(r, std::vector<long>(out_shape.begin(), out_shape.end())));
  } else {
    const shape_t batch = tfe::detail::broadcast_shapes(abatch, bbatch, "MatMul");
    const std::size_t nb = shape_size(batch);
    auto flat = [&](value<P> v, const shape_t& vb, std::size_t r, std::size_t q) {
      shape_t full = batch;
      full.push_back(r), full.push_back(q);
      (void)vb;
      return gd::apply_structural(v, [&](const auto& x) {
        return gd::reshaped(gd::broadcast_to(x, full), {nb, r, q});
      });
    };
    auto a3 = flat(a, abatch, n, k), b3 = flat(b, bbatch, k, m);
    auto r = detail::bilinear(c, a3, b3, shape_t{nb, n, k}, shape_t{nb, k, m}, shape_t{nb, n, m},
                              [t = c.s.threads()](const ring_tensor<R>& x, const ring_tensor<R>& y) {
                                return detail::batched_matmul<R>(x, y, t);
                              });
    out_shape = batch, out_shape.push_back(n), out_shape.push_back(m);
    result_v = value<P>::of(reshape(r, std::vector<long>(out_shape.begin(), out_shape.end())));
  }
  if (a1 || b1) {
    shape_t s = out_shape;
    if (b1) s.pop_back();
    if (a1) s.erase(s.end() - (b1 ? 1 : 2));
    result_v = gd::apply_structural(result_v, [&](const auto& x) { return gd::reshaped(x, s); });
  }
  return c.out(result_v);
}

template <protocol P>
result<P> matmul_op(op_context<P>& c) {
  return matmul_values(c, c.at(0), c.at(1));
}

/// Gemm: alpha·A'·B' + beta·C with A' = A or Aᵀ, B' = B or Bᵀ.
template <protocol P>
result<P> gemm(op_context<P>& c) {
  auto t = [&](const value<P>& v, bool tr) {
    if (!tr) return v;
    return gd::apply_structural(v, [](const auto& x) { return gd::transposed(x, {1, 0}); });
  };
  TFE_ENFORCE(c.at(0).shape().size() == 2 && c.at(1).shape().size() == 2, shape_error, c.n.where(),
              ": A and B must be 2-D, got ", shape_str(c.at(0).shape()), " and ", shape_str(c.at(1).shape()));
  auto y = matmul_values(c, t(c.at(0), c.n.get_int("transA", 0) != 0), t(c.at(1), c.n.get_int("transB", 0) != 0));
  private_tensor<P> r = *y[0].priv;
  const double alpha = c.n.get_float("alpha", 1.0), beta = c.n.get_float("beta", 1.0);
  if (alpha != 1.0) r = r * alpha;
  if (c.has(2) && beta != 0.0) {
    const auto& cv = c.at(2);
    if (cv.is_public())
      r = r + c.s.constant(xt::xarray<double>(cv.pub->data * beta));
    else
      r = r + (beta == 1.0 ? *cv.priv : *cv.priv * beta);
  }
  return c.out(r);
}

// ---- convolution ---------------------------------------------------------------------------------

struct conv_params {
  std::size_t kh = 1, kw = 1, groups = 1;
  std::array<std::size_t, 2> strides{1, 1}, dilations{1, 1};
  std::array<std::size_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
};

/// Strides, dilations and padding of a Conv/Pool node for a (N, C, H, W) input and a kh×kw window.
inline conv_params conv_attributes(const node& n, const shape_t& xs, std::size_t kh, std::size_t kw,
                                   bool ceil = false) {
  conv_params p;
  p.kh = kh, p.kw = kw;
  auto two = [&](const char* a, std::size_t fallback) {
    auto v = n.get_ints(a);
    if (v.empty()) return std::array<std::size_t, 2>{fallback, fallback};
    TFE_ENFORCE(v.size() == 2 && v[0] >= 1 && v[1] >= 1, config_error, n.where(), ": attribute '", a,
                "' must hold 2 positive integers");
    return std::array<std::size_t, 2>{static_cast<std::size_t>(v[0]), static_cast<std::size_t>(v[1])};
  };
  p.strides = two("strides", 1), p.dilations = two("dilations", 1);
  const std::string ap = n.get_string("auto_pad", "NOTSET");
  const std::size_t ekh = (kh - 1) * p.dilations[0] + 1, ekw = (kw - 1) * p.dilations[1] + 1;
  if (ap == "NOTSET") {
    auto v = n.get_ints("pads");
    if (!v.empty()) {
      TFE_ENFORCE(v.size() == 4, config_error, n.where(), ": 'pads' must hold 4 values for a 2-D window");
      for (std::size_t i = 0; i < 4; ++i) {
        TFE_ENFORCE(v[i] >= 0 && v[i] < 1 << 16, config_error, n.where(), ": pad ", v[i]);
        p.pads[i] = static_cast<std::size_t>(v[i]);
      }
      p.pads = {p.pads[0], p.pads[1], p.pads[2], p.pads[3]};
    }
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    const std::size_t in[2] = {xs[2], xs[3]}, ek[2] = {ekh, ekw};
    for (int d = 0; d < 2; ++d) {
      const std::size_t out = (in[d] + p.strides[d] - 1) / p.strides[d];
      const std::size_t need = (out - 1) * p.strides[d] + ek[d];
      const std::size_t total = need > in[d] ? need - in[d] : 0;
      const std::size_t small = total / 2, big = total - small;
      p.pads[d] = ap == "SAME_UPPER" ? small : big;
      p.pads[d + 2] = ap == "SAME_UPPER" ? big : small;
    }
  } else if (ap != "VALID") {
    throw config_error(n.where() + ": auto_pad '" + ap + "' is not supported");
  }
  if (ceil) {  // extra padding at the end so that the last partial window counts
    const std::size_t in[2] = {xs[2], xs[3]}, ek[2] = {ekh, ekw};
    for (int d = 0; d < 2; ++d) {
      const std::size_t padded = in[d] + p.pads[d] + p.pads[d + 2];
      TFE_ENFORCE(padded >= ek[d], shape_error, n.where(), ": window larger than the padded input");
      const std::size_t rem = (padded - ek[d]) % p.strides[d];
      if (rem) p.pads[d + 2] += p.strides[d] - rem;
    }
  }
  TFE_ENFORCE(xs[2] + p.pads[0] + p.pads[2] >= ekh && xs[3] + p.pads[1] + p.pads[3] >= ekw, shape_error, n.where(),
              ": a ", ekh, "x", ekw, " window does not fit the padded input of shape ", shape_str(xs));
  return p;
}

namespace detail {

/// Inserts dilation−1 zeros between the taps of an OIHW filter.
template <class A>
A dilated(const A& w, std::array<std::size_t, 2> d) {
  using T = typename A::value_type;
  if (d[0] == 1 && d[1] == 1) return w;
  const shape_t s = shape_of(w);
  A out = xt::zeros<T>({s[0], s[1], (s[2] - 1) * d[0] + 1, (s[3] - 1) * d[1] + 1});
  for (std::size_t o = 0; o < s[0]; ++o)
    for (std::size_t i = 0; i < s[1]; ++i)
      for (std::size_t y = 0; y < s[2]; ++y)
        for (std::size_t x = 0; x < s[3]; ++x) out(o, i, y * d[0], x * d[1]) = w(o, i, y, x);
  return out;
}

/// NHWC x, HWIO w (C/groups input channels each), VALID and strided: the grouped ring convolution.
template <class R>
ring_tensor<R> grouped_conv(const ring_tensor<R>& x, const ring_tensor<R>& w, std::array<std::size_t, 2> strides,
                            std::size_t groups, std::size_t threads = 1) {
  if (groups == 1) return ring_ops::conv2d(x, w, strides, ring_ops::padding::valid, threads);
  const std::size_t cg = x.shape()[3] / groups, mg = w.shape()[3] / groups;
  std::vector<ring_tensor<R>> outs;
  for (std::size_t g = 0; g < groups; ++g) {
    auto xg = gd::strided_slice(x, 3, static_cast<std::int64_t>(g * cg), 1, cg);
    auto wg = gd::strided_slice(w, 3, static_cast<std::int64_t>(g * mg), 1, mg);
    outs.push_back(ring_ops::conv2d(xg, wg, strides, ring_ops::padding::valid, threads));
  }
  std::vector<const ring_tensor<R>*> ptrs;
  for (const auto& o : outs) ptrs.push_back(&o);
  shape_t s = shape_of(outs[0]);
  s[3] = w.shape()[3];
  return tfe::detail::concat_ring(ptrs, 3, s);
}

}  // namespace detail

/// Conv on an NCHW value x with an OIHW filter w (either may be private), optional bias.
template <protocol P>
private_tensor<P> conv_nchw(op_context<P>& c, value<P> x, value<P> w, const conv_params& p) {
  using R = typename P::ring;
  const shape_t ws = w.shape();
  const std::size_t groups = p.groups;
  x = gd::apply_structural(x, [&](const auto& a) {
    return gd::transposed(gd::zero_padded(a, {{0, 0}, {0, 0}, {p.pads[0], p.pads[2]}, {p.pads[1], p.pads[3]}}),
                          {0, 2, 3, 1});
  });
  w = gd::apply_structural(w, [&](const auto& a) {
    return gd::transposed(detail::dilated(a, p.dilations), {2, 3, 1, 0});
  });
  const shape_t xs = x.shape(), hw = w.shape();
  TFE_ENFORCE(xs[3] == hw[2] * groups && hw[3] % groups == 0, shape_error, c.n.where(), ": input of ", xs[3],
              " channels, filter of shape ", shape_str(ws), " and ", groups, " groups do not fit");
  const auto g =
      ring_ops::conv2d_geometry(xs[1], xs[2], hw[0], hw[1], p.strides[0], p.strides[1], ring_ops::padding::valid);
  const shape_t out{xs[0], g.out_h, g.out_w, hw[3]};
  auto y = detail::bilinear(c, x, w, xs, hw, out, [&](const ring_tensor<R>& a, const ring_tensor<R>& b) {
    return detail::grouped_conv<R>(a, b, p.strides, groups, c.s.threads());
  });
  return transpose(y, {0, 3, 1, 2});
}

/// Adds a per-channel bias (C,) to an (N, C, ...) tensor.
template <protocol P>
private_tensor<P> add_channel_bias(op_context<P>& c, const private_tensor<P>& y, const value<P>& b) {
  std::vector<long> s(y.ndim(), 1);
  s[1] = static_cast<long>(y.shape()[1]);
  TFE_ENFORCE(shape_size(b.shape()) == y.shape()[1], shape_error, c.n.where(), ": bias of shape ", shape_str(b.shape()),
              " for ", y.shape()[1], " channels");
  if (b.is_public()) return y + c.s.constant(gd::reshaped(b.pub->data, shape_t(s.begin(), s.end())));
  return y + reshape(*b.priv, s);
}

/// Runs a 1-D op (N, C, L) as 2-D (N, C, 1, L).
template <protocol P>
value<P> as_2d(const value<P>& v) {
  shape_t s = v.shape();
  if (s.size() != 3) return v;
  return gd::apply_structural(v, [&](const auto& a) { return gd::reshaped(a, {s[0], s[1], std::size_t(1), s[2]}); });
}

template <protocol P>
result<P> conv(op_context<P>& c) {
  const shape_t xs0 = c.at(0).shape();
  TFE_ENFORCE((xs0.size() == 4 || xs0.size() == 3) && c.at(1).shape().size() == xs0.size(), config_error, c.n.where(),
              ": Conv is supported in 1-D and 2-D (input of shape ", shape_str(xs0), ")");
  auto n = c.n;  // 1-D attributes become 2-D ones
  if (xs0.size() == 3)
    for (const char* a : {"strides", "dilations", "kernel_shape"})
      if (n.has(a)) n.attributes[a].ints.insert(n.attributes[a].ints.begin(), 1);
  if (xs0.size() == 3 && n.has("pads")) {
    auto& v = n.attributes["pads"].ints;
    v = {0, v[0], 0, v[1]};
  }
  const auto x = as_2d(c.at(0)), w = as_2d(c.at(1));
  const shape_t ws = w.shape();
  auto p = conv_attributes(n, x.shape(), ws[2], ws[3]);
  p.groups = static_cast<std::size_t>(c.n.get_int("group", 1));
  TFE_ENFORCE(p.groups >= 1, config_error, c.n.where(), ": group ", p.groups);
  auto y = conv_nchw(c, x, w, p);
  if (c.has(2)) y = add_channel_bias(c, y, c.at(2));
  if (xs0.size() == 3) y = reshape(y, std::vector<long>{long(y.shape()[0]), long(y.shape()[1]), long(y.shape()[3])});
  return c.out(y);
}

template <protocol P>
result<P> conv_transpose(op_context<P>& c) {
  const shape_t xs = c.at(0).shape(), ws = c.at(1).shape();
  TFE_ENFORCE(xs.size() == 4 && ws.size() == 4, config_error, c.n.where(), ": ConvTranspose is supported in 2-D");
  if (c.n.get_int("group", 1) != 1) c.unsupported("ConvTranspose with groups");
  for (auto d : c.n.get_ints("dilations"))
    if (d != 1) c.unsupported("ConvTranspose with dilations");
  if (c.n.has("output_shape")) c.unsupported("ConvTranspose's output_shape attribute (use pads)");
  const std::string ap = c.n.get_string("auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID") c.unsupported("ConvTranspose with auto_pad " + ap);
  const std::size_t kh = ws[2], kw = ws[3];
  auto st = c.n.get_ints("strides", {1, 1}), pads = c.n.get_ints("pads", {0, 0, 0, 0}),
       op = c.n.get_ints("output_padding", {0, 0});
  TFE_ENFORCE(st.size() == 2 && pads.size() == 4 && op.size() == 2, config_error, c.n.where(),
              ": strides, pads, output_padding of the wrong length");
  const std::size_t k[2] = {kh, kw};
  std::vector<std::array<std::size_t, 2>> spatial(2);
  for (int d = 0; d < 2; ++d) {
    TFE_ENFORCE(pads[d] >= 0 && pads[d + 2] >= 0 && static_cast<std::size_t>(pads[d]) <= k[d] - 1 &&
                    static_cast<std::size_t>(pads[d + 2]) <= k[d] - 1 + static_cast<std::size_t>(op[d]),
                config_error, c.n.where(), ": pads larger than the kernel minus one are not supported");
    spatial[d] = {k[d] - 1 - static_cast<std::size_t>(pads[d]),
                  k[d] - 1 - static_cast<std::size_t>(pads[d + 2]) + static_cast<std::size_t>(op[d])};
  }
  // Upsample: stride−1 zeros between input elements, then the padding above.
  const std::size_t sh = static_cast<std::size_t>(st[0]), sw = static_cast<std::size_t>(st[1]);
  auto x = gd::apply_structural(c.at(0), [&](const auto& a) {
    using A = std::decay_t<decltype(a)>;
    A up = xt::zeros<typename A::value_type>({xs[0], xs[1], (xs[2] - 1) * sh + 1, (xs[3] - 1) * sw + 1});
    for (std::size_t n = 0; n < xs[0]; ++n)
      for (std::size_t ch = 0; ch < xs[1]; ++ch)
        for (std::size_t y = 0; y < xs[2]; ++y)
          for (std::size_t xx = 0; xx < xs[3]; ++xx) up(n, ch, y * sh, xx * sw) = a(n, ch, y, xx);
    return gd::zero_padded(up, {{0, 0}, {0, 0}, spatial[0], spatial[1]});
  });
  // Filter (C_in, C_out, kh, kw) -> flipped, as (C_out, C_in, kh, kw).
  auto w = gd::apply_structural(c.at(1), [&](const auto& a) {
    using A = std::decay_t<decltype(a)>;
    A f = A::from_shape({ws[1], ws[0], kh, kw});
    for (std::size_t i = 0; i < ws[0]; ++i)
      for (std::size_t o = 0; o < ws[1]; ++o)
        for (std::size_t y = 0; y < kh; ++y)
          for (std::size_t xx = 0; xx < kw; ++xx) f(o, i, y, xx) = a(i, o, kh - 1 - y, kw - 1 - xx);
    return f;
  });
  conv_params p;
  p.kh = kh, p.kw = kw;
  auto y = conv_nchw(c, x, w, p);
  if (c.has(2)) y = add_channel_bias(c, y, c.at(2));
  return c.out(y);
}

}  // namespace tfe::graph::kernels
