// tfe/nn/core_layers.hpp: the runtime Dense, Flatten, Reshape and BatchNormalization layers (see
// nn/layer.hpp for the interface and the masking scheme).
//
// Dense, batch b, n inputs, m units (one Pond round per product, bytes per server):
//   forward   z = x·W + bias            x and W masked: b·n + n·m elements opened (W once per step;
//                                       in prediction once for all batches)
//   backward  dW = xᵀ·dy, dbias = Σ dy,  dy masked: b·m elements; dx = dy·Wᵀ reuses W's mask
// Every product is truncated once by the protocol.
#pragma once

#include "tfe/nn/layer.hpp"

namespace tfe::keras {

template <class P>
class dense_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  using R = typename P::ring;

  dense_layer(session<P>& s, const Dense& spec, const shape_t& in, const shape_t& out)
      : layer<P>(s, spec.name, in, out), m_bias(spec.use_bias) {
    this->add_variable("kernel", {in.at(0), spec.units});
    if (m_bias) this->add_variable("bias", {spec.units});
  }
  std::string type() const override { return "Dense"; }

  tensor forward(const tensor& x, bool training) override {
    auto scope = x.sess().op_scope("keras.dense");
    auto& w = this->m_vars[0];
    const shape_t zs{x.shape()[0], w.shape[1]};
    auto mm = [](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(a, b); };
    clear();
    tensor z;
    if (!this->m_use_masks) {
      z = matmul(x, w.value);
    } else if (training) {
      m_xm = tfe::mask(x);
      z = detail::product(x, &*m_xm, w.value, &w.masked(), zs, mm);
    } else {
      z = detail::product(x, nullptr, w.value, &w.masked(), zs, mm);
    }
    if (training) m_x = x;
    return m_bias ? z + this->m_vars[1].value : z;
  }

  tensor backward(const tensor& dy, bool need_dx) override {
    auto scope = dy.sess().op_scope("keras.dense.backward");
    this->require_cache(m_x.has_value());
    auto& w = this->m_vars[0];
    std::optional<masked_tensor<P>> dym;
    if (this->m_use_masks && need_dx) dym = tfe::mask(dy);
    const masked_tensor<P>* dyp = dym ? &*dym : nullptr;
    w.grad = detail::product(
        *m_x, m_xm ? &*m_xm : nullptr, dy, dyp, w.shape,
        [](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(ring_ops::transpose(a), b); });
    if (m_bias) this->m_vars[1].grad = sum(dy, {0});
    if (!need_dx) return {};
    return detail::product(
        dy, dyp, w.value, this->m_use_masks ? &w.masked() : nullptr, m_x->shape(),
        [](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(a, ring_ops::transpose(b)); });
  }

  void clear() override {
    m_x.reset();
    m_xm.reset();
  }

 private:
  bool m_bias;
  std::optional<tensor> m_x;
  std::optional<masked_tensor<P>> m_xm;
};

/// Flatten and Reshape: local on every share component, in both directions.
template <class P>
class reshape_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  reshape_layer(session<P>& s, std::string name, std::string type, const shape_t& in, const shape_t& out)
      : layer<P>(s, std::move(name), in, out), m_type(std::move(type)) {}
  std::string type() const override { return m_type; }
  tensor forward(const tensor& x, bool) override {
    return detail::reshape_to(x, detail::with_batch(x.shape()[0], this->m_out));
  }
  tensor backward(const tensor& dy, bool need_dx) override {
    if (!need_dx) return {};
    return detail::reshape_to(dy, detail::with_batch(dy.shape()[0], this->m_in));
  }

 private:
  std::string m_type;
};

/// Inference-mode batch normalization as y = x·scale + offset with the private per-channel scale and
/// offset the model owner folds from gamma, beta and the moving statistics (nn/model_io.hpp). One
/// product per call. Not trained: backward passes dx = dy·scale and leaves scale and offset alone.
template <class P>
class batch_norm_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  batch_norm_layer(session<P>& s, const BatchNormalization& spec, const shape_t& in) : layer<P>(s, spec.name, in, in) {
    this->add_variable("scale", {in.back()}, false);
    this->add_variable("offset", {in.back()}, false);
  }
  std::string type() const override { return "BatchNormalization"; }
  tensor forward(const tensor& x, bool) override {
    auto scope = x.sess().op_scope("keras.batch_norm");
    return x * this->m_vars[0].value + this->m_vars[1].value;
  }
  tensor backward(const tensor& dy, bool need_dx) override {
    if (!need_dx) return {};
    return dy * this->m_vars[0].value;
  }
};

}  // namespace tfe::keras
