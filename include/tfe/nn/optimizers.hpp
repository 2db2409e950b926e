// tfe/nn/optimizers.hpp: SGD (with momentum) and Adam on private weights (Keras names and defaults).
//
// The gradients a layer leaves are sums over the batch; apply() receives grad_scale = 1/batch and
// folds it into the public learning-rate constant. Updates are local linear combinations plus public
// products (one truncation each); no communication except Adam's inverse square root.
//
//   SGD:  v ← μ·v − (η_t/b)·g;  w ← w + v        (μ = 0: w ← w − (η_t/b)·g, one public product)
//         η_t = η / (1 + decay·(t − 1)), Keras's legacy time decay (decay = 0: constant)
//   Adam: m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//         w ← w − η·m̂ · inv_sqrt(v̂ + ε')         m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)
// Adam runs on the summed gradients g = b·ḡ (Adam is invariant to the scale of the gradient), so
// that g² keeps its precision in fixed point; ε' = (b·ε)² keeps the same damping as Keras's
// sqrt(v̂) + ε, and is raised to at least 2^-(f-2) so that inv_sqrt stays in its domain. It needs
// tfe::inv_sqrt (ops/approx.hpp): without it, compile() throws protocol_error.
#pragma once

#include "tfe/nn/layer.hpp"

#include <algorithm>
#include <cmath>
#include <variant>

namespace tfe::keras {

namespace detail {

/// x·c for a public c, keeping c's relative precision when c is small: c = m·2^-k with m in
/// [0.5, 1) encoded to 2^-f, then an exact product by 2^-k (two share-local truncations; a single
/// product would encode η/b = 0.1/128 as 51 ulps, 0.4% off).
template <class P>
private_tensor<P> mul_precise(const private_tensor<P>& x, double c) {
  const int f = static_cast<int>(x.sess().fixed_point().frac_bits);
  int e = 0;
  (void)std::frexp(c, &e);  // c = m·2^e, |m| in [0.5, 1)
  if (e >= -1 || c == 0.0) return x * c;
  const int k = std::min(-e, f);
  return (x * (c * std::ldexp(1.0, k))) * std::ldexp(1.0, -k);
}

}  // namespace detail

/// decay: Keras's (legacy) time decay, the learning rate of step t (from 1) is η / (1 + decay·(t − 1)).
struct SGD {
  double learning_rate = 0.01;
  double momentum = 0.0;
  double decay = 0.0;
};

struct Adam {
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};

using optimizer_spec = std::variant<SGD, Adam>;

/// The optimizer's per-variable state, generic over the protocol.
template <class P>
class optimizer {
 public:
  using tensor = private_tensor<P>;

  explicit optimizer(optimizer_spec spec) : m_spec(std::move(spec)) {
    if (const auto* a = std::get_if<Adam>(&m_spec)) {
      TFE_ENFORCE(detail::has_inv_sqrt<tensor>, protocol_error,
                  "the Adam optimizer needs tfe::inv_sqrt (ops/approx.hpp), missing from this build: use SGD");
      TFE_ENFORCE(a->beta_1 >= 0 && a->beta_1 < 1 && a->beta_2 >= 0 && a->beta_2 < 1, config_error,
                  "Adam: beta_1 and beta_2 must be in [0, 1)");
    }
    const double lr = std::visit([](const auto& o) { return o.learning_rate; }, m_spec);
    TFE_ENFORCE(lr > 0, config_error, "the learning rate must be positive, got ", lr);
    if (const auto* g = std::get_if<SGD>(&m_spec))
      TFE_ENFORCE(g->momentum >= 0 && g->momentum < 1 && g->decay >= 0, config_error,
                  "SGD: momentum must be in [0, 1) and decay non-negative");
  }

  const optimizer_spec& spec() const { return m_spec; }
  std::size_t iterations() const { return m_t; }

  /// One update of every trainable variable from its grad (a sum over `batch` examples).
  void apply(std::vector<variable<P>*> vars, std::size_t batch) {
    if (vars.empty()) return;
    auto scope = vars.front()->value.sess().op_scope("keras.optimizer");
    ++m_t;
    if (m_slots.empty()) m_slots.resize(vars.size());
    TFE_ENFORCE(m_slots.size() == vars.size(), protocol_error, "optimizer: the set of variables changed");
    const double b = static_cast<double>(batch);
    for (std::size_t i = 0; i < vars.size(); ++i) {
      auto& v = *vars[i];
      TFE_ENFORCE(!v.grad.empty(), protocol_error, "optimizer: variable '", v.name, "' has no gradient");
      std::visit(detail::overloaded{[&](const SGD& o) { sgd(v, m_slots[i], o, b); },
                                    [&](const Adam& o) { adam(v, m_slots[i], o, b); }},
                 m_spec);
    }
  }

 private:
  struct slot {
    std::optional<tensor> m, v;
  };

  void sgd(variable<P>& w, slot& st, const SGD& o, double b) {
    const double lr = o.learning_rate / (1.0 + o.decay * static_cast<double>(m_t - 1));
    const double step = lr / b;
    if (o.momentum == 0.0) {
      w.assign(w.value - detail::mul_precise(w.grad, step));
      return;
    }
    tensor v = -detail::mul_precise(w.grad, step);
    if (st.m) v = v + *st.m * o.momentum;
    st.m = v;
    w.assign(w.value + v);
  }

  void adam(variable<P>& w, slot& st, const Adam& o, double b) {
    const auto& g = w.grad;
    tensor m = g * (1.0 - o.beta_1);
    tensor v = (g * g) * (1.0 - o.beta_2);
    if (st.m) m = m + *st.m * o.beta_1;
    if (st.v) v = v + *st.v * o.beta_2;
    st.m = m;
    st.v = v;
    const double t = static_cast<double>(m_t);
    const double c1 = 1.0 / (1.0 - std::pow(o.beta_1, t)), c2 = 1.0 / (1.0 - std::pow(o.beta_2, t));
    const double floor_eps = std::ldexp(1.0, -static_cast<int>(g.sess().fixed_point().frac_bits) + 2);
    const double eps = std::max((b * o.epsilon) * (b * o.epsilon), floor_eps);
    auto denom = detail::inv_sqrt_of(v * c2 + eps);
    w.assign(w.value - (m * (o.learning_rate * c1)) * denom);
  }

  optimizer_spec m_spec;
  std::vector<slot> m_slots;
  std::size_t m_t = 0;
};

}  // namespace tfe::keras
