// tfe/protocol/aby3/costs.hpp: ABY3's cost model (arithmetic, compare, boolean, conversions .hpp)
// as constexpr functions.
//
// ABY3: Mohassel & Rindal, "ABY3: A Mixed Protocol Framework for Machine Learning", CCS 2018.
// Players: 0, 1, 2 the servers (indices mod 3), then input/output players. Units as in
// protocol/costs.hpp; latency = message hops on the critical path (the protocol's rounds).
// Notation: n values, ℓ ring bits, E = ℓ/8 bytes per ring element (and per boolean word),
// W = ⌈n/64⌉ words per bit-sliced row (8 bytes each), k = the width of a sign test.
// Pinned in tests/test_aby3_costs.cpp (ring64): a product 8 bytes per output per server, 1 round;
// relu at k = 32: 25.125 / 22.625 / 22.625 bytes per value, 8 rounds.
#pragma once

#include "tfe/protocol/costs.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <cstddef>
#include <cstdint>

namespace tfe {

template <class R>
struct aby3_costs {
  using player_cost = costs::player_cost;
  using op_cost = costs::op_cost;
  static constexpr std::uint64_t ell = ring_traits<R>::bits, E = ell / 8, lg = costs::ceil_log2(ell);

  /// The session's set-up of the ABY3 streams (arithmetic.hpp's state), player `who` of `players`:
  /// server 0 sends a 16-byte seed to servers 1 and 2, and so does every input player (players 3 on);
  /// servers 1 and 2 receive 1 + (players − 3) seeds. Counted in addition to the session's own
  /// pairwise seeds (session.hpp).
  static constexpr player_cost setup(std::size_t players, std::size_t who) {
    constexpr std::uint64_t seed = 16;
    const std::uint64_t inputs = players - 3;
    if (who == 0 || who >= 3) return {2 * seed, 0, 2, 0, 1};
    return {0, (1 + inputs) * seed, 0, 1 + inputs, 0};
  }

  /// Player `who` (of `players`) while `owner` inputs n values of an ndim-dimensional shape, 1 hop
  /// (input_latency). A server o sends x_o (n·E) to server o + 2 (x_{o+1}, x_{o+2} come from PRG
  /// streams); an input player sends n·E to server 1 and to server 2 (2 messages: with one, the other
  /// two servers would hold all three components of something independent of x). Plus the public
  /// shape (costs::public_shape, session.hpp).
  static constexpr player_cost input(std::uint64_t n, std::uint64_t ndim, std::size_t owner, std::size_t players,
                                     std::size_t who) {
    player_cost c = costs::public_shape(ndim, E, owner, players, who);
    const std::uint64_t b = n * E;
    if (owner < 3) {
      if (who == owner) c += {b, 0, 1, 0, 0};
      if (who == (owner + 2) % 3) c += {0, b, 0, 1, 0};
      return c;
    }
    if (who == owner) c += {2 * b, 0, 2, 0, 0};
    if (who == 1 || who == 2) c += {0, b, 0, 1, 0};
    return c;
  }
  static constexpr std::uint64_t input_latency = 1;

  /// Player `who` while n values are revealed to `receiver`, 1 hop: to server j, server j + 1 sends
  /// the missing x_{j+2}; to any other player, server 0 sends x_0 + x_1 + r and server 2 x_2 − r.
  static constexpr player_cost reveal(std::uint64_t n, std::size_t receiver, std::size_t who) {
    const std::uint64_t b = n * E;
    if (receiver < 3) {
      if (who == (receiver + 1) % 3) return {b, 0, 1, 0, 1};
      return who == receiver ? player_cost{0, b, 0, 1, 0} : player_cost{};
    }
    if (who == 0 || who == 2) return {b, 0, 1, 0, 1};
    return who == receiver ? player_cost{0, 2 * b, 0, 2, 0} : player_cost{};
  }
  /// reveal_all, 1 hop: every server sends its part 0 to the next (n·E); servers 0 and 2 also send
  /// the masked pair above to each of the players − 3 input players.
  static constexpr player_cost reveal_all(std::uint64_t n, std::size_t players, std::size_t who) {
    const std::uint64_t b = n * E, others = players - 3;
    if (who == 1) return {b, b, 1, 1, 1};
    if (who == 0 || who == 2) return {(1 + others) * b, b, 1 + others, 1, 1};
    return {0, 2 * b, 0, 2, 0};
  }
  static constexpr std::uint64_t reveal_latency = 1;

  /// A bilinear op with `out` outputs, no truncation (ABY3 §5.1): each server computes its 3-out-of-3
  /// share z_i (re-randomized by α_i) and sends it to server i − 1: 1 round, out·E each way.
  static constexpr op_cost bilinear(std::uint64_t out) {
    const std::uint64_t z = out * E;
    return {{{{z, z, 1, 1, 1}, {z, z, 1, 1, 1}, {z, z, 1, 1, 1}}}, 1};
  }
  /// The fixed-point product with the truncation fused into its round (§5.1.1, Π_trunc1):
  /// server 0 → 2: z_0; server 2 → 0: z_2; server 1 → 0: y_1. 1 round, out·E sent per server.
  static constexpr op_cost bilinear_truncated(std::uint64_t out) {
    const std::uint64_t z = out * E;
    return {{{{z, 2 * z, 1, 2, 1}, {z, 0, 1, 0, 1}, {z, z, 1, 1, 1}}}, 1};
  }
  /// x·y elementwise on n values (truncated): ring64, 8 bytes per output per server, 1 round.
  static constexpr op_cost mul(std::uint64_t n) { return bilinear_truncated(n); }
  /// (a×k)·(k×b), truncated: a·b outputs.
  static constexpr op_cost matmul(std::uint64_t a, std::uint64_t, std::uint64_t b) { return bilinear_truncated(a * b); }
  /// Standalone truncation (Π_trunc1): server 1 sends server 0 n elements, 1 round.
  static constexpr op_cost truncation(std::uint64_t n) { return {{{{0, n * E, 0, 1, 0}, {n * E, 0, 1, 0, 1}, {}}}, 1}; }

  /// truncation_mode::exact (aby3/truncation.hpp), f fractional bits, s(c) = costs::small_values_bytes(c, f).
  /// The product: round 1 servers 0 and 2 swap z_0, z_2 and server 1 sends y_1 and out masked bits to
  /// server 0; round 2 servers 0 and 2 send server 1 out values each (their shares of ū·v).
  /// `call`: the session's count of exact truncations before this one; the roles rotate by call mod 3
  /// (server j's cost is at server j + call).
  static constexpr op_cost exact_bilinear_truncated(std::uint64_t out, unsigned f, std::uint64_t call = 0) {
    const std::uint64_t z = out * E, m = costs::small_values_bytes(out, f);
    return rotated({{{{z + m, 2 * z + m, 2, 3, 2}, {z + m, 2 * m, 2, 2, 1}, {z + m, z, 2, 1, 2}}}, 2}, call);
  }
  /// The standalone exact truncation: the same messages without the swap, 1 round.
  static constexpr op_cost exact_truncation(std::uint64_t n, unsigned f, std::uint64_t call = 0) {
    const std::uint64_t b = n * E, m = costs::small_values_bytes(n, f), e = costs::small_values_bytes(2 * n, f);
    return rotated({{{{m, b + e + m, 1, 3, 1}, {b + 2 * e, 0, 3, 0, 1}, {m, e + m, 1, 2, 1}}}, 1}, call);
  }
  /// Server j's cost moved to server j + call (mod 3).
  static constexpr op_cost rotated(op_cost c, std::uint64_t call) {
    op_cost r = c;
    for (std::size_t j = 0; j < 3; ++j) r.player[(j + call) % 3] = c.player[j];
    return r;
  }

  /// compare.hpp's circuit for a width: groups of (up to) two positions, monomial rows M_r that
  /// server 0 sends masked, AND gates A and levels L of the tree between servers 1 and 2.
  struct circuit {
    std::uint64_t groups = 0, monomials = 0, ands = 0, levels = 0;
  };
  /// Sign at width k: positions q = k − 1, p = ⌊q/2⌋ blocks of two (monomials a, b, ab) and
  /// s = q mod 2 singles, plus the top bit: M_r = 3p + s + 1; a carry tree over g = p + s groups
  /// (costs::carry_tree). k = 32: M_r = 47, A = 26, L = 4.
  static constexpr circuit sign_circuit(std::uint64_t k) {
    const std::uint64_t q = k - 1, p = q / 2, s = q % 2;
    const costs::gates t = costs::carry_tree(p + s);
    return {p + s, 3 * p + s + 1, t.ands, t.levels};
  }
  /// Zero test at width k: p = ⌊k/2⌋ blocks, s = k mod 2: M_r = 3p + s; an AND tree over the groups
  /// (g − 1 gates, ⌈log2 g⌉ levels). k = 33: M_r = 49, A = 16, L = 5.
  static constexpr circuit zero_circuit(std::uint64_t k) {
    const std::uint64_t p = k / 2, s = k % 2;
    const costs::gates t = costs::and_tree(p + s);
    return {p + s, 3 * p + s, t.ands, t.levels};
  }

  /// compare.hpp's test on n values with circuit c (steps 1–3: leaves, tree, bit to arithmetic):
  ///   server 0:     sends (M_r + A)·8W + n·E to server 2 (M and the c² rows, then T²) in 2 messages
  ///                 (1 when there is no circuit), 1 round; receives nothing;
  ///   servers 1, 2: send 2A·8W (one message per level) + 8W (u) + n·E (β), L + 2 messages and
  ///                 rounds, and receive the same from each other; server 2 also server 0's message.
  /// Latency L + 3.
  static constexpr op_cost compare(const circuit& c, std::uint64_t n) {
    const std::uint64_t W8 = 8 * costs::words(n);
    const std::uint64_t dealer = (c.monomials + c.ands) * W8 + n * E, dm = (c.monomials + c.ands) > 0 ? 2 : 1;
    const std::uint64_t peer = 2 * c.ands * W8 + W8 + n * E, m = c.levels + 2;
    return {{{{dealer, 0, dm, 0, 1}, {peer, peer, m, m, m}, {peer, peer + dealer, m, m + dm, m}}}, c.levels + 3};
  }
  /// [x < 0] at width k. ring64, k = 32, per value: 17.125 (server 0) / 14.625 bytes, 7 rounds.
  static constexpr op_cost sign(std::uint64_t n, std::uint64_t k) { return compare(sign_circuit(k), n); }
  /// [x = 0] at width k. ring64, k = 33: 16.125 / 12.125 bytes per value, 8 rounds.
  static constexpr op_cost zero(std::uint64_t n, std::uint64_t k) { return compare(zero_circuit(k), n); }
  /// bit_to_arith (conversions.hpp): compare.hpp's step 3 alone (no circuit): 3 rounds.
  static constexpr op_cost bit_to_arith(std::uint64_t n) { return compare(circuit{}, n); }

  /// A sign test on m values at width k, then one untruncated product of p values (+1 round).
  /// Server 0's product message follows its dealing with no receive between: the same round.
  static constexpr op_cost sign_then_product(std::uint64_t m, std::uint64_t k, std::uint64_t p) {
    return costs::then(sign(m, k), bilinear(p), {true, false, false});
  }
  /// relu(x) = x·(1 − [x < 0]) at width k: ring64, k = 32: 25.125 / 22.625 / 22.625 bytes per value,
  /// 8 rounds; at the full width ℓ, log2 ℓ + 3 rounds.
  static constexpr op_cost relu(std::uint64_t n, std::uint64_t k) { return sign_then_product(n, k, n); }
  /// less(x, y): the sign of the differences, width k + 1.
  static constexpr op_cost less(std::uint64_t n, std::uint64_t k) { return sign(n, k + 1); }
  /// equal(x, y): the zero test of the differences, width k + 1.
  static constexpr op_cost equal(std::uint64_t n, std::uint64_t k) { return zero(n, k + 1); }
  /// bit_inject(b, x) = x·b: bit_to_arith, then one untruncated product; 4 rounds.
  static constexpr op_cost bit_inject(std::uint64_t n) {
    return costs::then(bit_to_arith(n), bilinear(n), {true, false, false});
  }
  /// max_pool2d 2×2 over n inputs (a multiple of 4): two tournament levels (n/2, then n/4 pairs),
  /// each a sign of the differences (width k + 1) and one product.
  static constexpr op_cost max_pool_2x2(std::uint64_t n, std::uint64_t k) {
    return costs::then(sign_then_product(n / 2, k + 1, n / 2), sign_then_product(n / 4, k + 1, n / 4));
  }

  /// x ∧ y on n words (boolean.hpp, §5.2): server i sends z_i to server i − 1: 1 round, n·E bytes.
  static constexpr op_cost and_gates(std::uint64_t n) {
    const std::uint64_t b = n * E;
    return {{{{b, b, 1, 1, 1}, {b, b, 1, 1, 1}, {b, b, 1, 1, 1}}}, 1};
  }
  /// conversions.hpp's Kogge–Stone adder: g = a ∧ b (1 word), log2 ℓ − 1 levels of two ANDs and a
  /// last level of one: 2·log2 ℓ words per element per server, 1 + log2 ℓ rounds.
  static constexpr std::uint64_t adder_words = 2 * lg;
  /// a2b (§5.3): server 0 inputs v = x_0 + x_1 as boolean shares (one word to server 2; its input and
  /// first AND leave with no receive between), then the adder. log2 ℓ + 2 rounds; ring64: server 0
  /// sends 13 words = 104 bytes per value.
  static constexpr op_cost a2b(std::uint64_t n) {
    const std::uint64_t a = adder_words * n * E, w = n * E;
    return {{{{a + w, a, lg + 2, lg + 1, lg + 1}, {a, a, lg + 1, lg + 1, lg + 1}, {a, a + w, lg + 1, lg + 2, lg + 1}}},
            lg + 2};
  }
  /// b2a (§5.4): server 1 inputs σ (one word to server 0), the adder, then servers 0 and 2 swap one
  /// word to open d. Latency at most log2 ℓ + 3 (ring64 reaches it; ring128 ends one hop earlier,
  /// its last adder level ending on the opening servers' side): `latency` is that bound.
  static constexpr op_cost b2a(std::uint64_t n) {
    const std::uint64_t a = adder_words * n * E, w = n * E;
    return {{{{a + w, a + 2 * w, lg + 2, lg + 3, lg + 2},
              {a + w, a, lg + 2, lg + 1, lg + 1},
              {a + w, a + w, lg + 2, lg + 2, lg + 2}}},
            lg + 3};
  }
};

}  // namespace tfe
