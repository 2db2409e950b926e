// tfe_plan: which protocol for my model? Predicts, without running any protocol, the bytes, messages
// and rounds of every player of a private prediction with an ONNX model under each protocol, and the
// time on a network; ends with a recommendation. docs/planner.md.
//
//   tfe_plan --model M.onnx [--examples N] [--batch B] [--protocol aby3,pond,securenn]
//            [--network lan,wan,RTT_MS:MBITS] [--top 10] [--json] [--measure] [--hints [--accuracy N]]
//            [--memory-limit 8G] [--threads N]
// Every player's predicted peak memory (its ring tensors) is in the table; --memory-limit adds the
// fastest protocol whose every player fits.
// --hints plans the model's cheaper equivalents (average for max pooling, a quadratic for ReLU); with
// --accuracy N, a Fashion-MNIST classifier's accuracy on N test images in the clear, before and after.
// --measure also runs the model under each protocol over each simulated network (the real protocol,
// zeros as inputs; the median of --measure-runs runs, 3) and prints the measured time, bytes and peak
// memory beside the prediction.
#include "plan.hpp"

#include "tfe/io/idx.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/runtime/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

namespace {

std::string megabytes(std::uint64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << static_cast<double>(b) / 1e6 << " MB";
  return os.str();
}

nlohmann::json to_json(const std::vector<tfe::programs::protocol_plan>& plans,
                       const std::vector<tfe::network_model>& nets, std::size_t top) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : plans) {
    nlohmann::json jp{{"protocol", p.protocol},
                      {"product_seconds", p.product_seconds},
                      {"local_seconds", p.local_seconds},
                      {"calibration",
                       {{"seconds_per_byte", p.calibration.seconds_per_byte},
                        {"seconds_per_round", p.calibration.seconds_per_round},
                        {"product_factor", p.calibration.product_factor},
                        {"latency_factor", p.calibration.latency_factor},
                        {"byte_factor", p.calibration.byte_factor}}},
                      {"critical_path",
                       {{"comparison_hops", p.critical.comparisons.hops},
                        {"comparison_bytes", p.critical.comparisons.bytes},
                        {"other_hops", p.critical.others.hops},
                        {"other_bytes", p.critical.others.bytes}}}};
    for (std::size_t i = 0; i < p.players.size(); ++i) {
      const auto& s = p.per_player[i];
      jp["players"].push_back({{"player", p.players[i]},
                               {"bytes_sent", s.bytes_sent},
                               {"bytes_received", s.bytes_received},
                               {"messages_sent", s.messages_sent},
                               {"messages_received", s.messages_received},
                               {"rounds", s.rounds},
                               {"peak_bytes", p.peak_bytes[i]},
                               {"peak_during", p.peak_where[i]}});
    }
    for (std::size_t i = 0; i < nets.size(); ++i)
      jp["estimated_seconds"].push_back({{"network", nets[i].name}, {"seconds", p.seconds[i]}});
    for (std::size_t i = 0; i < std::min(top, p.ops.size()); ++i)
      jp["ops"].push_back({{"op", p.ops[i].op},
                           {"calls", p.ops[i].calls},
                           {"bytes_sent", p.ops[i].bytes_sent},
                           {"rounds", p.ops[i].rounds}});
    j.push_back(jp);
  }
  return j;
}

void print(const std::vector<tfe::programs::protocol_plan>& plans, const std::vector<tfe::network_model>& nets,
           std::size_t top, std::optional<std::uint64_t> memory_limit) {
  for (const auto& p : plans) {
    std::uint64_t all = 0;
    for (const auto& s : p.per_player) all += s.bytes_sent;
    std::cout << "\n"
              << p.protocol << ": " << megabytes(all) << " sent in all, at most " << p.max_rounds()
              << " rounds per player\n";
    std::cout << "  " << std::left << std::setw(18) << "player" << std::setw(14) << "bytes sent" << std::setw(16)
              << "bytes received" << std::setw(10) << "messages" << std::setw(8) << "rounds"
              << "peak memory\n";
    for (std::size_t i = 0; i < p.players.size(); ++i) {
      const auto& s = p.per_player[i];
      std::cout << "  " << std::setw(18) << p.players[i] << std::setw(14) << megabytes(s.bytes_sent) << std::setw(16)
                << megabytes(s.bytes_received) << std::setw(10) << s.messages_sent << std::setw(8) << s.rounds
                << megabytes(static_cast<std::uint64_t>(p.peak_bytes[i])) << "\n";
    }
    const std::size_t busiest =
        static_cast<std::size_t>(std::max_element(p.peak_bytes.begin(), p.peak_bytes.end()) - p.peak_bytes.begin());
    std::cout << "  peak memory (ring tensors): " << megabytes(static_cast<std::uint64_t>(p.peak_bytes[busiest]))
              << " at " << p.players[busiest] << ", during " << p.peak_where[busiest] << "\n";
    std::cout << "  calibration: " << std::setprecision(3) << p.calibration.seconds_per_byte * 1e9
              << " ns of compute per byte moved and " << p.calibration.seconds_per_round * 1e6
              << " us per round, products " << p.calibration.product_factor << "x their time in the clear; latency x"
              << p.calibration.latency_factor << " per round, comparisons' bytes x" << p.calibration.byte_factor
              << "\n";
    std::cout << "  estimated time:";
    for (std::size_t i = 0; i < nets.size(); ++i)
      std::cout << (i ? "," : "") << " " << nets[i].name << " " << std::setprecision(3) << p.seconds[i] << " s";
    std::cout << "\n  most expensive ops (bytes sent by all players):\n";
    for (std::size_t i = 0; i < std::min(top, p.ops.size()); ++i) {
      const auto& o = p.ops[i];
      if (o.bytes_sent == 0) break;
      std::cout << "    " << std::setw(22) << o.op << std::setw(14) << megabytes(o.bytes_sent) << std::fixed
                << std::setprecision(1) << std::setw(7) << 100.0 * static_cast<double>(o.bytes_sent) / all << "%  "
                << o.rounds << " rounds, " << o.calls << " nodes\n";
      std::cout.unsetf(std::ios::fixed);
    }
  }
  if (plans.empty()) return;
  std::cout << "\nrecommendation:\n";
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const auto best = tfe::programs::recommend(plans, i);
    if (!best) break;  // (no estimates: --no-timing without networks)
    std::cout << "  " << nets[i].name << ": " << plans[*best].protocol << " (estimated " << std::setprecision(3)
              << plans[*best].seconds[i] << " s; its busiest player sends " << megabytes(plans[*best].max_bytes_sent())
              << " in " << plans[*best].max_rounds() << " rounds)\n";
    if (!memory_limit) continue;
    const auto fitting = tfe::programs::recommend(plans, i, memory_limit);
    if (!fitting) {
      std::cout << "    within " << megabytes(*memory_limit) << " per player: none (the smallest peak is "
                << megabytes(static_cast<std::uint64_t>(plans[tfe::programs::smallest_peak(plans)].max_peak_bytes()))
                << ", " << plans[tfe::programs::smallest_peak(plans)].protocol << "'s: try smaller batches, --batch)\n";
    } else {
      std::cout << "    within " << megabytes(*memory_limit) << " per player: " << plans[*fitting].protocol
                << " (estimated " << plans[*fitting].seconds[i] << " s, peak "
                << megabytes(static_cast<std::uint64_t>(plans[*fitting].max_peak_bytes())) << ")";
      for (const auto& p : plans)
        if (static_cast<std::uint64_t>(p.max_peak_bytes()) > *memory_limit)
          std::cout << "; " << p.protocol << " needs " << megabytes(static_cast<std::uint64_t>(p.max_peak_bytes()));
      std::cout << "\n";
    }
  }
}

void print_hints(const std::vector<tfe::programs::plan_hint>& hints, const std::vector<tfe::network_model>& nets) {
  if (hints.empty()) {
    std::cout << "\nhints: no cheaper equivalent applies (no MaxPool, no Relu)\n";
    return;
  }
  std::cout << "\nhints (cheaper equivalents, planned the same way):\n";
  std::string last;
  for (const auto& h : hints) {
    if (h.change != last) {
      std::cout << "  " << h.change;
      if (h.accuracy_before)
        std::cout << ": accuracy in the clear " << std::setprecision(3) << *h.accuracy_before << " -> "
                  << *h.accuracy_after;
      std::cout << "\n";
      last = h.change;
    }
    std::uint64_t before = 0, after = 0;
    for (const auto& s : h.before.per_player) before += s.bytes_sent;
    for (const auto& s : h.after.per_player) after += s.bytes_sent;
    std::cout << "    " << std::setw(12) << h.protocol << megabytes(before) << " -> " << megabytes(after) << ", "
              << h.before.max_rounds() << " -> " << h.after.max_rounds() << " rounds";
    for (std::size_t i = 0; i < nets.size(); ++i)
      std::cout << ", " << nets[i].name << " " << std::setprecision(3) << h.before.seconds[i] << " -> "
                << h.after.seconds[i] << " s";
    std::cout << "\n";
  }
}

/// The first n Fashion-MNIST test images as NCHW (a 28×28 classifier's input) with their labels.
tfe::programs::labelled_data fashion_mnist(std::size_t n) {
  auto d = tfe::io::load_fashion_mnist("test", n);
  tfe::programs::labelled_data out;
  out.inputs = xt::transpose(d.images, {0, 3, 1, 2});
  out.labels.assign(d.labels.begin(), d.labels.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    std::string model;
    tfe::programs::plan_request rq;
    std::vector<std::string> networks{"lan", "wan"};
    std::size_t top = 10;
    bool json = false, no_timing = false, measure = false, hints = false;
    std::size_t accuracy_images = 0;
    CLI::App app{"tfe_plan: bytes, rounds and time of a private prediction under each protocol, before running it"};
    app.add_option("--model", model, "the model: an .onnx file or a tfe model file (.npz)")->required();
    app.add_option("--examples", rq.examples, "examples to predict (the inputs' axis 0; default 1)");
    app.add_option("--batch", rq.batch, "examples per batch, as tfe_predict's --batch (default: all at once)");
    app.add_option("--protocol", rq.protocols,
                   "aby3, pond, securenn, aby3_128, pond128, securenn128 (default: the first three)")
        ->delimiter(',');
    app.add_option("--network", networks, "lan, wan or RTT_MS:MBITS (default lan,wan)")->delimiter(',');
    app.add_option("--top", top, "ops to list per protocol (default 10)");
    app.add_flag("--json", json, "print JSON instead of tables");
    app.add_flag("--no-timing", no_timing, "do not time the products in the clear (bytes and rounds only)");
    app.add_flag("--measure", measure, "also run each protocol over each simulated network and compare");
    std::size_t measure_runs = 3;
    app.add_option("--measure-runs", measure_runs,
                   "with --measure: runs per protocol and network, the median compared "
                   "(default 3)")
        ->check(CLI::Range(std::size_t(1), std::size_t(100)));
    app.add_flag("--hints", hints, "plan cheaper equivalents of the model's max pooling and ReLU");
    app.add_option("--accuracy", accuracy_images,
                   "with --hints: the accuracy in the clear on this many Fashion-MNIST test images (a 28x28 "
                   "classifier)");
    app.add_option("--threads", rq.threads,
                   "threads per player for the large kernels (session_options::threads; default: the cores "
                   "divided by the players in one process)");
    std::string memory_limit_text;
    app.add_option("--memory-limit", memory_limit_text,
                   "also recommend the fastest protocol whose every player's peak memory fits, e.g. 512M, 8G");
    tfe::launch_flags launch;  // only its --truncation: the planner runs every player here
    app.add_option("--truncation", launch.truncation,
                   "after products: probabilistic (the protocols' default) or exact, as tfe_predict's --truncation");
    tfe::parse_command_line(app, launch, argc, argv);
    rq.truncation = launch.options().session.truncation;
    std::optional<std::uint64_t> memory_limit;
    if (!memory_limit_text.empty()) memory_limit = tfe::programs::parse_bytes(memory_limit_text, "--memory-limit");
    rq.time_products = !no_timing;
    rq.networks.clear();
    for (const auto& n : networks) rq.networks.push_back(tfe::network_model::parse(n));
    rq.load_model = [&] { return tfe::graph::read_model_file(model); };
    const auto plans = tfe::programs::plan_graph(rq);
    if (json) {
      std::cout << to_json(plans, rq.networks, top).dump(2) << "\n";
    } else {
      std::cout << "tfe_plan: " << model << ", " << rq.examples << " example(s)"
                << (rq.batch ? ", batches of " + std::to_string(rq.batch) : std::string()) << "\n";
      print(plans, rq.networks, top, memory_limit);
    }
    if (hints) {
      std::optional<tfe::programs::labelled_data> data;
      if (accuracy_images > 0) data = fashion_mnist(accuracy_images);
      print_hints(tfe::programs::plan_hints(rq, plans, data ? &*data : nullptr), rq.networks);
    }
    if (measure) {
      std::cout << "\nmeasured over the simulated networks (the real protocols, zeros as inputs; the median of "
                << measure_runs << " runs):\n";
      for (const auto& p : plans)
        for (std::size_t i = 0; i < networks.size(); ++i) {
          // The median of the runs: a run of milliseconds is thread CPU time on a shared machine.
          std::vector<double> times;
          bool exact = true;
          tfe::programs::graph_result r;
          for (std::size_t run = 0; run < measure_runs; ++run) {
            r = tfe::programs::measure_graph(rq, p.protocol, networks[i]);
            double seconds = 0;
            for (std::size_t k = 0; k < r.stats.size(); ++k) {
              if (r.simulated_seconds[k]) seconds = std::max(seconds, *r.simulated_seconds[k]);
              const auto& t = r.stats[k]->total;
              const auto& q = p.per_player[k];
              exact = exact && t.bytes_sent == q.bytes_sent && t.bytes_received == q.bytes_received &&
                      t.messages_sent == q.messages_sent && t.rounds == q.rounds;
            }
            times.push_back(seconds);
          }
          std::sort(times.begin(), times.end());
          const double seconds = times[times.size() / 2];
          std::cout << "  " << std::setw(12) << p.protocol << std::setw(6) << rq.networks[i].name << " measured "
                    << std::setprecision(3) << seconds << " s, estimated " << p.seconds[i] << " s (" << std::showpos
                    << std::setprecision(2) << 100.0 * (p.seconds[i] - seconds) / seconds << "%" << std::noshowpos
                    << "); bytes, messages and rounds " << (exact ? "as planned" : "DIFFER") << "\n";
          if (i == 0) {  // the memory does not depend on the network
            std::cout << "  " << std::setw(18) << ""
                      << "peak memory measured (predicted):";
            for (std::size_t k = 0; k < r.peak_bytes.size(); ++k)
              std::cout << (k ? ", " : " ") << p.players[k] << " " << megabytes(r.peak_bytes[k].value_or(0)) << " ("
                        << megabytes(p.peak_bytes[k]) << ")";
            std::cout << "\n";
          }
        }
    }
    return 0;
  });
}
