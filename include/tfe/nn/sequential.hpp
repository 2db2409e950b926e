// tfe/nn/sequential.hpp: keras::Sequential<P>, a stack of layers on private tensors, with Keras's
// predict / evaluate / fit / compile, generic over every protocol (plain, pond, ...).
//
//   tfe::keras::Sequential<P> model(s, {784}, {keras::Dense{.units = 128, .activation = "relu"},
//                                              keras::Dense{.units = 10}});
//   model.initialize("model-owner", 42);          // the owner draws Glorot weights and shares them
//   model.compile(keras::CategoricalCrossentropy{.from_logits = true}, keras::SGD{.learning_rate = 0.1});
//   model.fit(x, y, {.epochs = 1, .batch_size = 128, .report_to = "model-owner"});
//   auto logits = model.predict(x_test, 100);      // private
//
// The weights are private tensors held by the session, shared from their owner; every player runs the
// same calls (SPMD). Only the player named in report_to learns the training loss and accuracy (and
// only evaluate's receiver learns its results); without report_to nothing is revealed during fit.
#pragma once

#include "tfe/nn/conv_layers.hpp"
#include "tfe/nn/core_layers.hpp"
#include "tfe/nn/losses.hpp"
#include "tfe/nn/optimizers.hpp"

#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

namespace tfe::keras {

/// What fit reports after every batch (at every player; loss and accuracy only at report_to).
struct batch_log {
  std::size_t epoch = 0, epochs = 0, batch = 0, batches = 0, examples = 0;
  std::optional<double> loss, accuracy;
  double seconds = 0;        ///< wall time of the batch at this player
  std::uint64_t bytes = 0;   ///< bytes the stats player sent during the batch
  std::uint64_t rounds = 0;  ///< its rounds during the batch
  std::string stats_player;
};

struct history {
  std::vector<batch_log> batches;
};

struct fit_options {
  std::size_t epochs = 1;
  std::size_t batch_size = 32;    ///< for fit(x, y, ...): the last batch may be smaller
  std::size_t max_batches = 0;    ///< stop every epoch after this many batches (0: all)
  std::string report_to = "";     ///< the player that learns loss and accuracy ("" : nobody)
  std::size_t metrics_every = 1;  ///< compute loss and accuracy every k batches (with report_to)
  bool verbose = true;            ///< print the progress line (at report_to, else at the stats player)
  std::string stats_player = "";  ///< whose bytes and rounds the line shows ("": player 0)
  std::ostream* out = &std::cout;
  std::function<void(const batch_log&)> on_batch = nullptr;  ///< runs at every player after every batch
};

/// evaluate's results, present at the receiver only.
struct evaluation {
  std::optional<double> loss, accuracy;
};

template <class P>
class Sequential {
 public:
  using tensor = private_tensor<P>;

  Sequential(session<P>& s, shape_t input_shape, std::vector<layer_spec> layers = {}) : m_s(&s) {
    m_arch.input_shape = std::move(input_shape);
    for (auto& l : layers) add(std::move(l));
  }
  Sequential(session<P>& s, const architecture& arch) : Sequential(s, arch.input_shape, arch.layers) {}

  /// Appends a layer; a layer type the protocol cannot run is a compile-time error.
  template <class Spec>
  requires(!std::is_same_v<std::decay_t<Spec>, layer_spec>) Sequential& add(Spec spec) {
    static_assert(runs_on<P, std::decay_t<Spec>>, "this layer needs a protocol with a sign test (P::sign_bit)");
    return add(layer_spec(std::move(spec)));
  }
  /// Appends a layer given at run time (e.g. read from a model file); unsupported: protocol_error.
  Sequential& add(layer_spec spec) {
    architecture next = m_arch;
    next.layers.push_back(std::move(spec));
    next = resolve_names(std::move(next));
    const layer_spec& l = next.layers.back();
    const shape_t in = m_arch.layers.empty() ? m_arch.input_shape : output_shape();
    const shape_t out = keras::output_shape(l, in);
    if constexpr (!has_sign_bit<P>) {
      TFE_ENFORCE(!std::holds_alternative<MaxPooling2D>(l), protocol_error, detail::where(l),
                  " needs a sign test, which ", P::name(), " does not provide");
    }
    std::visit(
        detail::overloaded{
            [&](const Dense& d) { push(std::make_unique<dense_layer<P>>(*m_s, d, in, out)); },
            [&](const Conv2D& c) { push(std::make_unique<conv2d_layer<P>>(*m_s, c, in, out)); },
            [&](const MaxPooling2D& p) { push(std::make_unique<max_pool_layer<P>>(*m_s, p, in, out)); },
            [&](const AveragePooling2D& p) { push(std::make_unique<avg_pool_layer<P>>(*m_s, p, in, out)); },
            [&](const GlobalAveragePooling2D& p) {
              push(std::make_unique<global_avg_pool_layer<P>>(*m_s, p, in, out));
            },
            [&](const Flatten& f) { push(std::make_unique<reshape_layer<P>>(*m_s, f.name, "Flatten", in, out)); },
            [&](const Reshape& r) { push(std::make_unique<reshape_layer<P>>(*m_s, r.name, "Reshape", in, out)); },
            [&](const BatchNormalization& b) { push(std::make_unique<batch_norm_layer<P>>(*m_s, b, in)); },
            [&](const auto&) {}},
        l);
    const std::string act = activation_of(l);
    const bool standalone = std::holds_alternative<Activation>(l) || std::holds_alternative<ReLU>(l);
    if (standalone || act != "linear")
      push(std::make_unique<activation_layer<P>>(*m_s, standalone ? layer_name(l) : layer_name(l) + "/" + act, out,
                                                 act));
    m_arch = std::move(next);
    m_vars_ready = false;  // a new layer needs its weights: set them again
    return *this;
  }

  session<P>& sess() const { return *m_s; }
  const architecture& arch() const { return m_arch; }
  const shape_t& input_shape() const { return m_arch.input_shape; }
  shape_t output_shape() const { return m_layers.empty() ? m_arch.input_shape : m_layers.back()->output_shape(); }
  std::vector<weight_spec> weight_specs() const { return keras::weight_specs(m_arch); }
  std::size_t count_params() const { return keras::count_params(m_arch); }
  /// The runtime layers (a Dense/Conv2D with an activation is two of them).
  const std::vector<std::unique_ptr<layer<P>>>& layers() const { return m_layers; }
  /// Every variable in order (session layout: BatchNormalization holds scale and offset).
  std::vector<variable<P>*> variables() {
    std::vector<variable<P>*> out;
    for (auto& l : m_layers)
      for (auto& v : l->variables()) out.push_back(&v);
    return out;
  }
  /// Products with masked operands (default) or opened afresh every time.
  void use_masks(bool on) {
    for (auto& l : m_layers) l->set_use_masks(on);
  }

  /// Keras-style summary.
  std::string summary() const {
    std::ostringstream os;
    os << "Model: \"sequential\" (" << P::name() << ")\n";
    os << std::left << std::setw(40) << " Layer (type)" << std::setw(22) << "Output Shape"
       << "Param #\n";
    shape_t cur = m_arch.input_shape;
    for (const auto& l : m_arch.layers) {
      std::size_t n = 0;
      for (const auto& w : keras::weight_specs(l, cur)) n += shape_size(w.shape);
      cur = keras::output_shape(l, cur);
      std::string shp = "(None";
      for (auto d : cur) shp += ", " + std::to_string(d);
      shp += ")";
      os << " " << std::setw(39) << (layer_name(l) + " (" + type_name(l) + ")") << std::setw(22) << shp << n << "\n";
    }
    os << " Total params: " << count_params() << "\n";
    return os.str();
  }

  // ---- weights ------------------------------------------------------------------------------------

  /// `owner` provides every weight in file layout (weight_specs() order and shapes; provider runs
  /// there only), and the session shares them. A wrong count or shape throws shape_error naming
  /// the weight (at the owner, before anything is sent; shapes are checked again at every player).
  template <class F>
  void set_weights(const std::string& owner, F&& provider) {
    auto scope = m_s->op_scope("keras.set_weights");
    const auto specs = weight_specs();
    std::vector<xt::xarray<double>> session_layout;
    if (m_s->name() == owner) session_layout = to_session_layout(m_arch, check_weights(specs, provider(), owner));
    auto vars = variables();
    for (std::size_t i = 0; i < vars.size(); ++i) {
      auto t = m_s->define_private_input(owner, [&] { return session_layout.at(i); });
      TFE_ENFORCE(t.shape() == vars[i]->shape, shape_error, "weight '", vars[i]->name, "' from '", owner,
                  "' has shape ", shape_str(t.shape()), " but the model needs ", shape_str(vars[i]->shape));
      vars[i]->assign(std::move(t));
    }
    m_vars_ready = true;
  }

  /// Weights that are already private tensors of this session, in variables() order (session
  /// layout): e.g. copied from lane 0 by the other lanes of a party (tfe/scaleout/lanes_keras.hpp).
  /// Nothing is sent. A wrong count or shape throws shape_error naming the weight.
  void assign_weights(std::vector<tensor> weights) {
    auto vars = variables();
    TFE_ENFORCE(weights.size() == vars.size(), shape_error, weights.size(), " weight tensors for a model with ",
                vars.size());
    for (std::size_t i = 0; i < vars.size(); ++i) {
      TFE_ENFORCE(weights[i].shape() == vars[i]->shape, shape_error, "weight '", vars[i]->name, "' has shape ",
                  shape_str(weights[i].shape()), " but the model needs ", shape_str(vars[i]->shape));
      vars[i]->assign(std::move(weights[i]));
    }
    m_vars_ready = true;
  }

  /// Glorot-uniform kernels and zero biases drawn by `owner` from `seed` (initial_weights), shared.
  void initialize(const std::string& owner, std::uint64_t seed) {
    set_weights(owner, [&] { return initial_weights(m_arch, seed); });
  }

  /// Reveals every weight to `receiver` only, where consumer(weights in file layout) runs.
  template <class F>
  void get_weights(const std::string& receiver, F&& consumer) {
    require_weights();
    std::vector<tensor> values;
    for (auto* v : variables()) values.push_back(v->value);
    m_s->define_output(
        receiver, [&](const std::vector<xt::xarray<double>>& w) { consumer(to_file_layout(m_arch, w)); }, values);
  }

  // ---- inference ----------------------------------------------------------------------------------

  /// The model on a private batch (batch, input_shape...); in inference mode.
  tensor operator()(const tensor& x) { return forward_all(x, false, nullptr); }

  /// Predictions for x in batches of batch_size (0: all at once); the weights are masked once for
  /// every batch. The result stays private.
  tensor predict(const tensor& x, std::size_t batch_size = 0) {
    check_input(x);
    auto scope = m_s->op_scope("keras.predict");
    const std::size_t n = x.shape()[0];
    if (batch_size == 0 || batch_size >= n) return forward_all(x, false, nullptr);
    std::vector<tensor> outs;
    for (std::size_t b = 0; b < n; b += batch_size)
      outs.push_back(forward_all(slice(x, 0, b, std::min(n, b + batch_size)), false, nullptr));
    return concat(outs, 0);
  }

  // ---- training -----------------------------------------------------------------------------------

  void compile(loss_spec loss, optimizer_spec opt) {
    TFE_ENFORCE(!m_layers.empty(), config_error, "compile: the model has no layers");
    m_plan = plan_loss(loss, last_activation(), output_shape());
    m_loss = std::move(loss);
    m_opt = std::make_unique<optimizer<P>>(std::move(opt));
  }

  /// One step of gradient descent on a private batch. With metrics, returns {loss, correct
  /// examples} revealed to `report_to` (present there only).
  std::optional<xt::xarray<double>> train_on_batch(const tensor& x, const tensor& y,
                                                   const std::string& report_to = {}) {
    TFE_ENFORCE(m_opt != nullptr, config_error, "train_on_batch: call compile() first");
    require_weights();
    check_input(x);
    TFE_ENFORCE(y.ndim() >= 1 && y.shape()[0] == x.shape()[0], shape_error, "train_on_batch: ", x.shape()[0],
                " inputs but targets of shape ", shape_str(y.shape()));
    auto scope = m_s->op_scope("keras.train_on_batch");
    std::optional<tensor> logits;
    tensor out = forward_all(x, true, &logits);
    // The gradient enters at the logits when the final softmax/sigmoid is folded into the loss.
    tensor grad = loss_gradient(*m_loss, m_plan, out, y);
    std::optional<xt::xarray<double>> metrics;
    if (!report_to.empty()) metrics = compute_metrics(out, logits ? &*logits : nullptr, y, report_to);
    std::size_t last = m_layers.size() - (m_plan.skip_last_activation ? 1 : 0);
    const std::size_t stop = first_trainable();
    for (std::size_t i = last; i-- > stop;) grad = m_layers[i]->backward(grad, i > stop);
    std::vector<variable<P>*> trainable;
    for (auto* v : variables())
      if (v->trainable) trainable.push_back(v);
    std::size_t examples = x.shape()[0];
    if (m_gradient_hook) examples = m_gradient_hook(trainable, examples);
    m_opt->apply(trainable, examples);
    for (auto& l : m_layers) l->clear();
    return metrics;
  }

  /// Runs in train_on_batch after the backward pass, before the optimizer, with the trainable
  /// variables (each grad a sum over the batch) and the batch's example count; it may change the
  /// gradients and returns the count they sum over. Data-parallel lanes sum their gradients here
  /// (tfe/scaleout/lanes_keras.hpp). An empty function removes it.
  using gradient_hook = std::function<std::size_t(const std::vector<variable<P>*>&, std::size_t)>;
  void set_gradient_hook(gradient_hook hook) { m_gradient_hook = std::move(hook); }

  /// Mini-batch training where next_batch(epoch, index) returns the private (x, y) of every batch
  /// (SPMD: e.g. a private input from the data owner, or slices of shared tensors).
  template <class F>
  history fit(std::size_t batches_per_epoch, F&& next_batch, const fit_options& opt) {
    TFE_ENFORCE(m_opt != nullptr, config_error, "fit: call compile() first");
    const std::string stats_player = opt.stats_player.empty() ? m_s->name_of(0) : opt.stats_player;
    const std::size_t stats_id = m_s->id_of(stats_player);
    if (!opt.report_to.empty()) (void)m_s->id_of(opt.report_to);
    const std::string printer = opt.report_to.empty() ? stats_player : opt.report_to;
    const std::size_t per_epoch = opt.max_batches ? std::min(opt.max_batches, batches_per_epoch) : batches_per_epoch;
    history h;
    for (std::size_t e = 0; e < opt.epochs; ++e)
      for (std::size_t b = 0; b < per_epoch; ++b) {
        const auto t0 = std::chrono::steady_clock::now();
        const op_stats before = m_s->stats().total;
        auto [xb, yb] = next_batch(e, b);
        const bool with_metrics =
            !opt.report_to.empty() && opt.metrics_every && (b % opt.metrics_every == 0 || b + 1 == per_epoch);
        auto metrics = train_on_batch(xb, yb, with_metrics ? opt.report_to : std::string());
        batch_log log;
        log.epoch = e + 1;
        log.epochs = opt.epochs;
        log.batch = b + 1;
        log.batches = per_epoch;
        log.examples = xb.shape()[0];
        log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        log.stats_player = stats_player;
        const op_stats mine = m_s->stats().total - before;
        log.bytes = mine.bytes_sent;
        log.rounds = mine.rounds;
        if (metrics) {
          log.loss = (*metrics)(0);
          log.accuracy = (*metrics)(1) / static_cast<double>(log.examples);
          if (!has_loss_value()) log.loss.reset();
        }
        if (opt.verbose || opt.on_batch) share_stats(log, stats_id, m_s->id_of(printer));
        if (opt.verbose && m_s->name() == printer && opt.out) *opt.out << progress_line(log) << std::flush;
        if (opt.on_batch) opt.on_batch(log);
        h.batches.push_back(log);
      }
    return h;
  }

  /// Mini-batch training on already shared tensors (batches in order, no shuffling).
  history fit(const tensor& x, const tensor& y, const fit_options& opt) {
    TFE_ENFORCE(m_opt != nullptr, config_error, "fit: call compile() first");
    check_input(x);
    TFE_ENFORCE(opt.batch_size > 0, config_error, "fit: batch_size must be positive");
    const std::size_t n = x.shape()[0], bs = opt.batch_size;
    return fit((n + bs - 1) / bs,
               [&](std::size_t, std::size_t b) {
                 const std::size_t lo = b * bs, hi = std::min(n, lo + bs);
                 return std::pair{slice(x, 0, lo, hi), slice(y, 0, lo, hi)};
               },
               opt);
  }

  /// Loss and accuracy over (x, y) in inference mode, revealed to `receiver` only.
  evaluation evaluate(const tensor& x, const tensor& y, const std::string& receiver, std::size_t batch_size = 0) {
    TFE_ENFORCE(m_loss.has_value(), config_error, "evaluate: call compile() first (it sets the loss)");
    check_input(x);
    auto scope = m_s->op_scope("keras.evaluate");
    const std::size_t n = x.shape()[0], bs = batch_size ? batch_size : n;
    std::optional<tensor> loss_sum, correct;
    for (std::size_t b = 0; b < n; b += bs) {
      const std::size_t hi = std::min(n, b + bs);
      std::optional<tensor> logits;
      auto out = forward_all(slice(x, 0, b, hi), false, &logits);
      auto m = metrics_tensor(out, logits ? &*logits : nullptr, slice(y, 0, b, hi));
      auto l = slice(m, 0, 0, 1) * static_cast<double>(hi - b);  // batch mean -> batch sum
      auto c = slice(m, 0, 1, 2);
      loss_sum = loss_sum ? *loss_sum + l : l;
      correct = correct ? *correct + c : c;
    }
    evaluation ev;
    if (auto v = m_s->reveal_to(receiver, concat(std::vector<tensor>{*loss_sum, *correct}, 0))) {
      if (has_loss_value()) ev.loss = (*v)(0) / static_cast<double>(n);
      ev.accuracy = (*v)(1) / static_cast<double>(n);
    }
    return ev;
  }

  static std::string progress_line(const batch_log& l) {
    std::ostringstream os;
    os << "[keras] epoch " << l.epoch << "/" << l.epochs << "  batch " << l.batch << "/" << l.batches;
    os << std::fixed << std::setprecision(4);
    if (l.loss) os << "  loss " << *l.loss;
    if (l.accuracy) os << "  accuracy " << *l.accuracy;
    os << std::setprecision(2) << "  time " << l.seconds << " s  " << l.stats_player << " sent "
       << static_cast<double>(l.bytes) / 1e6 << " MB in " << l.rounds << " rounds\n";
    return os.str();
  }

  // ---- layouts ------------------------------------------------------------------------------------

  /// File layout -> session layout (the owner's local work): BatchNormalization's gamma, beta and
  /// moving statistics become scale = gamma / sqrt(var + eps) and offset = beta − mean · scale.
  static std::vector<xt::xarray<double>> to_session_layout(const architecture& arch,
                                                           std::vector<xt::xarray<double>> w) {
    std::vector<xt::xarray<double>> out;
    std::size_t i = 0;
    shape_t cur = arch.input_shape;
    for (const auto& l : arch.layers) {
      const std::size_t k = keras::weight_specs(l, cur).size();
      if (const auto* bn = std::get_if<BatchNormalization>(&l)) {
        xt::xarray<double> scale = w[i] / xt::sqrt(w[i + 3] + bn->epsilon);
        xt::xarray<double> offset = w[i + 1] - w[i + 2] * scale;
        out.push_back(std::move(scale));
        out.push_back(std::move(offset));
      } else {
        for (std::size_t j = 0; j < k; ++j) out.push_back(std::move(w[i + j]));
      }
      i += k;
      cur = keras::output_shape(l, cur);
    }
    return out;
  }

  /// Session layout -> file layout: BatchNormalization is written as gamma = scale, beta = offset,
  /// moving_mean = 0, moving_variance = 1 − eps (the same function).
  static std::vector<xt::xarray<double>> to_file_layout(const architecture& arch,
                                                        const std::vector<xt::xarray<double>>& w) {
    std::vector<xt::xarray<double>> out;
    std::size_t i = 0;
    shape_t cur = arch.input_shape;
    for (const auto& l : arch.layers) {
      if (const auto* bn = std::get_if<BatchNormalization>(&l)) {
        out.push_back(w.at(i));
        out.push_back(w.at(i + 1));
        xt::xarray<double> mean = xt::zeros<double>(shape_of(w.at(i))), var = mean;
        var.fill(1.0 - bn->epsilon);
        out.push_back(std::move(mean));
        out.push_back(std::move(var));
        i += 2;
      } else {
        for (std::size_t j = 0; j < keras::weight_specs(l, cur).size(); ++j) out.push_back(w.at(i++));
      }
      cur = keras::output_shape(l, cur);
    }
    return out;
  }

  /// Throws shape_error naming the weight when `w` does not match `specs` (count and shapes).
  static std::vector<xt::xarray<double>> check_weights(const std::vector<weight_spec>& specs,
                                                       std::vector<xt::xarray<double>> w, const std::string& from) {
    TFE_ENFORCE(w.size() == specs.size(), shape_error, from, ": ", w.size(), " weight tensors given but the model has ",
                specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i)
      TFE_ENFORCE(shape_of(w[i]) == specs[i].shape, shape_error, from, ": weight '", specs[i].name, "' has shape ",
                  shape_str(shape_of(w[i])), " but the model needs ", shape_str(specs[i].shape));
    return w;
  }

 private:
  void push(std::unique_ptr<layer<P>> l) { m_layers.push_back(std::move(l)); }

  void require_weights() const {
    TFE_ENFORCE(m_vars_ready, protocol_error,
                "the model has no weights yet: call initialize(), set_weights() or load them");
  }

  void check_input(const tensor& x) const {
    require_weights();
    if (x.ndim() == m_arch.input_shape.size() + 1 &&
        shape_t(x.shape().begin() + 1, x.shape().end()) == m_arch.input_shape)
      return;
    std::string want = "(batch";
    for (auto d : m_arch.input_shape) want += ", " + std::to_string(d);
    throw shape_error("the model expects inputs of shape " + want + ") but got " + shape_str(x.shape()));
  }

  std::string last_activation() const {
    if (m_layers.empty()) return "linear";
    if (auto* a = dynamic_cast<const activation_layer<P>*>(m_layers.back().get())) return a->activation();
    return "linear";
  }

  /// Index of the first runtime layer with trainable variables (backward stops there).
  std::size_t first_trainable() const {
    for (std::size_t i = 0; i < m_layers.size(); ++i)
      for (const auto& v : m_layers[i]->variables())
        if (v.trainable) return i;
    return m_layers.size();
  }

  /// Runs every layer; `logits` receives the input of a final activation layer (when asked).
  tensor forward_all(const tensor& x, bool training, std::optional<tensor>* logits) {
    require_weights();
    tensor cur = x;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
      if (logits && i + 1 == m_layers.size() && dynamic_cast<activation_layer<P>*>(m_layers[i].get())) *logits = cur;
      cur = m_layers[i]->forward(cur, training);
    }
    if (logits && !*logits) *logits = cur;  // no final activation: the output are the logits
    return cur;
  }

  bool has_loss_value() const {
    if (!m_loss || std::holds_alternative<MeanSquaredError>(*m_loss)) return true;
    return detail::has_exp<tensor> && detail::has_log<tensor>;
  }

  /// (2,): the batch-mean loss (0 when it cannot be computed) and the number of correct examples.
  tensor metrics_tensor(const tensor& out, const tensor* logits, const tensor& y) {
    // Cross-entropies score the logits (threshold 0 for one unit); MSE scores the output (0.5).
    const bool use_logits = logits && (m_plan.skip_last_activation || !m_plan.needs.empty());
    const tensor& scores = use_logits ? *logits : out;
    tensor loss = has_loss_value() ? loss_value(*m_loss, out, use_logits ? logits : nullptr, y)
                                   : to_private(m_s->constant(xt::zeros<double>({std::size_t(1)})));
    tensor correct = correct_count(scores, y, use_logits ? 0.0 : 0.5);
    return concat(std::vector<tensor>{loss, correct}, 0);
  }

  std::optional<xt::xarray<double>> compute_metrics(const tensor& out, const tensor* logits, const tensor& y,
                                                    const std::string& receiver) {
    return m_s->reveal_to(receiver, metrics_tensor(out, logits, y));
  }

  /// The stats player tells the printing player its bytes and rounds for the batch (public numbers).
  void share_stats(batch_log& log, std::size_t from, std::size_t to) {
    if (from == to) return;
    auto scope = m_s->op_scope("keras.progress");
    if (m_s->id() == from) {
      std::vector<std::uint8_t> b(16);
      for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<std::uint8_t>(log.bytes >> (8 * i));
        b[8 + i] = static_cast<std::uint8_t>(log.rounds >> (8 * i));
      }
      m_s->net().send_bytes(to, b);
    } else if (m_s->id() == to) {
      auto b = m_s->net().recv_bytes(from);
      TFE_ENFORCE(b.size() == 16, channel_error, "malformed progress message");
      log.bytes = log.rounds = 0;
      for (int i = 0; i < 8; ++i) {
        log.bytes |= std::uint64_t(b[i]) << (8 * i);
        log.rounds |= std::uint64_t(b[8 + i]) << (8 * i);
      }
    }
  }

  session<P>* m_s;
  architecture m_arch;
  std::vector<std::unique_ptr<layer<P>>> m_layers;
  bool m_vars_ready = false;
  std::optional<loss_spec> m_loss;
  loss_plan m_plan;
  std::unique_ptr<optimizer<P>> m_opt;
  gradient_hook m_gradient_hook;
};

}  // namespace tfe::keras
