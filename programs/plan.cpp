// programs/plan.cpp: plan_graph (plan.hpp): the graph under tfe::planning<R> per protocol.
#include "plan.hpp"

#include "graph_runner_planning.hpp"

#include "tfe/graph/builder.hpp"
#include "tfe/graph/model.hpp"

#include <algorithm>
#include <set>

namespace tfe::programs {

std::vector<xt::xarray<double>> zero_inputs(const graph::graph& g, std::size_t examples) {
  std::vector<xt::xarray<double>> out;
  for (const auto& in : g.inputs) {
    shape_t shape;
    for (std::size_t a = 0; a < in.dims.size(); ++a) {
      const std::int64_t d = in.dims[a];
      TFE_ENFORCE(d >= 0 || a == 0, config_error, g.source, ": input '", in.name, "' has dims ",
                  graph::dims_str(in.dims), ": only axis 0 (the batch) may be fixed at run time for the planner");
      shape.push_back(d >= 0 ? static_cast<std::size_t>(d) : examples);
    }
    out.push_back(xt::zeros<double>(shape));
  }
  return out;
}

graph_result measure_graph(const plan_request& request, const std::string& protocol, const std::string& network) {
  const graph::saved_graph model = request.load_model();
  const auto inputs = zero_inputs(model.g, request.examples);
  graph_request rq;
  rq.protocol = protocol;
  rq.batch = request.batch;
  rq.load_model = [&] { return model; };
  rq.load_inputs = [&] { return inputs; };
  rq.launch.simulate = network;
  rq.session.truncation = request.truncation;
  rq.session.threads = request.threads;
  return run_graph(rq);
}

namespace {

std::vector<op_cost_share> op_shares(const graph::graph& g, const std::vector<std::optional<statistics>>& stats) {
  std::set<std::string> types;
  for (const auto& n : g.nodes) types.insert(n.op_type);
  std::vector<op_cost_share> out;
  for (const auto& t : types) {
    op_cost_share c{t};
    for (const auto& st : stats) {
      if (!st) continue;
      const auto& s = st->tag(t);
      c.bytes_sent += s.bytes_sent;
      c.rounds = std::max(c.rounds, s.rounds);
      c.calls = std::max(c.calls, s.calls);
    }
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.bytes_sent > b.bytes_sent; });
  return out;
}

std::uint64_t max_bytes_moved(const std::vector<op_stats>& per_player) {
  std::uint64_t m = 0;
  for (const auto& s : per_player) m = std::max(m, s.bytes_sent + s.bytes_received);
  return m;
}

/// A graph run under a real protocol over a simulated network (by default without latency or
/// bandwidth limits: then its time is the critical path's compute): the slowest player's seconds, and
/// the busiest player's bytes sent and received.
std::pair<double, std::uint64_t> timed_run_once(const std::string& protocol, const graph::saved_graph& g,
                                                std::size_t examples, const std::string& network,
                                                std::optional<truncation_mode> truncation, std::size_t threads) {
  graph_request rq;
  rq.protocol = protocol;
  rq.session.truncation = truncation;
  rq.session.threads = threads;
  rq.load_model = [&] { return g; };
  const auto inputs = zero_inputs(g.g, examples);
  rq.load_inputs = [&] { return inputs; };
  rq.launch.simulate = network;
  const auto r = run_graph(rq);
  double seconds = 0;  // the slowest player's
  std::vector<op_stats> totals;
  for (std::size_t p = 0; p < r.stats.size(); ++p) {
    if (r.simulated_seconds[p]) seconds = std::max(seconds, *r.simulated_seconds[p]);
    if (r.stats[p]) totals.push_back(r.stats[p]->total);
  }
  return {seconds, max_bytes_moved(totals)};
}

/// The median of three timed runs: the thread CPU time the simulated clock counts still grows when
/// other work shares the cores, and the median is what a run typically takes (tfe_plan --measure
/// compares the estimate with a median of runs too).
std::pair<double, std::uint64_t> timed_run(const std::string& protocol, const graph::saved_graph& g,
                                           std::size_t examples, std::optional<truncation_mode> truncation,
                                           std::size_t threads, const std::string& network = "0:0") {
  auto a = timed_run_once(protocol, g, examples, network, truncation, threads);
  std::vector<double> t{a.first};
  for (int i = 0; i < 2; ++i) t.push_back(timed_run_once(protocol, g, examples, network, truncation, threads).first);
  std::sort(t.begin(), t.end());
  a.first = t[1];
  return a;
}

/// Deterministic weights in [−1, 1) for the calibration graph (their values do not matter).
xt::xarray<double> calibration_weights(std::size_t rows, std::size_t cols) {
  xt::xarray<double> w = xt::zeros<double>(shape_t{rows, cols});
  for (std::size_t i = 0; i < w.size(); ++i) w.flat(i) = static_cast<double>(i % 17) / 8.5 - 1.0;
  return w;
}

}  // namespace

compute_calibration calibrate(const std::string& protocol, std::optional<truncation_mode> truncation,
                              std::size_t threads) {
  const auto costs = plan::make_cost_model(protocol);  // a protocol the planner covers
  compute_calibration c;
  // Slopes between a small and a 4x larger run, so that the fixed costs (set-up, threads) drop out.
  // A chain of ReLUs, as in a model: a dealer that only sends (Pond's crypto producer) deals the later
  // ones' bits ahead, off the critical path.
  auto relu_chain = [](int length, std::int64_t width = 4096) {
    graph::builder relu("calibration: Relu");
    std::string r = relu.op("Relu", {relu.input("x", {-1, width})});
    for (int i = 1; i < length; ++i) r = relu.op("Relu", {r});
    relu.output(r);
    return relu.build();
  };
  const auto relu_graph = relu_chain(4);
  plan_request pr;
  pr.protocols = {protocol};
  pr.networks.clear();
  pr.time_products = false;
  pr.truncation = truncation;
  pr.threads = threads;
  // The planning run's own measure of the ops' local work (protocol_plan::local_seconds), which the
  // estimate adds as it is: the least of two runs, and the graph's most rounds.
  auto planned = [&](const graph::saved_graph& g, std::size_t examples) {
    pr.load_model = [&] { return g; };
    pr.examples = examples;
    auto p = plan_graph(pr).at(0);
    p.local_seconds = std::min(p.local_seconds, plan_graph(pr).at(0).local_seconds);
    return p;
  };
  const std::size_t small = 4, large = 16;  // 4 ReLUs of 2^14 and 2^16 values
  const auto [t0, b0] = timed_run(protocol, relu_graph, small, truncation, threads);
  const auto [t1, b1] = timed_run(protocol, relu_graph, large, truncation, threads);
  const double local_slope = planned(relu_graph, large).local_seconds - planned(relu_graph, small).local_seconds;
  c.seconds_per_byte = b1 > b0 ? std::max(0.0, t1 - t0 - local_slope) / static_cast<double>(b1 - b0) : 0;
  // The compute per round that does not grow with the bytes (the channel's work per message, each
  // hook's set-up; what dominates small models on a LAN): 32 ReLUs of 8 values against 4.
  const auto tiny4 = relu_chain(4, 8), tiny32 = relu_chain(32, 8);
  const auto p4 = planned(tiny4, 1), p32 = planned(tiny32, 1);
  const auto extra_rounds = static_cast<double>(p32.max_rounds()) - static_cast<double>(p4.max_rounds());
  if (extra_rounds > 0)
    c.seconds_per_round = std::max(0.0, timed_run(protocol, tiny32, 1, truncation, threads).first -
                                            timed_run(protocol, tiny4, 1, truncation, threads).first -
                                            (p32.local_seconds - p4.local_seconds)) /
                          extra_rounds;
  pr.load_model = [&] { return relu_graph; };
  pr.examples = large;
  const auto relu_plan = plan_graph(pr).at(0);
  const network_model latency = network_model::parse("40:0"), bandwidth = network_model::parse("0:100");
  // The other hooks' bytes (input, product, output) at factor 1; what remains is the comparisons'.
  const auto& cmp = relu_plan.critical.comparisons;
  const auto& rest = relu_plan.critical.others;
  const double round_seconds = static_cast<double>(relu_plan.max_rounds()) * latency.one_way_latency;
  const double byte_seconds = bandwidth.transfer_time(cmp.bytes);
  const double rest_bytes = bandwidth.transfer_time(rest.bytes);
  if (round_seconds > 0)
    c.latency_factor =
        std::max(0.0, timed_run(protocol, relu_graph, large, truncation, threads, "40:0").first - t1) / round_seconds;
  if (byte_seconds > 0)
    c.byte_factor =
        std::max(0.0, timed_run(protocol, relu_graph, large, truncation, threads, "0:100").first - t1 - rest_bytes) /
        byte_seconds;

  graph::builder mm("calibration: MatMul");
  std::string h = mm.op("MatMul", {mm.input("x", {-1, 512}), mm.weight("w0", calibration_weights(512, 256))});
  for (int i = 1; i < 4; ++i)
    h = mm.op("MatMul", {h, mm.weight("w" + std::to_string(i), calibration_weights(256, 256))});
  mm.output(h);
  const auto saved = mm.build();
  const auto [m0, mb0] = timed_run(protocol, saved, 64, truncation, threads);
  const auto [m1, mb1] = timed_run(protocol, saved, 256, truncation, threads);
  pr.load_model = [&] { return saved; };
  pr.time_products = true;
  auto clear = [&](std::size_t examples) {
    pr.examples = examples;
    double best = 1e300;  // the fastest of three: the clear products' own time, least disturbed
    for (int i = 0; i < 3; ++i) best = std::min(best, plan_graph(pr).at(0).product_seconds);
    return best;
  };
  const double clear_slope = clear(256) - clear(64);
  pr.time_products = false;
  const double local_products = planned(saved, 256).local_seconds - planned(saved, 64).local_seconds;
  const double products = (m1 - m0) - c.seconds_per_byte * static_cast<double>(mb1 - mb0) - local_products;
  c.product_factor = clear_slope > 0 ? std::max(0.0, products) / clear_slope : 0;
  return c;
}

std::uint64_t protocol_plan::max_bytes_sent() const {
  std::uint64_t m = 0;
  for (const auto& s : per_player) m = std::max(m, s.bytes_sent);
  return m;
}
std::int64_t protocol_plan::max_peak_bytes() const {
  std::int64_t m = 0;
  for (auto b : peak_bytes) m = std::max(m, b);
  return m;
}
std::uint64_t protocol_plan::max_rounds() const {
  std::uint64_t m = 0;
  for (const auto& s : per_player) m = std::max(m, s.rounds);
  return m;
}

std::vector<protocol_plan> plan_graph(const plan_request& request) {
  TFE_ENFORCE(request.load_model != nullptr, config_error, "plan_graph: no model");
  const graph::saved_graph model = request.load_model();
  graph::check_supported(model.g);  // the error tfe_predict's model owner would raise, before any cost
  const auto inputs = zero_inputs(model.g, request.examples);
  std::vector<protocol_plan> out;
  for (const auto& name : request.protocols) {
    const auto costs = plan::make_cost_model(name);
    graph_request rq;
    rq.load_model = [&] { return model; };
    rq.load_inputs = [&] { return inputs; };
    rq.batch = request.batch;
    rq.session.truncation = request.truncation;
    rq.session.threads = request.threads;
    protocol_plan p;
    p.protocol = name;
    double* timer = request.time_products ? &p.product_seconds : nullptr;
    p.critical.holds_shares.clear();
    for (std::size_t who = 0; who < costs->players().size() + 2; ++who)
      p.critical.holds_shares.push_back(costs->holds_shares(who));
    const bool wide = name.find("128") != std::string::npos;
    auto r = wide ? run_graph_planned<ring128>(rq, *costs, timer, &p.critical, &p.local_seconds)
                  : run_graph_planned<ring64>(rq, *costs, timer, &p.critical, &p.local_seconds);
    p.players = costs->players();
    p.players.push_back(model_owner);
    p.players.push_back(client);
    for (const auto& st : r.stats) p.per_player.push_back(st ? st->total : op_stats{});
    // A server's peak: the hooks' (plan::timeline) or, if larger, the planning player's own between
    // hooks (an op's local temporaries); the others': their largest hook's messages.
    p.peak_bytes = p.critical.peak_bytes;
    p.peak_where = p.critical.peak_where;
    p.peak_bytes.resize(p.players.size());
    p.peak_where.resize(p.players.size());
    const std::int64_t between_hooks = r.peak_bytes.at(0).value_or(0);
    for (std::size_t who = 0; who < p.players.size(); ++who)
      if (costs->holds_shares(who) && between_hooks > p.peak_bytes[who]) {
        p.peak_bytes[who] = between_hooks;
        p.peak_where[who] = "between hooks";
      }
    p.ops = op_shares(model.g, r.stats);
    if (!request.networks.empty()) {
      const auto known = request.calibrations.find(name);
      p.calibration =
          known != request.calibrations.end() ? known->second : calibrate(name, request.truncation, request.threads);
      for (const auto& net : request.networks) p.seconds.push_back(estimated_seconds(p, net));
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<std::size_t> recommend(const std::vector<protocol_plan>& plans, std::size_t net,
                                     std::optional<std::uint64_t> memory_limit) {
  std::optional<std::size_t> best;
  for (std::size_t k = 0; k < plans.size(); ++k) {
    if (net >= plans[k].seconds.size()) return std::nullopt;
    if (memory_limit && static_cast<std::uint64_t>(plans[k].max_peak_bytes()) > *memory_limit) continue;
    if (!best || plans[k].seconds[net] < plans[*best].seconds[net]) best = k;
  }
  return best;
}

std::size_t smallest_peak(const std::vector<protocol_plan>& plans) {
  TFE_ENFORCE(!plans.empty(), config_error, "smallest_peak: no plans");
  std::size_t best = 0;
  for (std::size_t k = 1; k < plans.size(); ++k)
    if (plans[k].max_peak_bytes() < plans[best].max_peak_bytes()) best = k;
  return best;
}

std::uint64_t parse_bytes(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  double unit = 1;
  if (used > 0 && used + 1 == text.size()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        unit = 1024.0;
        break;
      case 'M':
      case 'm':
        unit = 1024.0 * 1024;
        break;
      case 'G':
      case 'g':
        unit = 1024.0 * 1024 * 1024;
        break;
      case 'T':
      case 't':
        unit = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        used = 0;
    }
    if (used > 0) ++used;
  }
  TFE_ENFORCE(used == text.size() && used > 0 && v > 0 && v * unit < 1.8e19, config_error, what, ": '", text,
              "' is not a positive size in bytes (e.g. 512M, 8G, 1.5G, 1000000)");
  return static_cast<std::uint64_t>(v * unit);
}

double estimated_seconds(const protocol_plan& plan, const network_model& net) {
  const double compute = plan.local_seconds + plan.calibration.product_factor * plan.product_seconds +
                         plan.calibration.seconds_per_byte * static_cast<double>(max_bytes_moved(plan.per_player)) +
                         plan.calibration.seconds_per_round * static_cast<double>(plan.max_rounds());
  const double latency = plan.calibration.latency_factor * static_cast<double>(plan.max_rounds()) * net.one_way_latency;
  const double bytes = plan.calibration.byte_factor * net.transfer_time(plan.critical.comparisons.bytes) +
                       net.transfer_time(plan.critical.others.bytes);
  return compute + latency + bytes;
}

}  // namespace tfe::programs
