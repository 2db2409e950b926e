// tfe/ops/pool_grad.hpp: max pooling with the argmax of every window, and its derivative (for
// training), generic over protocols.
//
//   auto [y, onehot] = tfe::max_pool2d_with_argmax(x, {2, 2});          // forward, keeps the argmax
//   auto dx = tfe::max_pool2d_backward_from_argmax(onehot, dy, x.shape(), {2, 2});
//   auto dx2 = tfe::max_pool2d_backward(x, dy, {2, 2});                 // recomputes the forward
//
// The derivative of y = max over a window is the one-hot vector of the window's argmax (the first
// maximum among ties, as TensorFlow's MaxPoolGrad): dx gets, at every input position, the sum of the
// gradients dy of the windows whose maximum it is (windows overlap when strides < pool).
//
// max_pool2d_with_argmax runs the same tournament as max()/argmax() in ops/nonlinear.hpp (neighbour
// pairing, the lower candidate kept on ties), but carries, for every candidate, the one-hot vector
// (integers 0/1) over the kh·kw window positions instead of an index: each level selects both the
// values and the one-hot vectors with the same comparison bit b = [lo < hi], in ONE product round
// (the two products are concatenated):  v = lo − b·(lo − hi),  e = e_lo − b·(e_lo − e_hi).
// The one-hot is an integer tensor (not fixed-point scaled), so multiplying it by dy is exact and
// needs no truncation. The backward pass is then local: one product onehot · dy (broadcast over the
// window axis) and a scatter-add of the windows back into the image (ring_ops::col2im, the adjoint of
// the im2col that gathered them; positions in SAME padding are dropped).
//
// Costs, with m = N·out_h·out_w·C windows of K = kh·kw values and ⌈log2 K⌉ levels:
//   with_argmax: per level one sign bit over the level's m·⌊n/2⌋ pairs and one product over
//                m·⌊n/2⌋·(1 + K) elements (the values and the one-hot vectors);
//   backward_from_argmax: one product over m·K elements (no truncation), then local;
//   backward: both.
// Under SecureNN (tests/test_securenn_costs.cpp) a level is the DReLU's rounds + 1; the paper's
// DMaxpool instead reuses the index kept by its linear max scan (9(n − 1) rounds forward).
#pragma once

#include "tfe/ops/nonlinear.hpp"
#include "tfe/protocol/protocol.hpp"

namespace tfe {

template <protocol P>
struct max_pool_argmax {
  private_tensor<P> output;  ///< (N, out_h, out_w, C): the max of every window
  private_tensor<P> argmax;  ///< (N, out_h, out_w, kh·kw, C): integer one-hot of every window's argmax
};

namespace detail {

/// Strides defaulting to the pool size (0 = "same as pool"), as max_pool2d.
inline std::array<std::size_t, 2> pool_strides(std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides) {
  return strides[0] == 0 ? pool : strides;
}

inline std::vector<long> as_long_shape(const shape_t& s) {
  std::vector<long> out;
  for (auto d : s) out.push_back(static_cast<long>(d));
  return out;
}

}  // namespace detail

/// Max pooling (NHWC) that also returns every window's argmax as an integer one-hot over the window.
template <protocol P>
max_pool_argmax<P> max_pool2d_with_argmax(const private_tensor<P>& x, std::array<std::size_t, 2> pool,
                                          std::array<std::size_t, 2> strides = {0, 0}, padding pad = padding::valid,
                                          sign_width w = sign_width::fixed_point_range) {
  using R = typename P::ring;
  strides = detail::pool_strides(pool, strides);
  auto scope = x.sess().op_scope("max_pool2d_with_argmax");
  auto& s = x.sess();
  auto cur_v = detail::max_pool_windows(x, pool, strides, pad);  // (N, oh, ow, K, C)
  const shape_t ws = cur_v.shape();
  const std::size_t K = ws[3];
  // One-hot of every candidate: (N, oh, ow, K_cur, K, C), initially the identity over (K_cur, K).
  ring_tensor<R> eye = xt::zeros<R>({std::size_t(1), std::size_t(1), std::size_t(1), K, K, std::size_t(1)});
  for (std::size_t i = 0; i < K; ++i) eye(0, 0, 0, i, i, 0) = ring_traits<R>::one();
  const shape_t oh_shape{ws[0], ws[1], ws[2], K, K, ws[4]};
  auto cur_e = detail::broadcast(to_private(public_tensor<P>(s, std::move(eye))), oh_shape);
  while (cur_v.shape()[3] > 1) {
    const std::size_t n = cur_v.shape()[3], half = n / 2;
    auto lv = slice(cur_v, 3, 0, 2 * half, 2), hv = slice(cur_v, 3, 1, 2 * half, 2);
    auto le = slice(cur_e, 3, 0, 2 * half, 2), he = slice(cur_e, 3, 1, 2 * half, 2);
    auto b = detail::sign_bit(lv - hv, w, true);  // [lo < hi], (N, oh, ow, half, C)
    const shape_t bs = b.shape();
    auto be =
        detail::broadcast(reshape(b, {static_cast<long>(bs[0]), static_cast<long>(bs[1]), static_cast<long>(bs[2]),
                                      static_cast<long>(half), 1L, static_cast<long>(bs[4])}),
                          le.shape());
    const std::size_t nv = lv.size(), ne = le.size();
    auto prod =
        detail::mul_exact(concat(std::vector<private_tensor<P>>{reshape(lv - hv, {-1}), reshape(le - he, {-1})}, 0),
                          concat(std::vector<private_tensor<P>>{reshape(b, {-1}), reshape(be, {-1})}, 0));
    auto pieces = split(prod, std::vector<std::size_t>{nv, ne}, 0);
    auto mv = lv - reshape(pieces[0], detail::as_long_shape(lv.shape()));
    auto me = le - reshape(pieces[1], detail::as_long_shape(le.shape()));
    if (n % 2) {
      mv = concat(std::vector<private_tensor<P>>{mv, slice(cur_v, 3, n - 1, n)}, 3);
      me = concat(std::vector<private_tensor<P>>{me, slice(cur_e, 3, n - 1, n)}, 3);
    }
    cur_v = mv;
    cur_e = me;
  }
  return {reshape(cur_v, {static_cast<long>(ws[0]), static_cast<long>(ws[1]), static_cast<long>(ws[2]),
                          static_cast<long>(ws[4])}),
          reshape(cur_e, detail::as_long_shape(ws))};
}

/// dx from the argmax one-hot of max_pool2d_with_argmax and the output gradient dy (N, oh, ow, C):
/// dx = col2im(onehot · dy), exact (one product, no truncation).
template <protocol P>
private_tensor<P> max_pool2d_backward_from_argmax(const private_tensor<P>& onehot, const private_tensor<P>& grad_out,
                                                  const shape_t& x_shape, std::array<std::size_t, 2> pool,
                                                  std::array<std::size_t, 2> strides = {0, 0},
                                                  padding pad = padding::valid) {
  using R = typename P::ring;
  strides = detail::pool_strides(pool, strides);
  auto scope = onehot.sess().op_scope("max_pool2d_backward");
  TFE_ENFORCE(x_shape.size() == 4, shape_error, "max_pool2d_backward: input must be NHWC (4-D), got shape ",
              shape_str(x_shape));
  auto g = ring_ops::conv2d_geometry(x_shape[1], x_shape[2], pool[0], pool[1], strides[0], strides[1], pad);
  const std::size_t K = pool[0] * pool[1];
  const shape_t ws{x_shape[0], g.out_h, g.out_w, K, x_shape[3]};
  const shape_t ys{x_shape[0], g.out_h, g.out_w, x_shape[3]};
  TFE_ENFORCE(onehot.shape() == ws, shape_error, "max_pool2d_backward: argmax has shape ", shape_str(onehot.shape()),
              " but ", shape_str(ws), " was expected");
  TFE_ENFORCE(grad_out.shape() == ys, shape_error, "max_pool2d_backward: gradient has shape ",
              shape_str(grad_out.shape()), " but the pooling output has shape ", shape_str(ys));
  auto dy = detail::broadcast(reshape(grad_out, {static_cast<long>(ys[0]), static_cast<long>(ys[1]),
                                                 static_cast<long>(ys[2]), 1L, static_cast<long>(ys[3])}),
                              ws);
  auto contrib = detail::mul_exact(onehot, dy);
  const shape_t cols_shape{x_shape[0] * g.out_h * g.out_w, K * x_shape[3]};
  return detail::map_parts(contrib, x_shape, [&](const ring_tensor<R>& p) {
    return ring_ops::col2im(ring_ops::reshape(p, cols_shape), x_shape, pool[0], pool[1], strides[0], strides[1],
                            g.pad_top, g.pad_left, g.out_h, g.out_w);
  });
}

/// dx of max_pool2d(x, pool, strides, pad) for the output gradient dy: the forward tournament again
/// (for the argmax) and the scatter.
template <protocol P>
private_tensor<P> max_pool2d_backward(const private_tensor<P>& x, const private_tensor<P>& grad_out,
                                      std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides = {0, 0},
                                      padding pad = padding::valid, sign_width w = sign_width::fixed_point_range) {
  auto fwd = max_pool2d_with_argmax(x, pool, strides, pad, w);
  return max_pool2d_backward_from_argmax(fwd.argmax, grad_out, x.shape(), pool, strides, pad);
}

}  // namespace tfe
