// tfe/net/statistics.hpp: bytes, messages and rounds one player sent and received, in total and per op tag.
//
// Definitions (per player):
//  - bytes: payload bytes (tensor elements, raw bytes); frame headers are counted apart in frame_bytes.
//  - messages: frames.
//  - rounds: a round starts with a send that follows a receive (or nothing). Within an op scope the
//    first send always opens a round for that scope, so a one-round op counts 1 even when the player's
//    previous op also ended with a send. Sends to several peers before receiving are one round.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace tfe {

struct op_stats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frame_bytes_sent = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t rounds = 0;
  std::uint64_t calls = 0;  // how many times a scope with this tag was entered

  op_stats& operator+=(const op_stats& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    frame_bytes_sent += o.frame_bytes_sent;
    messages_sent += o.messages_sent;
    messages_received += o.messages_received;
    rounds += o.rounds;
    calls += o.calls;
    return *this;
  }
  friend op_stats operator-(op_stats a, const op_stats& b) {
    a.bytes_sent -= b.bytes_sent;
    a.bytes_received -= b.bytes_received;
    a.frame_bytes_sent -= b.frame_bytes_sent;
    a.messages_sent -= b.messages_sent;
    a.messages_received -= b.messages_received;
    a.rounds -= b.rounds;
    a.calls -= b.calls;
    return a;
  }
  friend std::ostream& operator<<(std::ostream& os, const op_stats& s) {
    return os << "{bytes_sent: " << s.bytes_sent << ", bytes_received: " << s.bytes_received
              << ", messages_sent: " << s.messages_sent << ", rounds: " << s.rounds << "}";
  }
};

/// One player's statistics: the total, and one entry per op tag (an op counts into every scope open
/// while it runs, so "relu" includes the "and" gates it calls, which also count under "and").
struct statistics {
  op_stats total;
  std::map<std::string, op_stats> by_tag;

  const op_stats& tag(const std::string& t) const {
    static const op_stats empty{};
    auto it = by_tag.find(t);
    return it == by_tag.end() ? empty : it->second;
  }
};

}  // namespace tfe
