// tfe/testing/hop_channel.hpp: latency in message hops, measured with Lamport clocks: a frame sent
// at clock c arrives with stamp c + 1, and the receiver's clock becomes the larger of its own and
// the stamp. Reset every clock at the start of an op (reset(): every earlier frame has been
// received by then); the largest clock at its end is the op's critical path in hops, the figure the
// cost models' `latency` states (tests/test_{aby3,securenn}_costs.cpp).
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/net/frame.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace tfe::testing {

/// The stamps of the frames in flight, one FIFO per ordered pair (frames are FIFO per pair too);
/// shared by every player's hop_channel of one run.
struct hop_board {
  std::mutex m;
  std::map<std::pair<std::size_t, std::size_t>, std::deque<std::uint64_t>> stamps;
};

class hop_channel final : public channel {
 public:
  hop_channel(channel& inner, hop_board& board)
      : channel(inner.self(), inner.names()), m_inner(&inner), m_board(&board) {}
  /// This player's clock: the hops on the longest chain of messages that ends here.
  std::uint64_t clock() const { return m_clock; }
  /// Starts a new measured phase: the clock restarts at 0.
  void reset(const std::string& phase = "") {
    m_phase = phase;
    m_clock = 0;
  }
  /// The largest stamp this player sent in each phase.
  std::map<std::string, std::uint64_t> max_sent;

 protected:
  void do_send(std::size_t to, frame&& f) override {
    const std::uint64_t stamp = m_clock + 1;
    {
      std::lock_guard lock(m_board->m);
      m_board->stamps[{self(), to}].push_back(stamp);
    }
    auto& d = max_sent[m_phase];
    d = std::max(d, stamp);
    forward_send(*m_inner, to, std::move(f));
  }
  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    auto f = forward_recv(*m_inner, from, wait);
    if (!f) return f;
    std::lock_guard lock(m_board->m);
    auto& q = m_board->stamps[{from, self()}];
    TFE_ENFORCE(!q.empty(), protocol_error, "hop_channel: a frame from '", name(from), "' without a stamp");
    m_clock = std::max(m_clock, q.front());
    q.pop_front();
    return f;
  }
  void do_close() override { m_inner->close(); }
  peer_activity do_liveness(std::size_t peer) const override { return forward_liveness(*m_inner, peer); }

 private:
  channel* m_inner;
  hop_board* m_board;
  std::string m_phase;
  std::uint64_t m_clock = 0;
};

}  // namespace tfe::testing
