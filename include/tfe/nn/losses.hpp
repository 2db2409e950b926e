// tfe/nn/losses.hpp: losses (Keras names) and the accuracy metric, on private tensors.
//
// Gradients are those of the SUM of the per-example losses over the batch; the optimizer divides by
// the batch size together with the learning rate (one public product instead of a 1/b truncation
// that would drop log2(b) bits of every gradient).
//
//   loss                                   gradient handed to backward
//   MeanSquaredError                       2·(ŷ − y)/d at the output (d = units)
//   BinaryCrossentropy(from_logits)        sigmoid(z) − y at the logits z
//   BinaryCrossentropy after a sigmoid     p − y at the sigmoid's input (its backward is skipped)
//   CategoricalCrossentropy(from_logits)   softmax(z) − y at the logits z (needs tfe::softmax)
//   CategoricalCrossentropy after softmax  p − y at the softmax's input (its backward is skipped)
//
// Loss values (for the progress line; revealed only to the reporting player) are batch means:
//   MSE   mean((ŷ − y)²)
//   BCE   mean(relu(z) − y·z + log(1 + exp(−|z|)))     on the logits (needs tfe::exp and tfe::log)
//   CCE   mean(logsumexp(z) − Σ y·z), logsumexp(z) = m + log Σ exp(z − m), m = max(z)
// Accuracy counts correct examples: argmax(ŷ) = argmax(y) for several units (exact: the tournament
// of tfe::argmax and one zero test), [z ≥ 0] = y for one unit.
#pragma once

#include "tfe/nn/layer.hpp"

#include <variant>

namespace tfe::keras {

struct MeanSquaredError {};
struct BinaryCrossentropy {
  bool from_logits = false;
};
struct CategoricalCrossentropy {
  bool from_logits = false;
};

using loss_spec = std::variant<MeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy>;

inline std::string loss_name(const loss_spec& l) {
  return std::visit(detail::overloaded{[](const MeanSquaredError&) { return "mean_squared_error"; },
                                       [](const BinaryCrossentropy&) { return "binary_crossentropy"; },
                                       [](const CategoricalCrossentropy&) { return "categorical_crossentropy"; }},
                    l);
}

/// Where the loss takes its gradient: at the model output, or at the input of a final activation.
struct loss_plan {
  bool skip_last_activation = false;  ///< the final softmax/sigmoid is folded into the loss
  std::string needs;                  ///< the activation applied to logits inside the loss ("", "sigmoid", "softmax")
};

/// Checks that a loss fits the model's final activation and output shape; throws config_error.
inline loss_plan plan_loss(const loss_spec& loss, const std::string& last_activation, const shape_t& output_shape) {
  loss_plan p;
  // A cross-entropy either applies `act` itself (from logits: the model ends linear) or reads the
  // probabilities the model's final `act` produced.
  auto cross_entropy = [&](const char* name, bool from_logits, const char* act) {
    if (from_logits) {
      TFE_ENFORCE(last_activation == "linear", config_error, name,
                  "(from_logits=true) needs a model that ends without an activation, but the last activation is '",
                  last_activation, "'");
      p.needs = act;
    } else {
      TFE_ENFORCE(last_activation == act, config_error, name, "(from_logits=false) needs a model that ends with a ",
                  act, " (or use from_logits=true), but the last activation is '", last_activation, "'");
      p.skip_last_activation = true;
    }
  };
  std::visit(detail::overloaded{
                 [&](const MeanSquaredError&) {},
                 [&](const BinaryCrossentropy& b) { cross_entropy("BinaryCrossentropy", b.from_logits, "sigmoid"); },
                 [&](const CategoricalCrossentropy& c) {
                   TFE_ENFORCE(output_shape.size() == 1 && output_shape[0] >= 2, config_error,
                               "CategoricalCrossentropy needs an output of shape (classes,), got ",
                               shape_str(output_shape));
                   cross_entropy("CategoricalCrossentropy", c.from_logits, "softmax");
                 }},
             loss);
  return p;
}

/// The gradient of the summed loss with respect to the logits when plan.skip_last_activation (then
/// `out` are the final softmax/sigmoid's probabilities) or the loss is from logits (then `out` are the
/// logits), else with respect to the model output `out`.
template <class P>
private_tensor<P> loss_gradient(const loss_spec& loss, const loss_plan& plan, const private_tensor<P>& out,
                                const private_tensor<P>& y) {
  auto scope = out.sess().op_scope("keras.loss.gradient");
  TFE_ENFORCE(out.shape() == y.shape(), shape_error, "loss: predictions of shape ", shape_str(out.shape()),
              " and targets of shape ", shape_str(y.shape()), " differ");
  if (std::holds_alternative<MeanSquaredError>(loss)) {
    const double d = static_cast<double>(out.size() / out.shape()[0]);
    return (out - y) * (2.0 / d);
  }
  if (plan.needs == "sigmoid") return sigmoid(out) - y;
  if (plan.needs == "softmax") return detail::softmax_of(out) - y;
  return out - y;  // p − y at the logits of the final softmax/sigmoid
}

/// The batch-mean loss as a private scalar of shape (1,). `logits` are the pre-activation values when
/// the loss is a cross-entropy (the model output itself when from_logits).
template <class P>
private_tensor<P> loss_value(const loss_spec& loss, const private_tensor<P>& out, const private_tensor<P>* logits,
                             const private_tensor<P>& y) {
  auto scope = out.sess().op_scope("keras.loss.value");
  const double b = static_cast<double>(out.shape()[0]);
  if (std::holds_alternative<MeanSquaredError>(loss)) {
    auto d = out - y;
    return reshape(sum(d * d) * (1.0 / static_cast<double>(out.size())), {1});
  }
  TFE_ENFORCE(logits != nullptr, protocol_error, "loss value: the logits are missing");
  const auto& z = *logits;
  if (std::holds_alternative<BinaryCrossentropy>(loss)) {
    auto r = relu(z);
    auto neg_abs = z - mul_int(r, 2);                                    // −|z|
    auto softplus_tail = detail::log_of(detail::exp_of(neg_abs) + 1.0);  // log(1 + e^−|z|), argument in (1, 2]
    auto per = r - z * y + softplus_tail;
    return reshape(sum(per) * (1.0 / static_cast<double>(z.size())), {1});
  }
  auto m = max(z, -1);  // (b,)
  std::vector<long> col{static_cast<long>(z.shape()[0]), 1};
  auto shifted = z - tfe::detail::broadcast(reshape(m, col), z.shape());
  auto lse = m + detail::log_of(sum(detail::exp_of(shifted), {-1}));  // Σ exp in [1, classes]
  auto yz = sum(z * y, {-1});
  return reshape(sum(lse - yz) * (1.0 / b), {1});
}

/// The number of correctly classified examples of the batch, as a private scalar of shape (1,).
/// `scores` are logits or probabilities; one unit: [score ≥ threshold] = y.
template <class P>
private_tensor<P> correct_count(const private_tensor<P>& scores, const private_tensor<P>& y, double threshold) {
  using R = typename P::ring;
  auto scope = scores.sess().op_scope("keras.accuracy");
  const std::size_t units = scores.size() / scores.shape()[0];
  if (units == 1) {
    auto pred = detail::positive_bits(scores - threshold);  // integers 0/1
    // pred XOR y = pred + y − 2·pred·y (exact: pred is an integer bit); correct = 1 − XOR.
    auto wrong = tfe::detail::bit_to_fixed(pred) + y - mul_int(tfe::detail::mul_exact(pred, y), 2);
    return reshape(static_cast<double>(scores.shape()[0]) - sum(wrong), {1});
  }
  // argmax(y) exactly: y is one-hot in fixed point; multiplying by the raw integers 0..c−1 gives the
  // fixed-point index without truncation.
  auto y2 = detail::reshape_to(y, {y.shape()[0], units});
  ring_tensor<R> iota = ring_tensor<R>::from_shape({1, units});
  for (std::size_t i = 0; i < units; ++i) iota.data()[i] = ring_traits<R>::from_uint(i);
  auto ylabel = sum(
      tfe::detail::map_parts(y2, y2.shape(), [&](const ring_tensor<R>& p) { return ring_tensor<R>(p * iota); }), {-1});
  auto guess = argmax(detail::reshape_to(scores, {scores.shape()[0], units}), -1);
  auto hit = tfe::detail::bit_to_fixed(tfe::detail::zero_bit(guess - ylabel, sign_width::fixed_point_range));
  return reshape(sum(hit), {1});
}

}  // namespace tfe::keras
