// tfe/graph/builder.hpp: graph models written in C++ — the functional form of a model (Keras's
// functional API), for DAGs a Sequential cannot express: several inputs and outputs, residual adds,
// concatenation, shared tensors, attention. It builds the same graph an ONNX file becomes, so both
// run through graph::model with the same op table (ONNX semantics and layouts: NCHW, OIHW).
//
//   tfe::graph::builder b("block");
//   auto x = b.input("x", {-1, 8, 6, 6});
//   auto h = b.op("Conv", {x, b.weight("conv/w", w0)}, {{"pads", b.ints({1, 1, 1, 1})}});
//   auto y = b.op("Relu", {b.op("Add", {h, x})});           // the residual connection
//   b.output(y);
//   auto saved = b.build();                                   // a saved_graph: graph + weights
//   auto m = tfe::graph::share_model(s, "model-owner", [&] { return saved; });
//
// Weights are the owner's (private when shared); b.constant(...) adds a public constant (shapes,
// axes, scalars). op() checks the op type against the op table at once.
#pragma once

#include "tfe/graph/op_table.hpp"

namespace tfe::graph {

class builder {
 public:
  explicit builder(std::string name, std::int64_t opset = 17) {
    m_g.g.source = std::move(name);
    m_g.g.opset = opset;
  }

  /// A graph input (a private input at run time); −1 for a dimension fixed at run time.
  std::string input(const std::string& name, std::vector<std::int64_t> dims) {
    m_g.g.inputs.push_back({fresh(name), std::move(dims)});
    return m_g.g.inputs.back().name;
  }

  /// A weight of the model owner.
  std::string weight(const std::string& name, xt::xarray<double> value) {
    const shape_t s = shape_of(value);
    m_g.g.weights.push_back({fresh(name), std::vector<std::int64_t>(s.begin(), s.end())});
    m_g.weights.push_back(std::move(value));
    return m_g.g.weights.back().name;
  }

  /// A public constant (integer: shapes, axes, indices).
  std::string constant(const std::string& name, xt::xarray<double> value, bool integer = false) {
    const std::string n = fresh(name);
    m_g.g.constants[n] = array{std::move(value), integer};
    return n;
  }

  static attribute ints(std::vector<std::int64_t> v) {
    attribute a;
    a.type = attribute::kind::integers, a.ints = std::move(v);
    return a;
  }
  static attribute integer(std::int64_t v) {
    attribute a;
    a.type = attribute::kind::integer, a.i = v;
    return a;
  }
  static attribute real(double v) {
    attribute a;
    a.type = attribute::kind::real, a.f = v;
    return a;
  }
  static attribute text(std::string v) {
    attribute a;
    a.type = attribute::kind::text, a.s = std::move(v);
    return a;
  }

  /// A node of `op_type` on `inputs`; returns its outputs' names (`outputs` of them).
  std::vector<std::string> ops(const std::string& op_type, std::vector<std::string> inputs,
                               std::map<std::string, attribute> attributes, std::size_t outputs) {
    const op_spec* spec = find_op(op_type);
    TFE_ENFORCE(spec, config_error, m_g.g.source, ": op type '", op_type,
                "' is not supported; supported: ", supported_op_list());
    node n{op_type, fresh(op_type), std::move(inputs), {}, std::move(attributes)};
    for (std::size_t i = 0; i < outputs; ++i) n.outputs.push_back(fresh(n.name + ":" + std::to_string(i)));
    m_g.g.nodes.push_back(n);
    return n.outputs;
  }
  std::string op(const std::string& op_type, std::vector<std::string> inputs,
                 std::map<std::string, attribute> attributes = {}) {
    return ops(op_type, std::move(inputs), std::move(attributes), 1)[0];
  }

  void output(const std::string& name) { m_g.g.outputs.push_back(name); }

  /// The finished graph and weights; checks it (ops, attributes, every input defined).
  saved_graph build() const {
    check_supported(m_g.g);
    return m_g;
  }

 private:
  std::string fresh(const std::string& base) {
    std::string n = base;
    for (int k = 1; m_names.count(n); ++k) n = base + "_" + std::to_string(k);
    m_names.insert(n);
    return n;
  }
  saved_graph m_g;
  std::set<std::string> m_names;
};

}  // namespace tfe::graph
