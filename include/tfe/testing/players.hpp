// tfe/testing/players.hpp: run every player of a program over channels a test decorates, keep what
// the decorators saw. The harness the security and cost tests share (and any test of a new
// protocol): a recording channel (testing/recording_channel.hpp) shows what each player receives,
// a hop channel (testing/hop_channel.hpp) measures latency in message hops.
//
//   auto run = tfe::testing::run_decorated<tfe::pond<tfe::ring64>>(
//       players, [](tfe::channel& inner) { return std::make_unique<tfe::testing::recording_channel>(inner); },
//       [](auto& s, tfe::testing::recording_channel& ch) { ch.phase = "mul"; ...; return s.stats(); });
//   run.results[i]; run.channels[i]->log;   // per player, in player order
//
// Like run_local (OS-keyed randomness unless options say otherwise): each player on its own thread
// over the in-memory network; when one throws, the network is closed so the others unblock, and the
// first failure is rethrown as player_error. The decorators outlive the run, so a test can read what
// they recorded when the program succeeded.
#pragma once

#include "tfe/net/channel.hpp"
#include "tfe/runtime/runner.hpp"
#include "tfe/session.hpp"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tfe::testing {

template <class Result, class Decorator>
struct decorated_run {
  std::vector<Result> results;                       // the program's result per player (monostate: none)
  std::vector<std::unique_ptr<Decorator>> channels;  // every player's decorator, after the run
};

/// Runs program(session<P>&, D&) for every player of `players`, each over the decorator
/// make(channel& inner) -> std::unique_ptr<D> wrapped around its in-memory channel.
template <class P, class Make, class F>
auto run_decorated(const std::vector<std::string>& players, Make make, F program, const run_options& options = {}) {
  using decorator = typename std::invoke_result_t<Make&, channel&>::element_type;
  using returned = std::invoke_result_t<F&, session<P>&, decorator&>;
  using result = std::conditional_t<std::is_void_v<returned>, std::monostate, returned>;
  decorated_run<result, decorator> out;
  out.channels.resize(players.size());
  auto wrap = [&](memory_channel& inner, auto&& run) {
    auto d = make(inner);
    decorator* raw = d.get();
    out.channels[inner.self()] = std::move(d);
    run(*raw);
  };
  auto body = [&](session<P>& s) -> result {
    decorator& ch = *out.channels[s.id()];
    if constexpr (std::is_void_v<returned>) {
      program(s, ch);
      return {};
    } else {
      return program(s, ch);
    }
  };
  out.results = detail::run_players<P>(players, body, options, wrap);
  return out;
}

}  // namespace tfe::testing
