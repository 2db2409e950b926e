// tfe/graph/model.hpp: a graph model over private tensors — what an ONNX file (tfe/onnx/reader.hpp) or a
// graph built in C++ runs as, under every protocol and `plain`.
//
//   auto m = tfe::graph::share_model(s, "model-owner", [&] { return tfe::onnx::read_model(path); });
//   auto x = s.define_private_input("client", [&] { return images; });     // NCHW, as the graph says
//   auto logits = m.predict({x})[0];
//
// share_model: the provider runs at the owner only. The owner prepares the graph (prepare_for_sharing:
// each BatchNormalization whose parameters are weights becomes tfe.ScaleShift with two folded
// per-channel weights, scale/√(var+ε) and B − mean·scale/√(var+ε), computed in plaintext where they
// are known — no private square root, and exact), then sends the graph (public: ops, attributes,
// constants, weight shapes) to every player and shares each weight as its private input. No other
// player needs the file. check_supported runs at every player before anything else is sent, so an
// unsupported op fails at load, at the owner, naming the node.
//
// predict: inputs are checked against the graph's declared shapes (−1 matches any size); every node
// runs in order; an error names the source and the node and keeps its type (shape_error,
// config_error, ...). Values are dropped after their last use, so memory follows the live set.
#pragma once

#include "tfe/graph/op_table.hpp"
#include "tfe/runtime/public_json.hpp"

#include <map>
#include <optional>

namespace tfe::graph {

namespace detail {

/// Re-throws a tfe error raised by `f` with `prefix` in front (unless its message starts with it),
/// keeping its type.
template <class F>
auto with_context(const std::string& prefix, F&& f) {
  auto add = [&](const char* what) {
    const std::string w = what;
    return w.rfind(prefix, 0) == 0 ? w : prefix + (prefix.back() == ' ' ? "" : ": ") + w;
  };
  try {
    return f();
  } catch (const shape_error& e) {
    throw shape_error(add(e.what()));
  } catch (const config_error& e) {
    throw config_error(add(e.what()));
  } catch (const encoding_error& e) {
    throw encoding_error(add(e.what()));
  }
}

}  // namespace detail

/// Owner-side rewrites before sharing: folds BatchNormalization into tfe.ScaleShift when its four
/// parameters are weights or constants; drops weights no node uses any more.
namespace gd = ::tfe::graph::detail;

inline void prepare_for_sharing(saved_graph& m) {
  auto& g = m.g;
  // torch's exporter reads a parameter shared by two BatchNormalizations through an Identity node:
  // follow Identity chains back to the weight or constant.
  std::map<std::string, std::string> identity_of;
  for (const auto& n : g.nodes)
    if (n.op_type == "Identity" && n.inputs.size() == 1 && n.outputs.size() == 1)
      identity_of[n.outputs[0]] = n.inputs[0];
  auto lookup = [&](std::string name) -> std::optional<xt::xarray<double>> {
    for (std::size_t hops = 0; identity_of.count(name) && hops < g.nodes.size(); ++hops) name = identity_of[name];
    for (std::size_t i = 0; i < g.weights.size(); ++i)
      if (g.weights[i].name == name) return m.weights[i];
    if (auto it = g.constants.find(name); it != g.constants.end()) return it->second.data;
    return std::nullopt;
  };
  std::set<std::string> folded;
  for (auto& n : g.nodes) {
    if (n.op_type != "BatchNormalization" || n.inputs.size() != 5 || n.get_int("training_mode", 0) != 0) continue;
    auto scale = lookup(n.inputs[1]), bias = lookup(n.inputs[2]), mean = lookup(n.inputs[3]), var = lookup(n.inputs[4]);
    if (!scale || !bias || !mean || !var) continue;
    const double eps = n.get_float("epsilon", 1e-5);
    xt::xarray<double> a = *scale / xt::sqrt(*var + eps);
    xt::xarray<double> b = *bias - *mean * a;
    // Named after the BatchNormalization's scale tensor ("layer3.0.bn1.weight/folded_scale"), so a
    // selection by weight-name prefix (graph::name_starts_with) finds its layer's folded weights.
    std::string base = n.inputs[1].empty() ? n.name : n.inputs[1];
    if (!folded.insert(base).second) base = n.name + "/" + base;  // a scale shared by two BatchNormalizations
    const std::string an = base + "/folded_scale", bn = base + "/folded_shift";
    g.weights.push_back({an, {static_cast<std::int64_t>(a.size())}});
    m.weights.push_back(gd::reshaped(a, {a.size()}));
    g.weights.push_back({bn, {static_cast<std::int64_t>(b.size())}});
    m.weights.push_back(gd::reshaped(b, {b.size()}));
    n.op_type = "tfe.ScaleShift";
    n.inputs = {n.inputs[0], an, bn};
    n.attributes.clear();
  }
  std::set<std::string> used(g.outputs.begin(), g.outputs.end());
  for (const auto& n : g.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  std::vector<tensor_spec> ws;
  std::vector<xt::xarray<double>> wv;
  for (std::size_t i = 0; i < g.weights.size(); ++i)
    if (used.count(g.weights[i].name)) ws.push_back(g.weights[i]), wv.push_back(std::move(m.weights[i]));
  g.weights = std::move(ws);
  m.weights = std::move(wv);
}

/// For inference: PyTorch exports Linear as Gemm(x, W, transB = 1) with W stored (out, in), and the
/// Gemm kernel would transpose W's shares (a strided copy of every component) at every predict. A 2-D
/// weight that only such Gemms read (as B) is transposed here, in plaintext at the owner before
/// sharing, and those nodes get transB = 0: the same products without the per-predict copy. The
/// weight's public shape becomes the transposed one, so a program that trains the graph and reads its
/// weights back in the file's layout does not call this (the graph runner of tfe_predict does).
inline void store_linear_weights_transposed(saved_graph& m) {
  auto& g = m.g;
  std::map<std::string, std::size_t> reads, transposed_reads;
  for (const auto& o : g.outputs) ++reads[o];
  for (const auto& n : g.nodes)
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      ++reads[n.inputs[i]];
      if (n.op_type == "Gemm" && i == 1 && n.get_int("transB", 0) != 0) ++transposed_reads[n.inputs[i]];
    }
  attribute no_transpose;
  no_transpose.type = attribute::kind::integer, no_transpose.i = 0;
  for (std::size_t w = 0; w < g.weights.size(); ++w) {
    const std::string& name = g.weights[w].name;
    auto it = transposed_reads.find(name);
    if (it == transposed_reads.end() || it->second != reads[name] || m.weights[w].dimension() != 2) continue;
    m.weights[w] = xt::xarray<double>(xt::transpose(m.weights[w]));
    std::swap(g.weights[w].dims.at(0), g.weights[w].dims.at(1));
    for (auto& n : g.nodes)
      if (n.op_type == "Gemm" && n.inputs.size() > 1 && n.inputs[1] == name) n.attributes["transB"] = no_transpose;
  }
}

template <protocol P>
class model {
 public:
  model(session<P>& s, graph g) : m_s(&s), m_g(std::move(g)) { check_supported(m_g); }

  const graph& spec() const { return m_g; }
  session<P>& sess() const { return *m_s; }

  /// Shares the weights (in spec().weights order) as private inputs of `owner`; provider runs there.
  template <class F>
  void set_weights(const std::string& owner, F&& provider) {
    std::optional<std::vector<xt::xarray<double>>> w;
    if (m_s->name() == owner) {
      w.emplace(provider());
      TFE_ENFORCE(w->size() == m_g.weights.size(), shape_error, m_g.source, ": ", w->size(), " weights for ",
                  m_g.weights.size());
    }
    m_weights.clear();
    for (std::size_t i = 0; i < m_g.weights.size(); ++i) {
      const auto& spec = m_g.weights[i];
      auto x = m_s->define_private_input(owner, [&] {
        const shape_t s = shape_of((*w)[i]);
        TFE_ENFORCE(dims_match(s, spec.dims), shape_error, m_g.source, ": weight '", spec.name, "' has shape ",
                    shape_str(s), " but the graph declares ", dims_str(spec.dims));
        return (*w)[i];
      });
      TFE_ENFORCE(dims_match(x.shape(), spec.dims), protocol_error, "weight '", spec.name, "' from '", owner,
                  "' has shape ", shape_str(x.shape()), " but the graph declares ", dims_str(spec.dims));
      m_weights.emplace(spec.name, std::move(x));
    }
  }

  /// Runs the graph on its inputs (in spec().inputs order); returns its outputs.
  std::vector<private_tensor<P>> predict(const std::vector<private_tensor<P>>& inputs) {
    auto env = evaluate(inputs, false);
    std::vector<private_tensor<P>> out;
    for (const auto& o : m_g.outputs) {
      const auto& v = env.at(o);
      out.push_back(v.is_private() ? *v.priv : to_private(m_s->constant(v.pub->data)));
    }
    return out;
  }

  /// The weights by name (training updates them in place: graph/training.hpp).
  std::map<std::string, private_tensor<P>>& weights() { return m_weights; }

  /// Runs the graph and returns its values by name: every value with keep_all (what training needs),
  /// else the outputs (each value is dropped after its last use).
  std::map<std::string, value<P>> evaluate(const std::vector<private_tensor<P>>& inputs, bool keep_all) {
    const std::string at = (m_g.source.empty() ? std::string("graph") : m_g.source) + ": ";
    TFE_ENFORCE(inputs.size() == m_g.inputs.size(), shape_error, at, inputs.size(), " inputs given, the graph has ",
                m_g.inputs.size());
    TFE_ENFORCE(m_weights.size() == m_g.weights.size(), config_error, at, "the weights are not set (set_weights)");
    auto scope = m_s->op_scope("graph");
    std::map<std::string, value<P>> env;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto& spec = m_g.inputs[i];
      TFE_ENFORCE(dims_match(inputs[i].shape(), spec.dims), shape_error, at, "input '", spec.name, "' has shape ",
                  shape_str(inputs[i].shape()), " but the graph expects ", dims_str(spec.dims));
      env[spec.name] = value<P>::of(inputs[i], spec.integer);
    }
    for (const auto& [name, w] : m_weights) env[name] = value<P>::borrow(w);  // no copy
    for (const auto& [name, c] : m_g.constants) env[name] = value<P>::of(c);
    // Last use of every value, so that it is dropped afterwards.
    std::map<std::string, std::size_t> last;
    for (std::size_t i = 0; i < m_g.nodes.size(); ++i)
      for (const auto& in : m_g.nodes[i].inputs) last[in] = i;
    for (const auto& o : m_g.outputs) last[o] = m_g.nodes.size();
    for (std::size_t i = 0; i < m_g.nodes.size(); ++i) {
      const node& n = m_g.nodes[i];
      op_context<P> c{*m_s, n, {}, m_g.opset};
      for (const auto& in : n.inputs) {
        if (in.empty()) {
          c.in.push_back(nullptr);
          continue;
        }
        auto it = env.find(in);
        TFE_ENFORCE(it != env.end(), config_error, at, n.where(), ": input '", in, "' is not available");
        c.in.push_back(&it->second);
      }
      auto outs = detail::with_context(at, [&] {
        return detail::with_context(n.where(), [&] {
          auto node_scope = m_s->op_scope(n.op_type);
          return run_kernel(c);
        });
      });
      TFE_ENFORCE(outs.size() >= 1, config_error, at, n.where(), ": produced no output");
      for (std::size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k)
        if (!n.outputs[k].empty()) env[n.outputs[k]] = std::move(outs[k]);
      if (!keep_all)
        for (const auto& in : n.inputs)
          if (!in.empty() && last[in] == i && !m_weights.count(in) && !m_g.constants.count(in)) env.erase(in);
    }
    return env;
  }

  private_tensor<P> predict(const private_tensor<P>& x) { return predict(std::vector<private_tensor<P>>{x})[0]; }

 private:
  session<P>* m_s;
  graph m_g;
  std::map<std::string, private_tensor<P>> m_weights;
};

/// The owner's saved_graph (provider runs there only) becomes a model at every player: the graph is
/// public (sent as JSON), the weights private inputs of the owner.
template <protocol P, class F>
model<P> share_model(session<P>& s, const std::string& owner, F&& provider) {
  std::optional<saved_graph> m;
  const auto j = share_public_json(s, owner, "graph.architecture", "graph", [&] {
    m.emplace(provider());
    prepare_for_sharing(*m);
    check_supported(m->g);  // fail at the owner, before anything is sent
    return to_json(m->g);
  });
  model<P> result(s, graph_from_json(j, "graph from '" + owner + "'"));
  result.set_weights(owner, [&] { return std::move(m->weights); });
  return result;
}

}  // namespace tfe::graph
