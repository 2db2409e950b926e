// programs/plan_hints.cpp: plan_hints (plan.hpp): cheaper equivalents of the ops a model uses, planned
// like the model, with their accuracy in the clear where labelled data exist.
#include "plan.hpp"

#include "tfe/graph/op_table.hpp"

#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

namespace tfe::programs {

namespace {

struct variant {
  std::string change;
  graph::saved_graph model;
};

/// Max pooling as average pooling over the same windows (no comparison at all: a sum and a public
/// scale). Only where the windows are not dilated: AveragePool's dilations are opset 19's.
std::optional<variant> average_pooling(const graph::saved_graph& m) {
  variant v{"", m};
  std::size_t changed = 0;
  for (auto& n : v.model.g.nodes) {
    if (n.op_type != "MaxPool") continue;
    if (auto d = n.attributes.find("dilations"); d != n.attributes.end()) {
      for (auto k : d->second.ints)
        if (k != 1) return std::nullopt;
      n.attributes.erase(d);
    }
    n.attributes.erase("storage_order");
    n.op_type = "AveragePool";
    ++changed;
  }
  if (changed == 0) return std::nullopt;
  v.change = "MaxPool -> AveragePool (" + std::to_string(changed) + " nodes)";
  return v;
}

/// ReLU as the least-squares quadratic on [−L, L], L = 4: max(0, x) ≈ 3L/32 + x/2 + 15x²/(32L), at most
/// 3L/32 = 0.375 off on that range (at 0 and ±L) and unbounded outside it (one product, no comparison).
std::optional<variant> quadratic_relu(const graph::saved_graph& m) {
  variant v{"", m};
  std::vector<graph::node> nodes;
  std::size_t changed = 0;
  auto constant = [&](const std::string& name, double value) {
    v.model.g.constants[name] = graph::array{xt::xarray<double>(value), false};
    return name;
  };
  for (const auto& n : m.g.nodes) {
    if (n.op_type != "Relu") {
      nodes.push_back(n);
      continue;
    }
    const std::string p = n.name + "/quadratic", x = n.inputs.at(0);
    const auto c0 = constant(p + "/c0", 0.375), c1 = constant(p + "/c1", 0.5), c2 = constant(p + "/c2", 0.1171875);
    nodes.push_back({"Mul", p + "/square", {x, x}, {p + "/x2"}, {}});
    nodes.push_back({"Mul", p + "/quadratic_term", {p + "/x2", c2}, {p + "/a"}, {}});
    nodes.push_back({"Mul", p + "/linear_term", {x, c1}, {p + "/b"}, {}});
    nodes.push_back({"Add", p + "/sum", {p + "/a", p + "/b"}, {p + "/ab"}, {}});
    nodes.push_back({"Add", p + "/plus_constant", {p + "/ab", c0}, {n.outputs.at(0)}, {}});
    ++changed;
  }
  if (changed == 0) return std::nullopt;
  v.model.g.nodes = std::move(nodes);
  v.change = "Relu -> quadratic 0.375 + x/2 + 0.117x^2 (" + std::to_string(changed) + " nodes)";
  return v;
}

/// Softmax as the ReLU-based normalization of SecureML (Mohassel & Zhang, S&P 2017, §4.3):
/// relu(x_i) / (Σ_j relu(x_j) + ε) along the same axis, with ε = 2^-6 so that a row without a positive
/// entry gives zeros rather than a division by zero. One comparison per entry and a reciprocal per
/// row, in place of the max's tournament, exp's thresholds and its degree-8 polynomial. From opset 13
/// only (an earlier Softmax normalizes over every axis from its own, which the graph does not state).
std::optional<variant> relu_softmax(const graph::saved_graph& m) {
  if (m.g.opset < 13) return std::nullopt;
  variant v{"", m};
  std::vector<graph::node> nodes;
  std::size_t changed = 0;
  for (const auto& n : m.g.nodes) {
    if (n.op_type != "Softmax") {
      nodes.push_back(n);
      continue;
    }
    const std::string p = n.name + "/relu_softmax", x = n.inputs.at(0);
    v.model.g.constants[p + "/axes"] =
        graph::array{xt::xarray<double>{static_cast<double>(n.get_int("axis", -1))}, true};
    v.model.g.constants[p + "/epsilon"] = graph::array{xt::xarray<double>(0.015625), false};
    graph::attribute keepdims;
    keepdims.i = 1;
    nodes.push_back({"Relu", p + "/relu", {x}, {p + "/r"}, {}});
    nodes.push_back({"ReduceSum", p + "/sum", {p + "/r", p + "/axes"}, {p + "/s"}, {{"keepdims", keepdims}}});
    nodes.push_back({"Add", p + "/plus_epsilon", {p + "/s", p + "/epsilon"}, {p + "/d"}, {}});
    nodes.push_back({"Div", p + "/normalize", {p + "/r", p + "/d"}, {n.outputs.at(0)}, {}});
    ++changed;
  }
  if (changed == 0) return std::nullopt;
  v.model.g.nodes = std::move(nodes);
  v.change = "Softmax -> relu(x) / (sum relu(x) + 2^-6) (" + std::to_string(changed) + " nodes)";
  return v;
}

/// The share of `data` whose argmax of output 0 is the label, run in the clear (plain, fixed point).
double accuracy(const graph::saved_graph& m, const labelled_data& data) {
  graph_request rq;
  rq.protocol = "plain";
  rq.batch = 256;
  rq.load_model = [&] { return m; };
  rq.load_inputs = [&] { return std::vector<xt::xarray<double>>{data.inputs}; };
  const auto r = run_graph(rq);
  TFE_ENFORCE(!r.outputs.empty() && r.outputs[0].dimension() == 2 && r.outputs[0].shape()[0] == data.labels.size(),
              shape_error, "accuracy: the model's output 0 has shape ",
              r.outputs.empty() ? std::string("(none)") : shape_str(shape_of(r.outputs[0])), " for ",
              data.labels.size(), " labelled examples (a classifier's (examples, classes) was expected)");
  std::size_t right = 0;
  for (std::size_t i = 0; i < data.labels.size(); ++i)
    right += static_cast<std::size_t>(xt::argmax(xt::view(r.outputs[0], i))()) == data.labels[i];
  return static_cast<double>(right) / static_cast<double>(data.labels.size());
}

}  // namespace

std::vector<plan_hint> plan_hints(const plan_request& request, const std::vector<protocol_plan>& plans,
                                  const labelled_data* data) {
  const graph::saved_graph model = request.load_model();
  std::vector<variant> variants;
  for (auto make : {average_pooling, quadratic_relu, relu_softmax})
    if (auto v = make(model)) variants.push_back(std::move(*v));
  std::optional<double> base_accuracy;
  if (data && !variants.empty()) base_accuracy = accuracy(model, *data);
  std::vector<plan_hint> out;
  for (const auto& v : variants) {
    graph::check_supported(v.model.g);
    plan_request rq = request;
    rq.load_model = [&] { return v.model; };
    rq.protocols.clear();
    for (const auto& p : plans) {
      rq.protocols.push_back(p.protocol);
      rq.calibrations[p.protocol] = p.calibration;
    }
    const auto after = plan_graph(rq);
    const std::optional<double> acc = data ? std::optional<double>(accuracy(v.model, *data)) : std::nullopt;
    for (std::size_t k = 0; k < plans.size(); ++k)
      out.push_back({v.change, plans[k].protocol, plans[k], after[k], base_accuracy, acc});
  }
  return out;
}

}  // namespace tfe::programs
