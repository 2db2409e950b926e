// src/onnx/reader.cpp: ONNX ModelProto -> tfe::graph::saved_graph (read_model, read_model_bytes).
// One pass over the model: the opset, the graph inputs (minus the initializers), the outputs, the
// initializers and Constant nodes split into weights and constants by the privacy rule, then the
// other nodes with their attributes. Only the format is checked here (domains, attribute kinds,
// tensor data, limits, names defined twice), not the op types. The rules are listed in
// tfe/onnx/reader.hpp; tensor data is converted in tensor.cpp.
#include "tensor.hpp"

#include "tfe/onnx/reader.hpp"

#include <climits>
#include <set>
#include <utility>

namespace tfe::onnx {
namespace {

using detail::fail;
using ::onnx::AttributeProto;
using ::onnx::TensorProto;

class converter {
 public:
  explicit converter(const std::string& path) : m_path(path) {}

  graph::saved_graph run(const ::onnx::ModelProto& model) {
    if (!model.has_graph()) fail(m_path, "", "not a valid ONNX model (no graph; not an .onnx file, or an empty one)");
    m_out.g.source = m_path;
    read_opset(model);
    const auto& g = model.graph();
    if (g.sparse_initializer_size() > 0)
      fail(m_path, "sparse initializer '" + g.sparse_initializer(0).values().name() + "'",
           "sparse initializers are not supported");
    if (static_cast<std::size_t>(g.node_size()) > graph::max_graph_nodes)
      fail(m_path, "",
           "a graph of " + std::to_string(g.node_size()) + " nodes (limit " + std::to_string(graph::max_graph_nodes) +
               ")");
    std::set<std::string> initializers;
    for (const auto& t : g.initializer()) initializers.insert(t.name());
    for (const auto& in : g.input())
      if (!initializers.count(in.name())) read_input(in);
    for (const auto& out : g.output()) {
      check_name(out.name(), "graph output '" + out.name() + "'");
      if (out.name().empty()) fail(m_path, "", "a graph output without a name");
      m_out.g.outputs.push_back(out.name());
    }
    for (const auto& t : g.initializer()) {
      const std::string what = "initializer '" + t.name() + "'";
      if (t.name().empty()) fail(m_path, "", "an initializer without a name");
      define(t.name(), what);
      add_tensor(t.name(), detail::to_array(t, m_path, what));
    }
    for (int i = 0; i < g.node_size(); ++i) read_node(g.node(i), i);
    return std::move(m_out);
  }

 private:
  const std::string& m_path;
  graph::saved_graph m_out;
  std::set<std::string> m_defined;  // inputs, weights and constants

  void check_name(const std::string& s, const std::string& what) const {
    if (s.size() > graph::max_graph_name)
      fail(m_path, what.substr(0, 200),
           "a name of " + std::to_string(s.size()) + " bytes (limit " + std::to_string(graph::max_graph_name) + ")");
  }

  void define(const std::string& name, const std::string& what) {
    check_name(name, what);
    if (!m_defined.insert(name).second) fail(m_path, what, "the name '" + name + "' is defined twice");
  }

  // The privacy rule: float tensors of more than one element are the owner's weights.
  void add_tensor(const std::string& name, graph::array a) {
    if (!a.integer && a.data.size() > 1) {
      graph::tensor_spec spec{name, {}};
      for (auto d : a.data.shape()) spec.dims.push_back(static_cast<std::int64_t>(d));
      m_out.g.weights.push_back(std::move(spec));
      m_out.weights.push_back(std::move(a.data));
    } else {
      m_out.g.constants[name] = std::move(a);
    }
  }

  void read_opset(const ::onnx::ModelProto& model) {
    bool found = false;
    for (const auto& o : model.opset_import()) {
      if (o.domain().empty() || o.domain() == "ai.onnx") {
        m_out.g.opset = o.version();
        found = true;
      }
    }
    if (!found) fail(m_path, "", "the model imports no opset of the default ONNX domain (opset_import)");
  }

  void read_input(const ::onnx::ValueInfoProto& in) {
    const std::string what = "graph input '" + in.name() + "'";
    if (in.name().empty()) fail(m_path, "", "a graph input without a name");
    define(in.name(), what);
    if (!in.type().has_tensor_type())
      fail(m_path, what, "is not a tensor (sequence, map, optional and sparse inputs are not supported)");
    const auto& tt = in.type().tensor_type();
    const int et = tt.elem_type();
    if (!detail::is_float_type(et) && !detail::is_integer_type(et))
      fail(m_path, what, "element type " + detail::type_name(et) + " is not supported (real and integer inputs only)");
    graph::tensor_spec spec{in.name(), {}, detail::is_integer_type(et)};
    if (tt.has_shape()) {
      const auto& shape = tt.shape();
      if (static_cast<std::size_t>(shape.dim_size()) > graph::max_graph_axes)
        fail(m_path, what,
             "a tensor of " + std::to_string(shape.dim_size()) + " axes (limit " +
                 std::to_string(graph::max_graph_axes) + ")");
      for (const auto& d : shape.dim()) {
        if (!d.has_dim_value()) {
          spec.dims.push_back(-1);
          continue;
        }
        if (d.dim_value() < 0 || static_cast<std::uint64_t>(d.dim_value()) > graph::max_graph_elements)
          fail(m_path, what,
               "a dimension of " + std::to_string(d.dim_value()) + " (must be in [0, " +
                   std::to_string(graph::max_graph_elements) + "])");
        spec.dims.push_back(d.dim_value());
      }
    }
    m_out.g.inputs.push_back(std::move(spec));
  }

  graph::attribute read_attribute(const AttributeProto& a, const std::string& what) const {
    graph::attribute r;
    using kind = graph::attribute::kind;
    switch (a.type()) {
      case AttributeProto::INT:
        r.type = kind::integer, r.i = a.i();
        break;
      case AttributeProto::FLOAT:
        r.type = kind::real, r.f = a.f();
        break;
      case AttributeProto::STRING:
        check_name(a.s(), what);
        r.type = kind::text, r.s = a.s();
        break;
      case AttributeProto::INTS:
        r.type = kind::integers, r.ints.assign(a.ints().begin(), a.ints().end());
        break;
      case AttributeProto::FLOATS:
        r.type = kind::reals, r.floats.assign(a.floats().begin(), a.floats().end());
        break;
      case AttributeProto::TENSOR:
        r.type = kind::tensor, r.t = detail::to_array(a.t(), m_path, what);
        break;
      case AttributeProto::GRAPH:
      case AttributeProto::GRAPHS:
        fail(m_path, what, "subgraph attributes (If/Loop/Scan) are not supported");
      case AttributeProto::SPARSE_TENSOR:
      case AttributeProto::SPARSE_TENSORS:
        fail(m_path, what, "sparse tensor attributes are not supported");
      case AttributeProto::TYPE_PROTO:
      case AttributeProto::TYPE_PROTOS:
        fail(m_path, what, "type attributes are not supported");
      case AttributeProto::STRINGS:
        fail(m_path, what, "lists of strings are not supported");
      case AttributeProto::TENSORS:
        fail(m_path, what, "lists of tensors are not supported");
      default:
        fail(m_path, what,
             "an attribute of unknown type " + std::to_string(a.type()) +
                 " (attributes without a type, from IR version 1, are not supported)");
    }
    return r;
  }

  // A Constant node's value; `what` names the node.
  graph::array constant_value(const ::onnx::NodeProto& n, const std::string& what) const {
    if (n.attribute_size() != 1)
      fail(m_path, what, "a Constant node needs exactly one attribute, it has " + std::to_string(n.attribute_size()));
    const AttributeProto& a = n.attribute(0);
    const std::string at = what + " attribute '" + a.name() + "'";
    auto expect = [&](AttributeProto::AttributeType t) {
      if (a.type() != t)
        fail(m_path, at,
             "must be of type " + AttributeProto::AttributeType_Name(t) + ", got type " + std::to_string(a.type()));
    };
    graph::array v;
    if (a.name() == "value") {
      expect(AttributeProto::TENSOR);
      return detail::to_array(a.t(), m_path, at);
    } else if (a.name() == "value_float" || a.name() == "value_int") {
      const bool integer = a.name() == "value_int";
      expect(integer ? AttributeProto::INT : AttributeProto::FLOAT);
      v.integer = integer;
      v.data = xt::xarray<double>::from_shape({});
      v.data.flat(0) = integer ? static_cast<double>(a.i()) : static_cast<double>(a.f());
    } else if (a.name() == "value_floats" || a.name() == "value_ints") {
      const bool integer = a.name() == "value_ints";
      expect(integer ? AttributeProto::INTS : AttributeProto::FLOATS);
      const std::size_t n_values = static_cast<std::size_t>(integer ? a.ints_size() : a.floats_size());
      v.integer = integer;
      v.data = xt::xarray<double>::from_shape({n_values});
      for (std::size_t i = 0; i < n_values; ++i)
        v.data.flat(i) = integer ? static_cast<double>(a.ints(static_cast<int>(i)))
                                 : static_cast<double>(a.floats(static_cast<int>(i)));
    } else if (a.name() == "sparse_value") {
      fail(m_path, at, "sparse constants are not supported");
    } else if (a.name() == "value_string" || a.name() == "value_strings") {
      fail(m_path, at, "string constants are not supported");
    } else {
      fail(m_path, at, "is not an attribute of Constant");
    }
    return v;
  }

  void read_node(const ::onnx::NodeProto& n, int index) {
    graph::node out;
    out.op_type = n.op_type();
    out.name = n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
    check_name(out.op_type, "node " + std::to_string(index));
    check_name(out.name, "node " + std::to_string(index));
    const std::string what = out.where();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(m_path, what,
           "op type '" + n.op_type() + "' of domain '" + n.domain() +
               "' is not supported (only the default ONNX domain is)");
    if (out.op_type.empty()) fail(m_path, what, "a node without an op type");
    for (const auto& s : n.input()) check_name(s, what), out.inputs.push_back(s);
    for (const auto& s : n.output()) check_name(s, what), out.outputs.push_back(s);
    if (out.inputs.size() > 1024 || out.outputs.size() > 1024)
      fail(m_path, what, "too many inputs or outputs (limit 1024)");

    if (out.op_type == "Constant") {
      if (out.outputs.size() != 1 || out.outputs[0].empty()) fail(m_path, what, "a Constant node needs one output");
      graph::array v = constant_value(n, what);
      define(out.outputs[0], what);
      add_tensor(out.outputs[0], std::move(v));
      return;
    }
    for (const auto& a : n.attribute()) {
      const std::string at = what + " attribute '" + a.name() + "'";
      check_name(a.name(), what);
      if (!out.attributes.emplace(a.name(), read_attribute(a, at)).second) fail(m_path, at, "given twice");
    }
    m_out.g.nodes.push_back(std::move(out));
  }
};

}  // namespace

graph::saved_graph read_model_bytes(const std::string& bytes, const std::string& name) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    detail::fail(name, "", "a model of " + std::to_string(bytes.size()) + " bytes; ONNX models are limited to 2 GiB");
  ::onnx::ModelProto model;
  if (!detail::parse(bytes, model))
    detail::fail(name, "", "not a valid ONNX model (the protobuf does not parse; truncated or not an .onnx file)");
  return converter(name).run(model);
}

graph::saved_graph read_model(const std::string& path) { return read_model_bytes(detail::read_file(path), path); }

}  // namespace tfe::onnx
