// tfe/runtime/runner.hpp: run_local: every player of a program on its own thread over the in-memory network.
//
//   auto results = tfe::run_local<tfe::pond<tfe::ring64>>(
//       {"server0", "server1", "crypto-producer", "model-owner", "prediction-client"},
//       [](auto& s) { ... return something; });
//
// The program is called once per player with that player's session<P>; results come back in player
// order (std::vector<T>, or nothing for a void program). When a player throws, the network is closed
// so every other player's pending receive fails at once instead of hanging, and the first failure is
// rethrown in the caller as a player_error naming the player (the original exception is kept).
#pragma once

#include "tfe/net/memory_network.hpp"
#include "tfe/session.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>

namespace tfe {

/// A player of run_local failed; what() is "player 'NAME': original message".
class player_error : public error {
 public:
  player_error(std::string player, std::exception_ptr original, const std::string& what)
      : error(detail::concat("player '", player, "': ", what)), m_player(std::move(player)), m_original(original) {}
  const std::string& player() const { return m_player; }
  const char* kind() const noexcept override { return "tfe::player_error"; }
  /// Rethrows the exception the player threw, with its own type.
  [[noreturn]] void rethrow_original() const { std::rethrow_exception(m_original); }

 private:
  std::string m_player;
  std::exception_ptr m_original;
};

struct run_options {
  session_options session;
  channel_options channel;
  /// Optional: every player's op scopes are recorded here (Chrome trace events), not owned.
  trace_recorder* trace = nullptr;
};

namespace detail {

template <class T>
struct result_slot {
  std::optional<T> value;
};
template <>
struct result_slot<void> {};

}  // namespace detail

namespace detail {

/// The core of run_local and its variants: `wrap(inner, run)` receives each player's in-memory channel
/// and calls run(channel&) with it or with a decorator around it (simulated networks, logging).
template <class P, class F, class Wrap>
auto run_players(const std::vector<std::string>& players, F&& program, const run_options& options, Wrap&& wrap) {
  using result_t = std::invoke_result_t<F&, session<P>&>;
  const std::size_t n = players.size();
  TFE_ENFORCE(n > 0, config_error, "run_local needs at least one player");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      TFE_ENFORCE(players[i] != players[j], config_error, "player name '", players[i], "' appears twice");

  memory_network net(n);
  std::vector<detail::result_slot<result_t>> results(n);
  std::mutex failure_mutex;
  std::exception_ptr first_failure;
  std::string failed_player, failure_what;

  auto body = [&](std::size_t id) {
    // The channel outlives the failure handling below: the first failure is recorded and the network
    // closed before this player is seen to leave, so the others report the network's closing.
    memory_channel inner(net, id, players, options.channel);
    try {
      wrap(inner, [&](channel& ch) {
        ch.set_trace(options.trace);
        session_options so = options.session;
        so.players_in_process = n;
        session<P> s(ch, so);
        const block_cache::scope blocks(&s.blocks());  // both end before the session does
        const memory_meter::scope meter(&s.memory());
        if constexpr (std::is_void_v<result_t>) {
          program(s);
        } else {
          results[id].value.emplace(program(s));
        }
      });
    } catch (...) {
      {
        std::lock_guard lock(failure_mutex);
        if (!first_failure) {
          first_failure = std::current_exception();
          failed_player = players[id];
          try {
            throw;
          } catch (const std::exception& e) {
            failure_what = e.what();
          } catch (...) {
            failure_what = "unknown exception";
          }
        }
      }
      net.close();  // release everybody blocked on a receive
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t id = 0; id < n; ++id) threads.emplace_back(body, id);
  for (auto& t : threads) t.join();

  if (first_failure) throw player_error(failed_player, first_failure, failure_what);
  if constexpr (!std::is_void_v<result_t>) {
    std::vector<result_t> out;
    out.reserve(n);
    for (auto& r : results) out.push_back(std::move(*r.value));
    return out;
  }
}

}  // namespace detail

template <class P, class F>
auto run_local(const std::vector<std::string>& players, F&& program, const run_options& options = {}) {
  return detail::run_players<P>(players, std::forward<F>(program), options,
                                [](memory_channel& inner, auto&& run) { run(inner); });
}

}  // namespace tfe
