// programs/plan.hpp: which protocol for my model? The cost planner (tfe_plan, issue 21): a graph
// model's bytes, messages and rounds per player under each protocol, predicted without running any
// protocol, and the time they would take on a network.
//
// How: the graph runs under tfe::planning<R> (include/tfe/plan/planning.hpp), whose hooks count the
// traffic of the chosen protocol's cost model (protocol/<name>/costs.hpp) instead of computing; the
// session's own messages (seeds, public shapes, the graph's public parts) are real. The predicted
// statistics equal a real run's (tests/test_plan.cpp). Time: docs/planner.md.
#pragma once

#include "graph_runner.hpp"

#include "tfe/plan/cost_model.hpp"

#include "tfe/graph/ir.hpp"
#include "tfe/net/statistics.hpp"
#include "tfe/runtime/simulated_network.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tfe::programs {

/// This machine's local compute per protocol, from a short calibration (calibrate()): two tiny graphs
/// run under the real protocol over a simulated network without latency, so their simulated time is
/// the players' compute (thread CPU time) on the critical path.
struct compute_calibration {
  /// Seconds of compute per byte the busiest player sends and receives (a chain of four ReLUs on 2^15
  /// values: the comparisons' local work grows with their traffic).
  double seconds_per_byte = 0;
  /// Seconds of compute per round of the busiest player that do not grow with the bytes (the
  /// channel's work per message, each hook's set-up: what dominates small models on a LAN), from a
  /// chain of 32 ReLUs of 8 values against one of 4.
  double seconds_per_round = 0;
  /// Seconds of compute per second of the same products evaluated once in the clear (a chain of four
  /// matrix products, 512 → 256 → 256 → 256 → 256, on 256 examples: the shares' local products, after
  /// the bytes' part; a chain, as in a model, so that a dealer computes its triples ahead).
  double product_factor = 0;
  /// One-way latencies a run waits per round of its busiest player: the ReLUs' time over a network
  /// with only latency (40 ms round trip), less its compute, over R · L (R: the most rounds of any
  /// player). How far the protocol's messages overlap (a dealer that only sends runs ahead) or wait
  /// for each other in turn.
  double latency_factor = 1;
  /// The ReLUs' bandwidth time against their comparisons' bytes on the critical path, bytes · 8 /
  /// bandwidth (plan::timeline), over a network with only bandwidth (100 Mbit/s).
  double byte_factor = 1;
};
struct plan_request {
  /// The model (read once, here: the planner is every player).
  std::function<graph::saved_graph()> load_model;
  /// Registry names (cost_model.hpp's make_cost_model: pond, pond128, securenn, securenn128, aby3, aby3_128).
  std::vector<std::string> protocols{"aby3", "pond", "securenn"};
  /// Examples in all, and per batch (0: all at once), as tfe_predict's --batch.
  std::size_t examples = 1, batch = 0;
  /// Networks to estimate the time on.
  std::vector<network_model> networks{network_model::lan(), network_model::wan()};
  /// Evaluate the products on zeros at player 0 to time this machine's plaintext kernels (for the
  /// compute part of the time estimate); off: bytes and rounds only, faster.
  bool time_products = true;
  /// Calibrations already made (by protocol name, with this request's truncation), reused instead of
  /// calibrating again.
  std::map<std::string, compute_calibration> calibrations;
  /// The truncation after products (ring/fixed_point.hpp); the protocols' default when empty.
  std::optional<truncation_mode> truncation;
  /// Threads per player for the large kernels (session_options::threads; 0: the default), in the
  /// planning run's product timing, the calibration and measure_graph.
  std::size_t threads = 0;
};

/// One graph op type's share of a plan (its node scopes: everything its kernels did).
struct op_cost_share {
  std::string op;
  std::uint64_t calls = 0;
  std::uint64_t bytes_sent = 0;  // all players together
  std::uint64_t rounds = 0;      // the most of any player
};

struct protocol_plan {
  std::string protocol;
  /// The protocol's players (cost_model::players), then model-owner and client.
  std::vector<std::string> players;
  std::vector<op_stats> per_player;
  /// Graph op types by bytes sent, most first.
  std::vector<op_cost_share> ops;
  /// Seconds player 0 spent evaluating the products in the clear (time_products).
  double product_seconds = 0;
  /// Player 0's CPU seconds between hooks: the ops' local work on a server's share parts (planning.hpp),
  /// as a real server does it.
  double local_seconds = 0;
  /// The hooks' critical path (plan::timeline): message hops, and bytes.
  plan::timeline critical;
  /// The calibration of this protocol used for the estimates.
  compute_calibration calibration;
  /// Per network of the request: the estimated seconds (docs/planner.md's model).
  std::vector<double> seconds;
  /// Per player: the predicted peak bytes of ring tensors it holds at once (docs/planner.md, "Peak
  /// memory"; what its memory meter, ring/memory_meter.hpp, measures in a real run).
  std::vector<std::int64_t> peak_bytes;
  /// Per player: the op (its scope path) during which peak_bytes is reached.
  std::vector<std::string> peak_where;

  std::uint64_t max_bytes_sent() const;
  /// The most peak_bytes of any player.
  std::int64_t max_peak_bytes() const;
  std::uint64_t max_rounds() const;
};

/// The calibration of `protocol` with the given truncation after products (the protocol's default
/// when empty): the exact truncation's extra round and local work are part of what it measures.
compute_calibration calibrate(const std::string& protocol, std::optional<truncation_mode> truncation = {},
                              std::size_t threads = 0);

/// Zeros shaped as the graph's inputs with `examples` on a batch axis 0 fixed at run time (what the
/// planner feeds the graph); config_error for another axis fixed only at run time.
std::vector<xt::xarray<double>> zero_inputs(const graph::graph& g, std::size_t examples);

/// The graph of `request` under a real protocol over a simulated network (launch.simulate syntax:
/// lan, wan, RTT_MS:MBITS): the measured seconds (the slowest player's) and statistics, to compare a
/// plan with (tfe_plan --measure, docs/planner.md).
graph_result measure_graph(const plan_request& request, const std::string& protocol, const std::string& network);

/// The plan of a graph under every protocol of the request. Throws what loading or running the graph
/// throws (an unsupported op or shape fails as under tfe_predict, before any cost is known), and
/// config_error for a protocol without a cost model or an input whose shape the request cannot fix.
std::vector<protocol_plan> plan_graph(const plan_request& request);

/// A cheaper equivalent of some ops (plan_hints.cpp): the same graph with every node of one kind
/// replaced, planned under the same protocol, and its accuracy in the clear where labelled data exist.
struct plan_hint {
  std::string change;    // e.g. "MaxPool -> AveragePool (2 nodes)"
  std::string protocol;  // the plan it is compared with
  protocol_plan before, after;
  std::optional<double> accuracy_before, accuracy_after;
};

/// Labelled examples to measure the accuracy of a classifier and its cheaper variants in the clear
/// (fixed point, protocol plain): inputs shaped as the graph's input 0, one class id per example.
struct labelled_data {
  xt::xarray<double> inputs;
  std::vector<std::size_t> labels;
};

/// The cheaper equivalents a model admits (max pooling as average pooling; ReLU as the least-squares
/// quadratic on [−4, 4], 0.375 + x/2 + 0.1171875·x²), each planned under every protocol of `plans`
/// with the request's examples, batch and networks, and with `data`, both accuracies.
std::vector<plan_hint> plan_hints(const plan_request& request, const std::vector<protocol_plan>& plans,
                                  const labelled_data* data = nullptr);

/// The plan with the least estimated time on network `net` (an index into the plans' seconds), among
/// those whose every player's predicted peak memory is at most `memory_limit` bytes when given;
/// nullopt when none fits or the plans have no estimates.
std::optional<std::size_t> recommend(const std::vector<protocol_plan>& plans, std::size_t net,
                                     std::optional<std::uint64_t> memory_limit = {});
/// The plan whose busiest player's peak memory is least (plans not empty).
std::size_t smallest_peak(const std::vector<protocol_plan>& plans);
/// "512M", "8G", "1.5G", "1000000" (K, M, G, T: powers of 1024) as bytes; config_error naming `what`
/// for anything else.
std::uint64_t parse_bytes(const std::string& text, const std::string& what);

/// The estimated seconds of a plan on a network (docs/planner.md): compute, i.e. the ops' local work
/// as timed by the planning run (local_seconds) and the hooks' from the calibration
/// (product_factor · product_seconds + seconds_per_byte · the busiest player's bytes sent and
/// received + seconds_per_round · the most rounds of any player), plus latency_factor · the most rounds of any player · the one-way latency, plus the
/// critical path's bytes over the bandwidth.
double estimated_seconds(const protocol_plan& plan, const network_model& net);

}  // namespace tfe::programs
