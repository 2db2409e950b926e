// tfe/scaleout/lanes_graph.hpp: graph (ONNX) models over a party's lanes (docs/scaleout.md).
//
//   auto model = tfe::scaleout::share_graph_once(lanes, s, "model-owner", [&] { return onnx::read_model(f); });
//
// The owner shares the graph once, in lane 0's MPC instance (graph::share_model: the graph as public
// JSON, the weights as the owner's private inputs); every party's lane 0 then broadcasts the graph and
// its shares of the weights to the party's other lanes, which build the same model in their own
// instances. MPC cost: one graph::share_model in lane 0, nothing in the others. Party-internal cost:
// (K − 1)·(graph JSON bytes + Σ_weights n·b per share part).
#pragma once

#include "tfe/graph/model.hpp"
#include "tfe/scaleout/lanes.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>

namespace tfe::scaleout {

/// The graph model of `owner` (provider runs at lane 0 of the owner only), shared in lane 0's MPC
/// instance and broadcast to every lane of every party (see the top of this header).
template <protocol P, class F>
graph::model<P> share_graph_once(party_lanes& lanes, session<P>& s, const std::string& owner, F&& provider) {
  std::optional<graph::model<P>> lane0;
  std::string spec;
  if (lanes.lane() == 0) {
    lane0.emplace(graph::share_model(s, owner, std::forward<F>(provider)));
    spec = graph::to_json(lane0->spec()).dump();
  }
  lanes.broadcast_string(spec, "graph");
  graph::model<P> model = lane0 ? std::move(*lane0)
                                : graph::model<P>(s, graph::graph_from_json(nlohmann::json::parse(spec),
                                                                            "graph from lane 0 of " + lanes.player()));
  // In the graph's weight order (the same at every lane: the same graph).
  for (const auto& w : model.spec().weights) {
    private_tensor<P> t = lanes.lane() == 0 ? model.weights().at(w.name) : private_tensor<P>{};
    lanes.broadcast(s, t, "weight " + w.name);
    if (lanes.lane() != 0) model.weights().emplace(w.name, std::move(t));
  }
  return model;
}

}  // namespace tfe::scaleout
