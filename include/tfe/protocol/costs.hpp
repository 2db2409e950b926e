// tfe/protocol/costs.hpp: the vocabulary of the protocols' cost models (protocol/*/costs.hpp).
//
// A cost model states, as constexpr code, what one op sends and receives at every player, in the
// units net/statistics.hpp measures: payload bytes and messages sent and received, and rounds as
// counted per player (a send that follows a receive, or opens the measured scope, starts a round; a
// player's sends with no receive between them are one round). Where a protocol's tests measure it,
// an op also has a latency: message hops on its critical path (what the papers call rounds).
// The tests test_{pond,securenn,aby3}_costs assert these functions against measured statistics, and
// the benchmarks print them as the "theory" columns (benchmarks/bench_micro.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tfe::costs {

/// What one player sends and receives in one op.
struct player_cost {
  std::uint64_t bytes_sent = 0, bytes_received = 0, messages_sent = 0, messages_received = 0, rounds = 0;

  constexpr player_cost& operator+=(const player_cost& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    messages_sent += o.messages_sent;
    messages_received += o.messages_received;
    rounds += o.rounds;
    return *this;
  }
  friend constexpr bool operator==(const player_cost&, const player_cost&) = default;
};

/// One op's cost at the three protocol players (P::default_players() order) and its latency in
/// message hops (0 where the model leaves it out: see each protocol's costs.hpp).
struct op_cost {
  std::array<player_cost, 3> player{};
  std::uint64_t latency = 0;

  /// Payload bytes sent by the three players together.
  constexpr std::uint64_t total_bytes() const {
    return player[0].bytes_sent + player[1].bytes_sent + player[2].bytes_sent;
  }
  friend constexpr bool operator==(const op_cost&, const op_cost&) = default;
};

/// b after a: everything adds, except that a player whose first message of b follows its own last
/// message of a with no receive between them (`continues[i]`) opens no new round for it.
constexpr op_cost then(op_cost a, const op_cost& b, std::array<bool, 3> continues = {}) {
  for (std::size_t i = 0; i < 3; ++i) {
    const bool merge = continues[i] && a.player[i].rounds > 0 && b.player[i].rounds > 0;
    a.player[i] += b.player[i];
    if (merge) a.player[i].rounds -= 1;
  }
  a.latency += b.latency;
  return a;
}

/// The op entered `times` times, each in its own scope (so its rounds count afresh every time).
constexpr op_cost repeated(op_cost c, std::uint64_t times) {
  for (auto& p : c.player)
    p = {p.bytes_sent * times, p.bytes_received * times, p.messages_sent * times, p.messages_received * times,
         p.rounds * times};
  c.latency *= times;
  return c;
}

/// ⌈log2 v⌉ (0 for v ≤ 1).
constexpr std::uint64_t ceil_log2(std::uint64_t v) {
  std::uint64_t l = 0;
  while ((std::uint64_t(1) << l) < v) ++l;
  return l;
}

/// 64-bit words per bit-sliced row of n values (tfe/ring/bitslice.hpp): ⌈n/64⌉.
constexpr std::uint64_t words(std::uint64_t n) { return (n + 63) / 64; }

/// The size of a Boolean circuit's multiplicative part: AND gates, and levels (= rounds).
struct gates {
  std::uint64_t ands = 0, levels = 0;
};

/// bitslice::carry_tree over g (generate, propagate) groups: each level combines ⌊g/2⌋ pairs,
///   (G_hi, P_hi) ∘ (G_lo, P_lo) = (G_hi ⊕ P_hi∧G_lo, P_hi∧P_lo),
/// with 2·⌊g/2⌋ − 1 ANDs (P_hi∧G_lo for every pair, P_hi∧P_lo for all but the lowest), leaving
/// ⌈g/2⌉ groups: ⌈log2 g⌉ levels. A carry-lookahead (Brent–Kung style) prefix over the groups.
constexpr gates carry_tree(std::uint64_t groups) {
  gates t;
  for (std::uint64_t g = groups; g > 1; g = (g + 1) / 2, ++t.levels) t.ands += 2 * (g / 2) - 1;
  return t;
}

/// bitslice::and_tree over `rows` rows: ⌊rows/2⌋ ANDs per level, ⌈rows/2⌉ rows remain, so
/// rows − 1 ANDs in ⌈log2 rows⌉ levels.
constexpr gates and_tree(std::uint64_t rows) {
  gates t;
  for (std::uint64_t r = rows; r > 1; r = (r + 1) / 2, ++t.levels) t.ands += r / 2;
  return t;
}

/// The exact truncation's small values mod 2^f (protocol/exact_truncation.hpp): 1, 2, 4 or 8 bytes
/// each (2 on the ring64 preset, 4 on ring128's), packed into whole 8-byte words on the wire.
constexpr std::uint64_t small_value_bytes(unsigned f) { return f <= 8 ? 1 : f <= 16 ? 2 : f <= 32 ? 4 : 8; }
/// Payload bytes of one message carrying `count` small values mod 2^f.
constexpr std::uint64_t small_values_bytes(std::uint64_t count, unsigned f) {
  return 8 * ((count * small_value_bytes(f) + 7) / 8);
}

/// session.hpp: the shape of a private input is public; its owner sends it to every other player as
/// one frame of ndim ring elements (elem_bytes each). Player `who` of `players`.
constexpr player_cost public_shape(std::uint64_t ndim, std::uint64_t elem_bytes, std::size_t owner, std::size_t players,
                                   std::size_t who) {
  if (who == owner) return {(players - 1) * ndim * elem_bytes, 0, players - 1, 0, 1};
  return {0, ndim * elem_bytes, 0, 1, 0};
}

}  // namespace tfe::costs
