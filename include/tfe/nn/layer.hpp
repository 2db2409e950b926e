// tfe/nn/layer.hpp: the runtime side of a layer, generic over the protocol: keras::layer<P> (the
// interface every layer implements), keras::variable<P> (a weight: a private tensor held by the
// session, its gradient and its cached mask), the activation layer, and the helpers the layers share.
//
// Eager SPMD: every player runs every layer; players that hold no share carry empty parts. A layer
// computes forward(x, training); in training mode it keeps what its backward pass needs (its input,
// masks, comparison bits), and backward(dy, need_dx) sets the gradients of its variables and returns
// the gradient with respect to its input (skipped when need_dx is false: the first layer).
//
// Products use masked operands (ops/masked.hpp) so that each tensor is opened once however many
// products use it: in prediction the weights are masked once for all batches; in training a layer's
// input, its weights and the incoming gradient are each masked once per step and reused by the
// forward product and the two backward products (Pond: a Beaver product of two masked operands sends
// nothing between the servers; the crypto producer sends the triple's correction). The backward
// products are the bilinear maps x, dy -> xᵀ·dy and dy, W -> dy·Wᵀ (and their im2col/col2im forms
// for convolutions), evaluated by the protocol's bilinear hook on the operands in their own shapes.
#pragma once

#include "tfe/nn/specs.hpp"
#include "tfe/ops/approx.hpp"
#include "tfe/ops/masked.hpp"
#include "tfe/ops/nonlinear.hpp"

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace tfe::keras {

// ---- what a protocol and the library provide --------------------------------------------------------

namespace detail {

/// Functions of ops/approx.hpp found by argument-dependent lookup when (and only when) they exist, so
/// the layers compile before and after they are added; a missing one throws protocol_error on use.
template <class T>
concept has_softmax = requires(const T& x) {
  softmax(x);
};
template <class T>
concept has_exp = requires(const T& x) {
  exp(x);
};
template <class T>
concept has_log = requires(const T& x) {
  log(x);
};
template <class T>
concept has_inv_sqrt = requires(const T& x) {
  inv_sqrt(x);
};

}  // namespace detail

/// Protocols with a sign test run ReLU, max pooling and the sigmoid/softmax approximations.
template <class P>
concept has_sign_bit = requires(session<P>& s, const typename private_tensor<P>::parts_type& p, const shape_t& sh) {
  {P::sign_bit(s, p, sh, 1u)};
};

/// Whether protocol P can run a layer of type Spec (a compile-time check for Sequential<P>::add;
/// activations given as strings are checked when the model is built).
template <class P, class Spec>
inline constexpr bool runs_on = !(std::is_same_v<Spec, MaxPooling2D> || std::is_same_v<Spec, ReLU>) || has_sign_bit<P>;

namespace detail {

template <class P>
private_tensor<P> softmax_of(const private_tensor<P>& x) {
  if constexpr (has_softmax<private_tensor<P>>) {
    return softmax(x);
  } else {
    throw protocol_error("softmax is not available: tfe::softmax (ops/approx.hpp) is missing from this build");
  }
}
template <class P>
private_tensor<P> exp_of(const private_tensor<P>& x) {
  if constexpr (has_exp<private_tensor<P>>) {
    return exp(x);
  } else {
    throw protocol_error("exp is not available: tfe::exp (ops/approx.hpp) is missing from this build");
  }
}
template <class P>
private_tensor<P> log_of(const private_tensor<P>& x) {
  if constexpr (has_log<private_tensor<P>>) {
    return log(x);
  } else {
    throw protocol_error("log is not available: tfe::log (ops/approx.hpp) is missing from this build");
  }
}
template <class P>
private_tensor<P> inv_sqrt_of(const private_tensor<P>& x) {
  if constexpr (has_inv_sqrt<private_tensor<P>>) {
    return inv_sqrt(x);
  } else {
    throw protocol_error("inv_sqrt is not available: tfe::inv_sqrt (ops/approx.hpp) is missing from this build");
  }
}

/// z = op(x, y) / 2^f for a bilinear ring op, with optional masked operands (null: opened afresh).
template <class P, class Op>
private_tensor<P> product(const private_tensor<P>& x, std::type_identity_t<const masked_tensor<P>*> xm,
                          const private_tensor<P>& y, std::type_identity_t<const masked_tensor<P>*> ym,
                          const shape_t& zs, Op&& op) {
  return tfe::detail::truncated_product(x.sess(), &x.parts(), xm ? &xm->mask : nullptr, &y.parts(),
                                        ym ? &ym->mask : nullptr, x.shape(), y.shape(), zs, op);
}

/// x reshaped by a shape_t.
template <class P>
private_tensor<P> reshape_to(const private_tensor<P>& x, const shape_t& s) {
  return tfe::detail::map_parts(x, s, [&](const auto& p) { return ring_ops::reshape(p, s); });
}

/// Integer bits [x >= 0] (shares of 0/1, not scaled): the ReLU mask.
template <class P>
private_tensor<P> positive_bits(const private_tensor<P>& x) {
  return tfe::detail::add_int(-tfe::detail::sign_bit(x, sign_width::fixed_point_range), 1);
}

inline shape_t with_batch(std::size_t b, const shape_t& s) {
  shape_t out{b};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

}  // namespace detail

// ---- variables and the layer interface --------------------------------------------------------------

/// A weight of a layer: a private tensor held by the session, its gradient after backward, and its
/// mask (computed on first use, dropped whenever the value changes).
template <class P>
struct variable {
  std::string name;  ///< "<layer>/<weight>" as in weight files (BatchNormalization: "/scale", "/offset")
  shape_t shape;
  bool trainable = true;
  private_tensor<P> value;
  private_tensor<P> grad;

  const masked_tensor<P>& masked() {
    if (!m_mask) m_mask = tfe::mask(value);
    return *m_mask;
  }
  void assign(private_tensor<P> v) {
    value = std::move(v);
    m_mask.reset();
  }

 private:
  std::optional<masked_tensor<P>> m_mask;
};

template <class P>
class layer {
 public:
  using tensor = private_tensor<P>;

  layer(session<P>& s, std::string name, shape_t in, shape_t out)
      : m_s(&s), m_name(std::move(name)), m_in(std::move(in)), m_out(std::move(out)) {}
  virtual ~layer() = default;
  layer(const layer&) = delete;
  layer& operator=(const layer&) = delete;

  virtual std::string type() const = 0;
  /// x: (batch, input_shape...). In training mode the layer keeps what backward needs.
  virtual tensor forward(const tensor& x, bool training) = 0;
  /// dy: (batch, output_shape...). Sets every variable's grad (sums over the batch); returns dx when
  /// need_dx (an empty tensor otherwise).
  virtual tensor backward(const tensor& dy, bool need_dx) = 0;
  /// Drops what forward kept for backward.
  virtual void clear() {}

  const std::string& name() const { return m_name; }
  const shape_t& input_shape() const { return m_in; }
  const shape_t& output_shape() const { return m_out; }
  std::vector<variable<P>>& variables() { return m_vars; }
  const std::vector<variable<P>>& variables() const { return m_vars; }
  session<P>& sess() const { return *m_s; }
  /// Whether forward masks its operands (see the header comment); off only to compare costs.
  void set_use_masks(bool on) { m_use_masks = on; }

 protected:
  variable<P>& add_variable(std::string name, shape_t shape, bool trainable = true) {
    variable<P> v;
    v.name = m_name + "/" + name;
    v.shape = std::move(shape);
    v.trainable = trainable;
    m_vars.push_back(std::move(v));
    return m_vars.back();
  }
  void require_cache(bool ok) const {
    TFE_ENFORCE(ok, protocol_error, "layer '", m_name, "': backward without a forward pass in training mode");
  }

  session<P>* m_s;
  std::string m_name;
  shape_t m_in, m_out;
  std::vector<variable<P>> m_vars;
  bool m_use_masks = true;
};

// ---- activations ----------------------------------------------------------------------------------

/// "relu", "sigmoid", "softmax" or "linear", alone (Activation, ReLU) or after a Dense/Conv2D.
///   relu:    forward keeps the integer bits b = [x >= 0]; y = x·b and dx = dy·b are exact products
///            (one sign test per step, shared by forward and backward).
///   sigmoid: tfe::sigmoid (piecewise linear); dx = dy·y·(1 − y).
///   softmax: tfe::softmax over the last axis; dx = y·(dy − Σ dy·y). A softmax (or sigmoid) that ends
///            the model under a matching cross-entropy loss is skipped by backward: the loss hands the
///            gradient p − y to the logits directly.
template <class P>
class activation_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  activation_layer(session<P>& s, std::string name, const shape_t& shape, std::string activation)
      : layer<P>(s, std::move(name), shape, shape), m_act(std::move(activation)) {
    detail::check_activation(m_act, this->m_name);
    if constexpr (!has_sign_bit<P>) {
      TFE_ENFORCE(m_act == "linear", protocol_error, "layer '", this->m_name, "': activation '", m_act,
                  "' needs a sign test, which ", P::name(), " does not provide");
    }
    if (m_act == "softmax" && !detail::has_softmax<tensor>)
      throw protocol_error("layer '" + this->m_name +
                           "': softmax needs tfe::softmax (ops/approx.hpp), missing from this build");
  }

  std::string type() const override { return "Activation"; }
  const std::string& activation() const { return m_act; }

  tensor forward(const tensor& x, bool training) override {
    auto scope = x.sess().op_scope("keras.activation");
    m_input.reset();
    m_cache.reset();
    if (m_act == "linear") return x;
    if (m_act == "relu") {
      if constexpr (has_sign_bit<P>) {
        if (!training) return tfe::relu(x);
        auto bits = detail::positive_bits(x);
        m_cache = bits;
        return tfe::detail::mul_exact(x, bits);
      }
    }
    tensor y;
    if (m_act == "sigmoid") y = tfe::sigmoid(x);
    if (m_act == "softmax") y = detail::softmax_of(x);
    if (training) {
      m_cache = y;
      m_input = x;
    }
    return y;
  }

  tensor backward(const tensor& dy, bool need_dx) override {
    auto scope = dy.sess().op_scope("keras.activation.backward");
    if (!need_dx) return {};
    if (m_act == "linear") return dy;
    this->require_cache(m_cache.has_value());
    if (m_act == "relu") return tfe::detail::mul_exact(dy, *m_cache);
    const tensor& y = *m_cache;
    if (m_act == "sigmoid") return dy * (y * (1.0 - y));
    // softmax: y ⊙ (dy − Σ_last dy ⊙ y)
    auto dot = sum(dy * y, {-1}, true);
    return y * (dy - dot);
  }

  void clear() override {
    m_cache.reset();
    m_input.reset();
  }
  /// The input of the last training forward (the logits of a final softmax/sigmoid).
  const std::optional<tensor>& last_input() const { return m_input; }
  /// The output of the last training forward (sigmoid/softmax).
  const std::optional<tensor>& last_output() const { return m_cache; }

 private:
  std::string m_act;
  std::optional<tensor> m_cache, m_input;
};

}  // namespace tfe::keras
