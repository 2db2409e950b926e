// tfe/ops/masked.hpp: masked operands, reused across many products without being opened again.
//
//   auto wm = tfe::mask(w);                 // opens w − a once (Pond: 1 round, |w| elements/server)
//   for (auto& batch : batches)
//     y = tfe::matmul(batch, wm);           // opens only batch − a' (|batch| elements/server)
//
// Typical use: model weights multiplied by many batches in prediction. The protocol decides what a
// mask is (P::mask_type); protocols without masks (plain) keep an empty one and compute as usual.
#pragma once

#include "tfe/ops/conv.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/tensor_ops.hpp"

namespace tfe {

template <protocol P>
struct masked_tensor {
  private_tensor<P> value;
  typename P::mask_type mask;
  const shape_t& shape() const { return value.shape(); }
};

template <protocol P>
masked_tensor<P> mask(const private_tensor<P>& x) {
  return {x, P::mask(x.sess(), x.parts(), x.shape())};
}

namespace detail {

template <protocol P, class Op>
private_tensor<P> masked_product(const private_tensor<P>& x, const typename P::mask_type* xm,
                                 const private_tensor<P>& y, const typename P::mask_type* ym, const shape_t& zs,
                                 Op&& op) {
  check_same_session(x.sess(), y.sess(), "masked product");
  return truncated_product(x.sess(), &x.parts(), xm, &y.parts(), ym, x.shape(), y.shape(), zs, op);
}

inline shape_t matmul_shape(const shape_t& a, const shape_t& b) {
  TFE_ENFORCE(a.size() == 2 && b.size() == 2 && a[1] == b[0], shape_error, "matmul: shapes ", shape_str(a), " and ",
              shape_str(b), " are not aligned");
  return {a[0], b[1]};
}

}  // namespace detail

template <protocol P>
private_tensor<P> matmul(const private_tensor<P>& x, const masked_tensor<P>& w) {
  using R = typename P::ring;
  auto scope = x.sess().op_scope("matmul");
  return detail::masked_product(
      x, nullptr, w.value, &w.mask, detail::matmul_shape(x.shape(), w.shape()),
      [t = x.sess().threads()](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(a, b, t); });
}
template <protocol P>
private_tensor<P> matmul(const masked_tensor<P>& x, const private_tensor<P>& w) {
  using R = typename P::ring;
  auto scope = w.sess().op_scope("matmul");
  return detail::masked_product(
      x.value, &x.mask, w, nullptr, detail::matmul_shape(x.shape(), w.shape()),
      [t = w.sess().threads()](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(a, b, t); });
}
template <protocol P>
private_tensor<P> operator*(const private_tensor<P>& x, const masked_tensor<P>& y) {
  TFE_ENFORCE(x.shape() == y.shape(), shape_error, "mul with a masked operand: shapes ", shape_str(x.shape()), " and ",
              shape_str(y.shape()), " must be equal");
  auto scope = x.sess().op_scope("mul");
  return detail::masked_product(x, nullptr, y.value, &y.mask, x.shape(), ring_ops::elementwise_product{});
}
template <protocol P>
private_tensor<P> conv2d(const private_tensor<P>& x, const masked_tensor<P>& w,
                         std::array<std::size_t, 2> strides = {1, 1}, padding pad = padding::valid) {
  using R = typename P::ring;
  detail::check_conv_shapes(x.shape(), w.shape());
  auto scope = x.sess().op_scope("conv2d");
  return detail::masked_product(x, nullptr, w.value, &w.mask,
                                detail::conv_out_shape(x.shape(), w.shape(), strides, pad),
                                [=, t = x.sess().threads()](const ring_tensor<R>& a, const ring_tensor<R>& b) {
                                  return ring_ops::conv2d(a, b, strides, pad, t);
                                });
}

}  // namespace tfe
