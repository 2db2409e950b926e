// tfe/testing/measure_phases.hpp: run every player of a program over hop channels and measure each
// phase's statistics and latency, the harness of the cost tests (tests/test_aby3_costs.cpp,
// tests/test_exact_truncation.cpp):
//
//   auto m = tfe::testing::measure_phases<tfe::aby3<tfe::ring64>>(players, [](auto& s, auto& phase) {
//     auto x = s.define_private_input("alice", ...);
//     auto scope = phase("t:mul");  // an op scope "t:mul", and the hop clocks restart at 0
//     (void)(x * x);
//   });
//   m.stats[i].tag("t:mul");  // player i's bytes, messages and rounds in the phase
//   m.latency_of("t:mul");    // the phase's critical path in message hops (0 if nothing was sent)
//
// phase(tag) may only be called when every frame sent before it has been received (between ops, as
// the cost tests do), so that the clocks restart cleanly (testing/hop_channel.hpp).
#pragma once

#include "tfe/session.hpp"
#include "tfe/testing/hop_channel.hpp"
#include "tfe/testing/players.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tfe::testing {

/// What measure_phases returns.
struct phase_measurement {
  std::vector<statistics> stats;                 // per player, in player order
  std::map<std::string, std::uint64_t> latency;  // per phase: the largest stamp any player sent in it

  /// The phase's latency in hops; 0 for a phase in which no player sent anything.
  std::uint64_t latency_of(const std::string& phase) const {
    const auto it = latency.find(phase);
    return it == latency.end() ? 0 : it->second;
  }
};

/// Runs program(session<P>&, phase) at every player of `players` over hop channels; phase(tag)
/// returns the op scope `tag` (for the statistics) and starts the latency phase `tag`.
template <class P, class F>
phase_measurement measure_phases(const std::vector<std::string>& players, F program, const run_options& options = {}) {
  hop_board board;
  auto run = run_decorated<P>(
      players, [&](channel& inner) { return std::make_unique<hop_channel>(inner, board); },
      [&](session<P>& s, hop_channel& ch) {
        auto phase = [&](const std::string& tag) {
          ch.reset(tag);
          return s.op_scope(tag);
        };
        program(s, phase);
        return s.stats();
      },
      options);
  phase_measurement out;
  out.stats = std::move(run.results);
  for (const auto& ch : run.channels)
    for (const auto& [tag, stamp] : ch->max_sent) out.latency[tag] = std::max(out.latency[tag], stamp);
  return out;
}

}  // namespace tfe::testing
