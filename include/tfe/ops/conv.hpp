// tfe/ops/conv.hpp: 2-D convolution and average pooling on private tensors, generic over protocols.
//
// Layout: activations NHWC (N, H, W, C), filters HWIO (kh, kw, C_in, C_out), as TensorFlow's default.
// Padding: ring_ops::padding::same / ::valid with TensorFlow's rules.
// conv2d of two private tensors is one call of the protocol's bilinear routine with the ring conv2d
// as the bilinear map (Beaver in Pond: the masked input and filter are opened in their own shapes,
// not in im2col's expanded shape), followed by one truncation. Average pooling is linear: a local
// window sum and a public product by 1/(window size), like TensorFlow counting only the in-image
// elements of each window under SAME padding.
#pragma once

#include "tfe/ops/structure.hpp"
#include "tfe/protocol/protocol.hpp"

namespace tfe {

using ring_ops::padding;

namespace detail {

inline void check_conv_shapes(const shape_t& xs, const shape_t& ws) {
  TFE_ENFORCE(xs.size() == 4, shape_error, "conv2d: input must be NHWC (4-D), got shape ", shape_str(xs));
  TFE_ENFORCE(ws.size() == 4, shape_error, "conv2d: filter must be HWIO (4-D), got shape ", shape_str(ws));
  TFE_ENFORCE(xs[3] == ws[2], shape_error, "conv2d: input has ", xs[3], " channels but the filter expects ", ws[2]);
}

inline shape_t conv_out_shape(const shape_t& xs, const shape_t& ws, std::array<std::size_t, 2> strides, padding pad) {
  auto g = ring_ops::conv2d_geometry(xs[1], xs[2], ws[0], ws[1], strides[0], strides[1], pad);
  return {xs[0], g.out_h, g.out_w, ws[3]};
}

}  // namespace detail

/// conv2d(x, w): private input and private filter. Cost: P::bilinear + P::truncate.
template <protocol P>
private_tensor<P> conv2d(const private_tensor<P>& x, const private_tensor<P>& w,
                         std::array<std::size_t, 2> strides = {1, 1}, padding pad = padding::valid) {
  using R = typename P::ring;
  detail::check_same_session(x.sess(), w.sess(), "conv2d");
  detail::check_conv_shapes(x.shape(), w.shape());
  auto scope = x.sess().op_scope("conv2d");
  shape_t out = detail::conv_out_shape(x.shape(), w.shape(), strides, pad);
  return detail::truncated_product(x.sess(), &x.parts(), nullptr, &w.parts(), nullptr, x.shape(), w.shape(), out,
                                   [=, t = x.sess().threads()](const ring_tensor<R>& a, const ring_tensor<R>& b) {
                                     return ring_ops::conv2d(a, b, strides, pad, t);
                                   });
}

/// conv2d with a public filter: local on every share component, then truncation.
template <protocol P>
private_tensor<P> conv2d(const private_tensor<P>& x, const public_tensor<P>& w,
                         std::array<std::size_t, 2> strides = {1, 1}, padding pad = padding::valid) {
  using R = typename P::ring;
  detail::check_conv_shapes(x.shape(), w.shape());
  auto scope = x.sess().op_scope("conv2d_public");
  shape_t out = detail::conv_out_shape(x.shape(), w.shape(), strides, pad);
  return truncate(detail::map_parts(x, out, [&](const ring_tensor<R>& p) {
    return ring_ops::conv2d(p, w.value(), strides, pad, x.sess().threads());
  }));
}

/// Gathers every pooling window: (N, H, W, C) -> (N, out_h, out_w, kh*kw, C), zero outside the image.
template <protocol P>
private_tensor<P> pool_windows(const private_tensor<P>& x, std::array<std::size_t, 2> pool,
                               std::array<std::size_t, 2> strides, padding pad) {
  using R = typename P::ring;
  TFE_ENFORCE(x.ndim() == 4, shape_error, "pooling: input must be NHWC (4-D), got shape ", shape_str(x.shape()));
  const auto& xs = x.shape();
  auto g = ring_ops::conv2d_geometry(xs[1], xs[2], pool[0], pool[1], strides[0], strides[1], pad);
  shape_t out{xs[0], g.out_h, g.out_w, pool[0] * pool[1], xs[3]};
  return detail::map_parts(x, out, [&](const ring_tensor<R>& p) {
    auto cols = ring_ops::im2col(p, pool[0], pool[1], strides[0], strides[1], g.pad_top, g.pad_left, g.out_h, g.out_w);
    return ring_ops::reshape(cols, out);
  });
}

/// Average pooling (TensorFlow semantics: SAME windows average over their in-image elements only).
template <protocol P>
private_tensor<P> avg_pool2d(const private_tensor<P>& x, std::array<std::size_t, 2> pool,
                             std::array<std::size_t, 2> strides = {0, 0}, padding pad = padding::valid) {
  if (strides[0] == 0) strides = pool;
  auto scope = x.sess().op_scope("avg_pool2d");
  auto windows = pool_windows(x, pool, strides, pad);
  auto sums = sum(windows, {3});
  // Count the in-image elements of each window from the same geometry (public).
  const auto& xs = x.shape();
  auto g = ring_ops::conv2d_geometry(xs[1], xs[2], pool[0], pool[1], strides[0], strides[1], pad);
  xt::xarray<double> inv = xt::zeros<double>({std::size_t(1), g.out_h, g.out_w, std::size_t(1)});
  for (std::size_t oy = 0; oy < g.out_h; ++oy)
    for (std::size_t ox = 0; ox < g.out_w; ++ox) {
      std::size_t count = 0;
      for (std::size_t dy = 0; dy < pool[0]; ++dy)
        for (std::size_t dx = 0; dx < pool[1]; ++dx) {
          long y = static_cast<long>(oy * strides[0] + dy) - static_cast<long>(g.pad_top);
          long xx = static_cast<long>(ox * strides[1] + dx) - static_cast<long>(g.pad_left);
          if (y >= 0 && xx >= 0 && y < static_cast<long>(xs[1]) && xx < static_cast<long>(xs[2])) ++count;
        }
      inv(0, oy, ox, 0) = 1.0 / static_cast<double>(count);
    }
  return sums * x.sess().constant(inv);
}

}  // namespace tfe
