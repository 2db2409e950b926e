// benchmarks/common.hpp: the benchmark harness: run a workload with every player in one process and
// report, as one JSON line per run, wall time, CPU seconds per player, bytes sent per player,
// messages and rounds, next to the protocol's theoretical cost of the op.
//
// Timing covers the computation only: every player first shares its inputs (not timed), then starts
// its clock; wall time is the largest per-player elapsed time, CPU time is per player thread
// (CLOCK_THREAD_CPUTIME_ID). Statistics are the per-player differences over the timed part.
#pragma once

#include <tfe/tfe.hpp>

#include <time.h>

#include <chrono>
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
class data_rng {
 public:
  explicit data_rng(std::uint64_t seed) : m_state(seed) {}
  double uniform(double range) {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0) * range;
  }
  xt::xarray<double> tensor(const tfe::shape_t& shape, double range) {
    xt::xarray<double> t = xt::zeros<double>(shape);
    for (auto& v : t) v = uniform(range);
    return t;
  }

 private:
  std::uint64_t m_state;
};

struct player_result {
  std::string name;
  double seconds = 0, cpu_seconds = 0;
  tfe::op_stats stats;
};

struct run_result {
  std::vector<player_result> players;
  double wall_seconds() const {
    double m = 0;
    for (const auto& p : players) m = std::max(m, p.seconds);
    return m;
  }
};

/// A workload: `prepare(session)` shares inputs and returns a callable that does the timed work.
template <class P, class Prepare>
run_result run(const std::vector<std::string>& players, Prepare&& prepare, tfe::trace_recorder* trace = nullptr) {
  tfe::run_options opt;
  opt.trace = trace;
  auto results = tfe::run_local<P>(
      players,
      [&](auto& s) {
        auto work = prepare(s);
        player_result r;
        {
          // The timed part runs in its own op scope, so its first send opens a round even when the
          // player's input sharing ended with a send.
          auto scope = s.op_scope("benchmark");
          const double cpu0 = thread_cpu_seconds();
          const auto t0 = std::chrono::steady_clock::now();
          work();
          r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          r.cpu_seconds = thread_cpu_seconds() - cpu0;
        }
        r.stats = s.stats().tag("benchmark");
        r.name = s.name();
        return r;
      },
      opt);
  return {results};
}

/// Theoretical cost of a run, per player name (bytes sent and rounds); empty when not documented.
struct theory {
  std::vector<std::pair<std::string, std::pair<double, double>>> per_player;  // name -> (bytes, rounds)
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
     << json_escape(workload) << "\",\"params\":{" << params << "},\"wall_s\":" << r.wall_seconds() << ",\"players\":[";
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

/// Command-line options shared by the benchmark binaries.
struct options {
  std::vector<std::string> protocols{"plain", "pond"};
  std::string filter;  // substring of workload names to run
  std::optional<std::string> trace_file;
  bool quick = false;  // smaller sizes (smoke runs)

  static options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--protocol") {
        o.protocols.clear();
        std::stringstream ss(value());
        for (std::string p; std::getline(ss, p, ',');) o.protocols.push_back(p);
      } else if (a == "--filter") {
        o.filter = value();
      } else if (a == "--trace") {
        o.trace_file = value();
      } else if (a == "--quick") {
        o.quick = true;
      } else if (a == "--help" || a == "-h") {
        std::cout << "usage: " << argv[0]
                  << " [--protocol plain,pond,...] [--filter NAME] [--trace FILE.json] [--quick]\n";
        std::exit(0);
      } else {
        throw std::invalid_argument("unknown argument '" + a + "' (try --help)");
      }
    }
    return o;
  }
  bool wants(const std::string& workload) const { return filter.empty() || workload.find(filter) != std::string::npos; }
};

/// Calls f.template operator()<P>(name) for each protocol name given.
template <class F>
void for_protocols(const std::vector<std::string>& names, F&& f) {
  for (const auto& n : names) {
    if (n == "plain") f.template operator()<tfe::plain<tfe::ring64>>(n);
    else if (n == "plain128") f.template operator()<tfe::plain<tfe::ring128>>(n);
    else if (n == "pond") f.template operator()<tfe::pond<tfe::ring64>>(n);
    else if (n == "pond128") f.template operator()<tfe::pond<tfe::ring128>>(n);
    else if (n == "securenn") f.template operator()<tfe::securenn<tfe::ring64>>(n);
    else if (n == "securenn128") f.template operator()<tfe::securenn<tfe::ring128>>(n);
    else if (n == "aby3") f.template operator()<tfe::aby3<tfe::ring64>>(n);
    else if (n == "aby3_128") f.template operator()<tfe::aby3<tfe::ring128>>(n);
    else throw std::invalid_argument("unknown protocol '" + n + "' (known: plain, pond, securenn, aby3, each also with 128)");
  }
}

}  // namespace bench
