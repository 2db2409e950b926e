// tfe/testing/recording_channel.hpp: a channel decorator that keeps a copy of every frame its player
// sends and receives, labelled with the phase the program set last: what security tests read to
// check that no player receives what it must not see (tests/test_*_security.cpp).
#pragma once

#include "tfe/net/channel.hpp"
#include "tfe/net/frame.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace tfe::testing {

struct record {
  bool sent;         // false: received
  std::size_t peer;  // the receiver (sent) or the sender (received)
  std::string phase;
  frame f;
};

/// Records around any channel (run_decorated makes one per player). Only its player's thread
/// touches it; `phase` labels the frames that follow.
class recording_channel final : public channel {
 public:
  explicit recording_channel(channel& inner) : channel(inner.self(), inner.names()), m_inner(&inner) {}
  std::string phase = "setup";
  std::vector<record> log;

 protected:
  void do_send(std::size_t to, frame&& f) override {
    log.push_back({true, to, phase, f});
    forward_send(*m_inner, to, std::move(f));
  }
  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    auto f = forward_recv(*m_inner, from, wait);
    if (f) log.push_back({false, from, phase, *f});
    return f;
  }
  void do_close() override { m_inner->close(); }
  peer_activity do_liveness(std::size_t peer) const override { return forward_liveness(*m_inner, peer); }

 private:
  channel* m_inner;
};

}  // namespace tfe::testing
