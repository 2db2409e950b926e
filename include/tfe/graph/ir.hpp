// tfe/graph/ir.hpp: the graph representation every model maps onto (ONNX files, graph models built in
// C++), and what its owner makes public.
//
// A graph is a list of nodes in topological order; each node has an op type with ONNX semantics (the
// op table in graph/op_table.hpp says which), named inputs and outputs, and attributes. Values are
// named tensors of three kinds:
//   inputs     the runtime inputs (private: whoever provides them secret-shares them);
//   weights    the owner's trained tensors (private inputs of the model owner; their shapes are public);
//   constants  public tensors that are part of the architecture: integer tensors (shapes, axes,
//              indices) and float scalars (an epsilon, a scale, an exponent).
// Everything in `graph` is public: the owner sends it to every player (to_json / graph_from_json),
// the weights' values travel as secret shares. The privacy rule the ONNX reader applies (docs/onnx.md):
// float tensors with more than one element are weights, integer tensors and float scalars constants.
//
// Limits (a graph may come from an untrusted file or a peer; docs/security.md): max_graph_nodes nodes,
// max_graph_axes axes per tensor, max_graph_elements elements per tensor; a name is at most
// max_graph_name bytes. Breaking one throws config_error naming the node and field.
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/json_integer.hpp"
#include "tfe/detail/xtensor.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tfe::graph {

inline constexpr std::size_t max_graph_nodes = std::size_t(1) << 17;
inline constexpr std::size_t max_graph_axes = 8;
inline constexpr std::size_t max_graph_elements = std::size_t(1) << 28;
inline constexpr std::size_t max_graph_name = 4096;

/// A public tensor: the values (exact in double for integers below 2^53) and whether they are integers
/// (ONNX int64/int32/bool), which decides how ops such as Div and Cast treat them.
struct array {
  xt::xarray<double> data;
  bool integer = false;
};

struct attribute {
  enum class kind { integer, real, text, integers, reals, tensor };
  kind type = kind::integer;
  std::int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<std::int64_t> ints;
  std::vector<double> floats;
  array t;
};

inline const char* kind_name(attribute::kind k) {
  switch (k) {
    case attribute::kind::integer:
      return "int";
    case attribute::kind::real:
      return "float";
    case attribute::kind::text:
      return "string";
    case attribute::kind::integers:
      return "ints";
    case attribute::kind::reals:
      return "floats";
    case attribute::kind::tensor:
      return "tensor";
  }
  return "?";
}

struct node {
  std::string op_type;
  std::string name;
  std::vector<std::string> inputs;  // "" for an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, attribute> attributes;

  /// "node 'name' (OpType)" for error messages.
  std::string where() const { return "node '" + name + "' (" + op_type + ")"; }
  bool has(const std::string& a) const { return attributes.count(a) != 0; }
  bool has_input(std::size_t i) const { return i < inputs.size() && !inputs[i].empty(); }

  const attribute& get(const std::string& a, attribute::kind k) const {
    auto it = attributes.find(a);
    TFE_ENFORCE(it != attributes.end(), config_error, where(), ": missing attribute '", a, "'");
    TFE_ENFORCE(it->second.type == k, config_error, where(), ": attribute '", a, "' must be ", kind_name(k), ", got ",
                kind_name(it->second.type));
    return it->second;
  }
  std::int64_t get_int(const std::string& a, std::int64_t fallback) const {
    return has(a) ? get(a, attribute::kind::integer).i : fallback;
  }
  double get_float(const std::string& a, double fallback) const {
    return has(a) ? get(a, attribute::kind::real).f : fallback;
  }
  std::string get_string(const std::string& a, const std::string& fallback) const {
    return has(a) ? get(a, attribute::kind::text).s : fallback;
  }
  std::vector<std::int64_t> get_ints(const std::string& a, std::vector<std::int64_t> fallback = {}) const {
    return has(a) ? get(a, attribute::kind::integers).ints : fallback;
  }
  std::vector<double> get_floats(const std::string& a, std::vector<double> fallback = {}) const {
    return has(a) ? get(a, attribute::kind::reals).floats : fallback;
  }
};

/// A named tensor's declared shape; -1 is a dimension fixed only at run time (a batch size).
struct tensor_spec {
  std::string name;
  std::vector<std::int64_t> dims;
  bool integer = false;  // an ONNX integer or bool tensor (graph inputs: token ids, indices)
};

inline std::string dims_str(const std::vector<std::int64_t>& d) {
  std::string s = "(";
  for (std::size_t i = 0; i < d.size(); ++i)
    s += (i ? ", " : "") + (d[i] < 0 ? std::string("?") : std::to_string(d[i]));
  return s + (d.size() == 1 ? ",)" : ")");
}

/// Whether an actual shape matches declared dims (−1 matches any size).
inline bool dims_match(const shape_t& s, const std::vector<std::int64_t>& dims) {
  if (s.size() != dims.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (dims[i] >= 0 && static_cast<std::size_t>(dims[i]) != s[i]) return false;
  return true;
}

struct graph {
  std::string source;  // where it came from (a file path), for error messages
  std::int64_t opset = 0;
  std::vector<tensor_spec> inputs;
  std::vector<std::string> outputs;
  std::vector<tensor_spec> weights;
  std::map<std::string, array> constants;
  std::vector<node> nodes;
};

/// A graph with its weights in plaintext, as the model owner holds it (weights in graph.weights order).
struct saved_graph {
  graph g;
  std::vector<xt::xarray<double>> weights;
};

// ---- JSON: how the owner sends the public graph -------------------------------------------------

namespace detail {

inline nlohmann::json array_to_json(const array& a) {
  nlohmann::json j;
  j["shape"] = shape_of(a.data);
  j["integer"] = a.integer;
  j["data"] = std::vector<double>(a.data.begin(), a.data.end());
  return j;
}

inline void check_name(const std::string& s, const std::string& where) {
  TFE_ENFORCE(s.size() <= max_graph_name, config_error, where, ": a name of ", s.size(), " bytes (limit ",
              max_graph_name, ")");
}

inline array array_from_json(const nlohmann::json& j, const std::string& where) {
  TFE_ENFORCE(
      j.is_object() && j.contains("shape") && j.contains("data") && j["shape"].is_array() && j["data"].is_array(),
      config_error, where, ": a tensor needs 'shape' and 'data' lists");
  TFE_ENFORCE(j["shape"].size() <= max_graph_axes, config_error, where, ": a tensor of ", j["shape"].size(),
              " axes (limit ", max_graph_axes, ")");
  shape_t shape;
  std::size_t n = 1;
  for (const auto& d : j["shape"]) {
    TFE_ENFORCE(d.is_number_unsigned() && d.get<std::uint64_t>() <= max_graph_elements, config_error, where,
                ": a dimension must be an integer in [0, ", max_graph_elements, "], got ", d.dump());
    shape.push_back(d.get<std::size_t>());
    n *= shape.back();
    TFE_ENFORCE(n <= max_graph_elements, config_error, where, ": a tensor above ", max_graph_elements, " elements");
  }
  TFE_ENFORCE(j["data"].size() == n, config_error, where, ": ", j["data"].size(), " values for shape ",
              shape_str(shape));
  array a;
  a.integer = j.value("integer", false);
  a.data = xt::xarray<double>::from_shape(shape);
  std::size_t i = 0;
  for (const auto& v : j["data"]) {
    TFE_ENFORCE(v.is_number(), config_error, where, ": a tensor value is not a number");
    a.data.flat(i++) = v.get<double>();
  }
  return a;
}

inline std::vector<std::int64_t> dims_from_json(const nlohmann::json& j, const std::string& where) {
  TFE_ENFORCE(j.is_array() && j.size() <= max_graph_axes, config_error, where, ": 'dims' must be a list of at most ",
              max_graph_axes, " integers");
  std::vector<std::int64_t> d;
  for (const auto& v : j) {
    const auto dim = tfe::detail::json_integer<std::int64_t>(v, where, "dims");
    TFE_ENFORCE(dim >= -1 && dim <= static_cast<std::int64_t>(max_graph_elements), config_error, where,
                ": a dimension must be -1 or in [0, ", max_graph_elements, "], got ", v.dump());
    d.push_back(dim);
  }
  return d;
}

}  // namespace detail

inline nlohmann::json to_json(const graph& g) {
  nlohmann::json j;
  j["format"] = "tfe.graph";
  j["version"] = 1;
  j["source"] = g.source;
  j["opset"] = g.opset;
  auto specs = [](const std::vector<tensor_spec>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& t : v) a.push_back({{"name", t.name}, {"dims", t.dims}, {"integer", t.integer}});
    return a;
  };
  j["inputs"] = specs(g.inputs);
  j["weights"] = specs(g.weights);
  j["outputs"] = g.outputs;
  j["constants"] = nlohmann::json::object();
  for (const auto& [name, a] : g.constants) j["constants"][name] = detail::array_to_json(a);
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : g.nodes) {
    nlohmann::json jn{{"op_type", n.op_type}, {"name", n.name}, {"inputs", n.inputs}, {"outputs", n.outputs}};
    jn["attributes"] = nlohmann::json::object();
    for (const auto& [an, a] : n.attributes) {
      nlohmann::json ja{{"kind", kind_name(a.type)}};
      switch (a.type) {
        case attribute::kind::integer:
          ja["value"] = a.i;
          break;
        case attribute::kind::real:
          ja["value"] = a.f;
          break;
        case attribute::kind::text:
          ja["value"] = a.s;
          break;
        case attribute::kind::integers:
          ja["value"] = a.ints;
          break;
        case attribute::kind::reals:
          ja["value"] = a.floats;
          break;
        case attribute::kind::tensor:
          ja["value"] = detail::array_to_json(a.t);
          break;
      }
      jn["attributes"][an] = ja;
    }
    j["nodes"].push_back(jn);
  }
  return j;
}

/// The graph from its JSON form (from the model owner); every size is checked, errors name `where`.
inline graph graph_from_json(const nlohmann::json& j, const std::string& where) {
  using detail::check_name;
  try {
    TFE_ENFORCE(j.is_object() && j.value("format", "") == "tfe.graph", config_error, where, ": not a tfe.graph");
    graph g;
    g.source = j.at("source").get<std::string>();
    check_name(g.source, where);
    g.opset = tfe::detail::json_integer<std::int64_t>(j.at("opset"), where, "opset");
    auto specs = [&](const nlohmann::json& a, const char* what) {
      std::vector<tensor_spec> v;
      TFE_ENFORCE(a.is_array() && a.size() <= max_graph_nodes, config_error, where, ": '", what, "' too long");
      for (const auto& t : a) {
        v.push_back({t.at("name").get<std::string>(), detail::dims_from_json(t.at("dims"), where + " " + what),
                     t.value("integer", false)});
        check_name(v.back().name, where);
      }
      return v;
    };
    g.inputs = specs(j.at("inputs"), "inputs");
    g.weights = specs(j.at("weights"), "weights");
    g.outputs = j.at("outputs").get<std::vector<std::string>>();
    for (const auto& [name, a] : j.at("constants").items()) {
      check_name(name, where);
      g.constants[name] = detail::array_from_json(a, where + " constant '" + name + "'");
    }
    const auto& nodes = j.at("nodes");
    TFE_ENFORCE(nodes.is_array() && nodes.size() <= max_graph_nodes, config_error, where, ": more than ",
                max_graph_nodes, " nodes");
    for (const auto& jn : nodes) {
      node n;
      n.op_type = jn.at("op_type").get<std::string>();
      n.name = jn.at("name").get<std::string>();
      check_name(n.op_type, where);
      check_name(n.name, where);
      n.inputs = jn.at("inputs").get<std::vector<std::string>>();
      n.outputs = jn.at("outputs").get<std::vector<std::string>>();
      TFE_ENFORCE(n.inputs.size() <= 1024 && n.outputs.size() <= 1024, config_error, where, ": ", n.where(),
                  " has too many inputs or outputs");
      for (const auto& [an, ja] : jn.at("attributes").items()) {
        attribute a;
        const std::string k = ja.at("kind").get<std::string>();
        const auto& v = ja.at("value");
        const std::string at = where + " " + n.where() + " attribute '" + an + "'";
        if (k == "int") {
          a.type = attribute::kind::integer, a.i = tfe::detail::json_integer<std::int64_t>(v, at, "value");
        } else if (k == "float") {
          a.type = attribute::kind::real, a.f = v.get<double>();
        } else if (k == "string") {
          a.type = attribute::kind::text, a.s = v.get<std::string>();
          check_name(a.s, at);
        } else if (k == "ints") {
          TFE_ENFORCE(v.size() <= max_graph_elements, config_error, at, ": too long");
          TFE_ENFORCE(v.is_array(), config_error, at, ": 'value' must be a list of integers");
          a.type = attribute::kind::integers;
          for (const auto& x : v) a.ints.push_back(tfe::detail::json_integer<std::int64_t>(x, at, "value"));
        } else if (k == "floats") {
          TFE_ENFORCE(v.size() <= max_graph_elements, config_error, at, ": too long");
          a.type = attribute::kind::reals, a.floats = v.get<std::vector<double>>();
        } else if (k == "tensor") {
          a.type = attribute::kind::tensor, a.t = detail::array_from_json(v, at);
        } else {
          throw config_error(at + ": unknown attribute kind '" + k + "'");
        }
        n.attributes[an] = std::move(a);
      }
      g.nodes.push_back(std::move(n));
    }
    return g;
  } catch (const nlohmann::json::exception& e) {
    throw config_error(where + ": malformed graph (" + e.what() + ")");
  }
}

}  // namespace tfe::graph
