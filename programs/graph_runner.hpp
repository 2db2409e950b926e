// programs/graph_runner.hpp: runs a graph model (an ONNX file) under a protocol named at run time,
// for tfe_predict and tfe_onnx_conformance. The per-protocol code is compiled once per protocol in
// graph_runner_<protocol>.cpp (explicit instantiations, built in parallel and cached), so the
// programs themselves compile in seconds.
//
// Players: the protocol's own (P::default_players()), then "model-owner" (reads the model file and
// provides the weights: graph::share_model) and "client" (provides the inputs and receives the
// outputs). With launch.hosts every player is its own process (tfe/runtime/launch.hpp); the model is
// read only by the model owner, the inputs only by the client.
#pragma once

#include "tfe/graph/ir.hpp"
#include "tfe/net/statistics.hpp"
#include "tfe/runtime/launch.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tfe::programs {

inline const std::string model_owner = "model-owner";
inline const std::string client = "client";

struct graph_request {
  std::string protocol = "aby3";
  /// Runs at the model owner only.
  std::function<graph::saved_graph()> load_model;
  /// Runs at the client only: the graph inputs (in the graph's order), every one with the batch axis 0.
  std::function<std::vector<xt::xarray<double>>()> load_inputs;
  /// Examples per batch along axis 0 of every input (0: all at once).
  std::size_t batch = 0;
  /// One process per player with launch.hosts; every player here without.
  launch_flags launch;
  /// Called at the client after every batch with (examples done, examples in all).
  std::function<void(std::size_t, std::size_t)> progress;
  /// Session options (fixed point, randomness); the defaults are the protocol's.
  session_options session;
};

struct graph_result {
  std::vector<std::string> players;
  /// The outputs, at the client (empty in a process that does not run the client).
  std::vector<xt::xarray<double>> outputs;
  /// Per player (in `players` order); a player not run in this process has no statistics.
  std::vector<std::optional<statistics>> stats;
  /// Per player: wall-clock seconds of its program (after the session set-up) to its last output; as stats.
  std::vector<std::optional<double>> seconds;
  /// Per player, over a simulated network (launch.simulate): its simulated seconds.
  std::vector<std::optional<double>> simulated_seconds;
  /// Per player: the most bytes of ring tensors it held at once (ring/memory_meter.hpp); as stats.
  std::vector<std::optional<std::int64_t>> peak_bytes;
};

/// The players of a graph run under `protocol`.
std::vector<std::string> graph_players(const std::string& protocol);

/// Runs the request; throws config_error for an unknown protocol, and what the model or the run throws.
graph_result run_graph(const graph_request& request);

}  // namespace tfe::programs
