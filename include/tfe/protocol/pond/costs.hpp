// tfe/protocol/pond/costs.hpp: Pond's cost model (pond.hpp, compare.hpp) as constexpr functions.
//
// Players by position: 0 and 1 the servers, 2 the crypto producer, then input/output players.
// Units as in protocol/costs.hpp. Notation: n values, E = ℓ/8 bytes per ring element, W = ⌈n/64⌉
// words per bit-sliced row (8 bytes each), k = the width of a sign test. The crypto producer never
// receives, so everything it sends within a measured scope is one round. Latency (message hops) is
// modelled for the products only (1 hop; SecureNN's test measures it, SecureNN running Pond's product
// code); the bit tests and what contains them leave it 0.
#pragma once

#include "tfe/protocol/costs.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <cstddef>
#include <cstdint>

namespace tfe {

template <class R>
struct pond_costs {
  using player_cost = costs::player_cost;
  using op_cost = costs::op_cost;
  static constexpr std::uint64_t ell = ring_traits<R>::bits, E = ell / 8;

  /// Player `who` (of `players`) while `owner` inputs n values of an ndim-dimensional shape.
  /// A server owner derives the other server's share from their common PRG stream: no share traffic.
  /// Any other owner derives server 0's share from its stream with server 0 and sends server 1 the
  /// rest: n·E bytes, 1 message. Plus the public shape (costs::public_shape, session.hpp).
  static constexpr player_cost input(std::uint64_t n, std::uint64_t ndim, std::size_t owner, std::size_t players,
                                     std::size_t who) {
    player_cost c = costs::public_shape(ndim, E, owner, players, who);
    if (owner < 2) return c;
    if (who == owner) c += {n * E, 0, 1, 0, 0};
    if (who == 1) c += {0, n * E, 0, 1, 0};
    return c;
  }

  /// Player `who` while n values are revealed to `receiver`: to a server, the other server sends its
  /// share (n·E); to any other player, both servers do.
  static constexpr player_cost reveal(std::uint64_t n, std::size_t receiver, std::size_t who) {
    const std::uint64_t b = n * E;
    if (receiver < 2) {
      if (who == 1 - receiver) return {b, 0, 1, 0, 1};
      return who == receiver ? player_cost{0, b, 0, 1, 0} : player_cost{};
    }
    if (who < 2) return {b, 0, 1, 0, 1};
    return who == receiver ? player_cost{0, 2 * b, 0, 2, 0} : player_cost{};
  }

  /// reveal_all: the servers swap their shares (n·E each way) and send the re-randomized pair of
  /// reveal() to each of the players − 2 other players, who receive 2n·E. 1 round.
  static constexpr player_cost reveal_all(std::uint64_t n, std::size_t players, std::size_t who) {
    const std::uint64_t b = n * E, others = players - 2;
    if (who < 2) return {(1 + others) * b, b, 1 + others, 1, 1};
    return {0, 2 * b, 0, 2, 0};
  }

  /// A bilinear op z = op(x, y) with `out` = |z| outputs (Beaver 1991, seed-compressed triples):
  /// each server opens its `opened` masked operand elements (e = x − a, f = y − b: |x| + |y|) to the
  /// other in `messages` messages (1 when one operand is already masked); the crypto producer sends
  /// server 1 only c_1 = op(a, b) − c_0 (|z| elements; a_i, b_i, c_0 come from PRG streams). 1 round.
  static constexpr op_cost product(std::uint64_t out, std::uint64_t opened, std::uint64_t messages = 2) {
    const std::uint64_t o = opened * E, z = out * E;
    return {{{{o, o, messages, messages, 1}, {o, o + z, messages, messages + 1, 1}, {z, 0, 1, 0, 1}}}, 1};
  }
  /// x·y elementwise on n values: 2n elements opened per server.
  static constexpr op_cost mul(std::uint64_t n) { return product(n, 2 * n); }
  /// (a×k)·(k×b): a·k + k·b elements opened per server, a·b outputs.
  static constexpr op_cost matmul(std::uint64_t a, std::uint64_t k, std::uint64_t b) {
    return product(a * b, a * k + k * b);
  }
  /// mask(x) (pond.hpp): opens x − a once, n elements each way, 1 round; the producer sends nothing.
  static constexpr op_cost mask(std::uint64_t n) {
    return {{{{n * E, n * E, 1, 1, 1}, {n * E, n * E, 1, 1, 1}, {}}}, 1};
  }

  /// Truncation: SecureML's share-local truncation (Mohassel & Zhang, S&P 2017): no communication.
  static constexpr op_cost truncation(std::uint64_t) { return {}; }
  /// truncation_mode::exact (pond/truncation.hpp), f fractional bits: server 0 sends U, server 1 V,
  /// the crypto producer γ_1 to server 1, n small values each (costs::small_values_bytes); 1 round.
  static constexpr op_cost exact_truncation(std::uint64_t n, unsigned f) {
    const std::uint64_t m = costs::small_values_bytes(n, f);
    return {{{{m, m, 1, 1, 1}, {m, 2 * m, 1, 2, 1}, {m, 0, 1, 0, 1}}}, 1};
  }

  /// compare.hpp's dealer-assisted bit test (after Damgård, Fitzi, Kiltz, Nielsen, Toft, TCC 2006)
  /// on n values of width k with an AND circuit `g` (A gates in L levels):
  ///   servers: open c = x + r (n·E, 1 round), L levels of Beaver ANDs (both masked operands in one
  ///            message: 2A·8W bytes), bit to arithmetic (u = b ⊕ t, 8W, 1 round):
  ///            n·E + 2A·8W + 8W bytes, L + 2 messages and rounds; each receives the other's.
  ///   producer (to server 1, one round): r_1 (n·E), the bits of r (k·8W) in 2 messages, one message of
  ///            AND corrections per level (A·8W), t's bits (8W) and t's arithmetic share (n·E):
  ///            2n·E + (k + A + 1)·8W bytes in L + 4 messages.
  static constexpr op_cost bit_test(std::uint64_t n, std::uint64_t k, costs::gates g) {
    const std::uint64_t W8 = 8 * costs::words(n);
    const std::uint64_t srv = n * E + 2 * g.ands * W8 + W8, msgs = g.levels + 2;
    const std::uint64_t cp = 2 * n * E + (k + g.ands + 1) * W8, cpm = g.levels + 4;
    return {{{{srv, srv, msgs, msgs, msgs}, {srv, srv + cp, msgs, msgs + cpm, msgs}, {cp, 0, cpm, 0, 1}}}};
  }
  /// [x < 0] at width k: the carry into bit k − 1 of c − r, a carry tree over the k − 1 low
  /// positions (costs::carry_tree: ⌈log2(k − 1)⌉ levels; A(32) = 55 gates, 5 levels, so 7 rounds).
  static constexpr op_cost sign(std::uint64_t n, std::uint64_t k) { return bit_test(n, k, costs::carry_tree(k - 1)); }
  /// [x = 0] at width k: an AND tree over the k bits ¬(c_i ⊕ r_i) (k − 1 gates, ⌈log2 k⌉ levels).
  static constexpr op_cost zero(std::uint64_t n, std::uint64_t k) { return bit_test(n, k, costs::and_tree(k)); }

  /// A sign test on m values at width k, then one elementwise product of p values (relu: m = p; a
  /// piecewise-linear function: m = pieces·n differences, p = n). The producer's c_1 joins its round.
  static constexpr op_cost sign_then_product(std::uint64_t m, std::uint64_t k, std::uint64_t p) {
    op_cost c = costs::then(sign(m, k), mul(p), {false, false, true});
    c.latency = 0;  // not modelled
    return c;
  }
  /// relu(x) = x·(1 − [x < 0]) at the fixed-point width k. ring64, k = 32, per value and server:
  /// 8 + 13.75 + 0.125 + 16 = 37.875 bytes, 8 rounds.
  static constexpr op_cost relu(std::uint64_t n, std::uint64_t k) { return sign_then_product(n, k, n); }
  /// less(x, y) = [x − y < 0]: the sign of differences, width k + 1.
  static constexpr op_cost less(std::uint64_t n, std::uint64_t k) { return sign(n, k + 1); }
  /// equal(x, y) = [x − y = 0]: the zero test of differences, width k + 1.
  static constexpr op_cost equal(std::uint64_t n, std::uint64_t k) { return zero(n, k + 1); }
  /// max_pool2d 2×2 over n inputs (a multiple of 4): two tournament levels (n/2, then n/4 pairs),
  /// each a sign of the differences (width k + 1) and one product.
  static constexpr op_cost max_pool_2x2(std::uint64_t n, std::uint64_t k) {
    return costs::then(sign_then_product(n / 2, k + 1, n / 2), sign_then_product(n / 4, k + 1, n / 4),
                       {false, false, true});  // latency: not modelled (0)
  }
};

}  // namespace tfe
