// benchmarks/common.hpp: the benchmark harness: run a workload with every player in one process and
// report, as one JSON line per run, wall time, CPU seconds per player, bytes sent per player,
// messages and rounds, next to the protocol's theoretical cost of the op.
//
// Timing covers the computation only: every player first shares its inputs (not timed), waits for every
// other player (a barrier), then starts its clock; wall time is the largest per-player elapsed time, CPU time is per player thread
// (CLOCK_THREAD_CPUTIME_ID). Statistics are the per-player differences over the timed part. Short
// workloads run several times (--repeat; default 7 below 50 ms, 3 below 0.5 s) and the median run is
// reported, with the fastest as wall_min_s.
//
// Networks. Each workload runs once for real (wall time, CPU, bytes, rounds, trace), then once per
// simulated network of --networks (default lan,wan; "none" for no simulation) over the channel
// decorator of tfe/runtime/simulated_network.hpp in its virtual-clock mode: a player's clock advances by
// its own CPU time and by waiting for messages that arrive after latency + size/bandwidth, so
// lan_s / wan_s are the largest per-player simulated durations of the timed part (what the run
// would take with one machine per player on that network).
//
// Processes. With --hosts FILE --player NAME (tfe::launch_flags) only that player runs here, over
// TCP/TLS; its JSON lines list that player only. scripts/launch_local.sh -- BINARY ARGS starts every
// player as a process on 127.0.0.1.
#pragma once

#include "check_build.hpp"

#include <tfe/keras.hpp>
#include <tfe/protocol/costs.hpp>
#include <tfe/protocol/registry.hpp>
#include <tfe/runtime/cli.hpp>
#include <tfe/tfe.hpp>

#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Test data for benchmarks (not protocol randomness): splitmix64, values in [-range, range).
class data_rng : tfe::keras::init_rng {
 public:
  using init_rng::init_rng;
  double uniform(double range) { return (init_rng::uniform() * 2.0 - 1.0) * range; }
  xt::xarray<double> tensor(const tfe::shape_t& shape, double range) {
    xt::xarray<double> t = xt::zeros<double>(shape);
    for (auto& v : t) v = uniform(range);
    return t;
  }
};

struct player_result {
  std::string name;
  double seconds = 0, cpu_seconds = 0;
  tfe::op_stats stats;
  std::optional<double> simulated_seconds;  // on a simulated network run
};

/// The wall time of a run: the largest per-player elapsed time.
inline double wall_of(const std::vector<player_result>& players) {
  double m = 0;
  for (const auto& p : players) m = std::max(m, p.seconds);
  return m;
}

struct run_result {
  std::vector<player_result> players;
  /// Largest simulated duration per simulated network (name -> seconds): "lan", "wan", ...
  std::vector<std::pair<std::string, double>> simulated;
  std::size_t repeats = 1;  // real runs; `players` is the median one
  double wall_min = 0;      // the fastest real run
  double wall_seconds() const { return wall_of(players); }
};

/// One run of a workload: `prepare(session)` shares inputs and returns a callable that does the
/// timed work. The launch flags say where the players run and whether the network is simulated.
template <class P, class Prepare>
std::vector<player_result> run_once(const tfe::launch_flags& launch, const std::vector<std::string>& players,
                                    Prepare& prepare, tfe::trace_recorder* trace,
                                    const tfe::session_options& session = {}) {
  tfe::launch_options base;
  base.trace = trace;
  base.session = session;
  auto results = tfe::run_program<P>(
      launch, players,
      [&](auto& s) {
        auto work = prepare(s);
        // A barrier, so that every clock starts when the slowest player has prepared (sharing a large
        // model's weights takes longer than sharing the client's input); outside the timed scope.
        for (std::size_t p = 0; p < s.num_players(); ++p)
          if (p != s.id()) s.net().send_bytes(p, std::vector<std::uint8_t>{1});
        for (std::size_t p = 0; p < s.num_players(); ++p)
          if (p != s.id()) (void)s.net().recv_bytes(p);
        player_result r;
        {
          // The timed part runs in its own op scope, so its first send opens a round even when the
          // player's input sharing ended with a send.
          auto scope = s.op_scope("benchmark");
          const auto sim0 = tfe::simulated_seconds(s);
          const double cpu0 = thread_cpu_seconds();
          const auto t0 = std::chrono::steady_clock::now();
          work();
          r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          r.cpu_seconds = thread_cpu_seconds() - cpu0;
          if (sim0) r.simulated_seconds = *tfe::simulated_seconds(s) - *sim0;
        }
        r.stats = s.stats().tag("benchmark");
        r.name = s.name();
        return r;
      },
      base);
  std::vector<player_result> out;
  for (auto& r : results)
    if (r) out.push_back(std::move(*r));
  return out;
}

/// Theoretical cost of a run, per player name (bytes sent and rounds); empty when not documented.
struct theory {
  std::vector<std::pair<std::string, std::pair<std::uint64_t, std::uint64_t>>> per_player;  // name -> (bytes, rounds)

  /// From a protocol's cost model (protocol/*/costs.hpp), its players in P::default_players() order.
  static theory of(const tfe::costs::op_cost& c, const std::vector<std::string>& players) {
    theory t;
    for (std::size_t i = 0; i < c.player.size() && i < players.size(); ++i)
      t.per_player.push_back({players[i], {c.player[i].bytes_sent, c.player[i].rounds}});
    return t;
  }
};

inline std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

/// One JSON line: {"bench":..., "protocol":..., "workload":..., "wall_s":..., "players":[...]}.
inline std::string to_json(const std::string& bench, const std::string& protocol, const std::string& workload,
                           const std::string& params, const run_result& r, const theory& th = {}) {
  std::ostringstream os;
  os.precision(6);
  os << "{\"bench\":\"" << json_escape(bench) << "\",\"protocol\":\"" << json_escape(protocol) << "\",\"workload\":\""
     << json_escape(workload) << "\",\"params\":{" << params << "},\"wall_s\":" << r.wall_seconds()
     << ",\"wall_min_s\":" << r.wall_min << ",\"repeats\":" << r.repeats;
#ifdef TFE_BENCHMARK_CHECK_BUILD
  os << ",\"check_build\":\"" TFE_BENCHMARK_CHECK_BUILD "\"";  // not -O3 -march=native (CMakeLists.txt)
#endif
  for (const auto& [net, secs] : r.simulated) {
    std::string key;
    for (char c : net) key += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    os << ",\"" << key << "_s\":" << secs;
  }
  os << ",\"players\":[";
  for (std::size_t i = 0; i < r.players.size(); ++i) {
    const auto& p = r.players[i];
    os << (i ? "," : "") << "{\"name\":\"" << json_escape(p.name) << "\",\"seconds\":" << p.seconds
       << ",\"cpu_s\":" << p.cpu_seconds << ",\"bytes_sent\":" << p.stats.bytes_sent
       << ",\"bytes_received\":" << p.stats.bytes_received << ",\"messages_sent\":" << p.stats.messages_sent
       << ",\"rounds\":" << p.stats.rounds;
    for (const auto& [name, cost] : th.per_player)
      if (name == p.name) os << ",\"theory_bytes\":" << cost.first << ",\"theory_rounds\":" << cost.second;
    os << "}";
  }
  os << "]}";
  return os.str();
}

/// Command-line options shared by the benchmark binaries (CLI11).
struct options {
  std::vector<std::string> protocols{"plain", "pond"};
  std::string filter;  // substring of workload names to run
  std::string trace_file;
  bool quick = false;  // smaller sizes (smoke runs)
  /// Real runs per workload (the median is reported); 0: 7 below 50 ms, 3 below 0.5 s, else 1.
  std::size_t repeat = 0;
  /// Simulated networks to time each workload on, besides the real run: lan, wan, RTT_MS:MBITS.
  std::vector<std::string> networks{"lan", "wan"};
  tfe::launch_flags launch;
  /// Session options of every run (fixed point); not a command-line option here.
  tfe::session_options session;

  /// The benchmarks measure the library as an application links it: glibc's malloc keeps its
  /// defaults (no mallopt, no GLIBC_TUNABLES; docs/benchmarks.md, "Allocator").
  static options parse(int argc, char** argv, const std::string& description) {
    options o;
    CLI::App app{description};
    app.add_option("--protocol", o.protocols,
                   "protocols, comma-separated: plain, pond, securenn, aby3, plain128, "
                   "pond128, securenn128, aby3_128")
        ->delimiter(',');
    app.add_option("--filter", o.filter, "run only the workloads whose name contains this");
    app.add_option("--trace", o.trace_file,
                   "write a Chrome trace (Perfetto, chrome://tracing) of the real runs; with several protocols, one "
                   "file each: FILE_<protocol>.json");
    app.add_flag("--quick", o.quick, "small sizes (smoke run)");
    app.add_option("--repeat", o.repeat,
                   "real runs per workload, median reported (default: 7 below 50 ms, 3 below "
                   "0.5 s, else 1; with --hosts: 1)");
    app.add_option("--networks", o.networks,
                   "simulated networks to time every workload on as well (default lan,wan; none: only the real run)")
        ->delimiter(',');
    o.launch.add_to(app);
    tfe::parse_command_line(app, o.launch, argc, argv);
    warn_if_check_build();
    TFE_ENFORCE(o.launch.simulate.empty(), tfe::config_error,
                "benchmarks time simulated networks with --networks, not --simulate");
    if (o.networks.size() == 1 && o.networks[0] == "none") o.networks.clear();
    for (const auto& n : o.networks) (void)tfe::network_model::parse(n);  // fail early on a bad name
    return o;
  }
  bool wants(const std::string& workload) const { return filter.empty() || workload.find(filter) != std::string::npos; }
};

/// Runs a workload for real and on every simulated network of the options (see the top of this file).
template <class P, class Prepare>
run_result run(const options& opt, const std::vector<std::string>& players, Prepare&& prepare,
               tfe::trace_recorder* trace = nullptr) {
  run_result r;
  // The real run: repeated (short workloads are noisy on a shared machine) and the median reported.
  std::vector<std::vector<player_result>> runs;
  runs.push_back(run_once<P>(opt.launch, players, prepare, trace, opt.session));
  std::size_t reps = opt.repeat;
  if (reps == 0) {
    // Every player must repeat the same number of times: with one process per player, only --repeat.
    const double first = wall_of(runs[0]);
    reps = opt.launch.distributed() ? 1 : first < 0.05 ? 7 : first < 0.5 ? 3 : 1;
  }
  for (std::size_t i = 1; i < reps; ++i)
    runs.push_back(run_once<P>(opt.launch, players, prepare, nullptr, opt.session));
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return wall_of(a) < wall_of(b); });
  r.players = runs[runs.size() / 2];
  r.repeats = runs.size();
  r.wall_min = wall_of(runs.front());
  for (const auto& net : opt.networks) {
    tfe::launch_flags sim = opt.launch;
    sim.simulate = net;
    double m = 0;
    for (const auto& p : run_once<P>(sim, players, prepare, nullptr, opt.session))
      m = std::max(m, p.simulated_seconds.value_or(0));
    opt.launch.computations = sim.computations;  // the next computation gets the next run id
    r.simulated.emplace_back(net, m);
  }
  return r;
}

/// Where the trace of `protocol`'s runs goes: --trace FILE itself for one protocol, FILE with
/// "_<protocol>" before its extension for several (one Chrome trace per protocol, one track per player).
inline std::string trace_path(const options& opt, const std::string& protocol) {
  if (opt.protocols.size() <= 1) return opt.trace_file;
  const auto dot = opt.trace_file.rfind('.');
  const auto slash = opt.trace_file.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return opt.trace_file + "_" + protocol;
  return opt.trace_file.substr(0, dot) + "_" + protocol + opt.trace_file.substr(dot);
}

/// Calls f.template operator()<P>(name) for each protocol name given (tfe/protocol/registry.hpp).
template <class F>
void for_protocols(const std::vector<std::string>& names, F&& f) {
  for (const auto& n : names) tfe::with_protocol(n, [&]<class P>() { f.template operator()<P>(n); });
}

/// Runs f.template operator()<P>(name, trace) for each protocol of the options, with a trace
/// recorder when --trace was given (written to trace_path after the protocol's workloads).
template <class F>
void for_each_protocol(const options& opt, F&& f) {
  for_protocols(opt.protocols, [&]<class P>(const std::string& name) {
    tfe::trace_recorder recorder;
    tfe::trace_recorder* trace = opt.trace_file.empty() ? nullptr : &recorder;
    f.template operator()<P>(name, trace);
    if (trace) recorder.write_chrome_json(trace_path(opt, name));
  });
}

}  // namespace bench
