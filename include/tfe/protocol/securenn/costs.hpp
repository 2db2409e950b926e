// tfe/protocol/securenn/costs.hpp: SecureNN's cost model (private_compare, share_convert,
// compute_msb, drelu .hpp) as constexpr functions; inputs, reveals and products are Pond's.
//
// SecureNN: Wagh, Gupta, Chandran, "SecureNN: 3-Party Secure Computation for Neural Network
// Training", PoPETs 2019 (Algorithms 3, 4, 5, 7; Table 1). Players: 0 and 1 the servers, 2 the
// helper. Units as in protocol/costs.hpp; latency = message hops on the critical path (the paper's
// "rounds"). Notation: n values, ℓ ring bits, E = ℓ/8 bytes per ring element, Z(m) = 8·⌈m/8⌉ bytes
// for m values of Z_p (one byte each, packed in 64-bit words: fields.hpp's zp_words).
// Paper figures (Table 1, bits per element over all players, log p = 8) against this model on
// ring64, asserted in tests/test_securenn_costs.cpp:
//   PrivateCompare 1024 / 1 hop, ShareConvert 1792 / 4, ComputeMSB 2176 / 5, DReLU 3968 / 8;
//   ring128 doubles the bits (DReLU 7936 / 8). The ops' sign test is the masked DReLU at the
//   values' width (drelu.hpp): 936 / 4 at k = 32, ReLU 1256 / 5; 1704 / 4 at k = ℓ.
#pragma once

#include "tfe/protocol/costs.hpp"
#include "tfe/protocol/pond/costs.hpp"

#include <cstdint>

namespace tfe {

template <class R>
struct securenn_costs : private pond_costs<R> {
  using base = pond_costs<R>;
  using player_cost = costs::player_cost;
  using op_cost = costs::op_cost;
  using base::E;
  using base::ell;
  // Pond's code, unchanged (securenn<R> derives from pond<R>).
  using base::exact_truncation;
  using base::input;
  using base::mask;
  using base::matmul;
  using base::mul;
  using base::product;
  using base::reveal;
  using base::reveal_all;
  using base::truncation;

  /// Bytes of a message of m Z_p values (fields.hpp: zp_words(m) words).
  static constexpr std::uint64_t Z(std::uint64_t m) { return 8 * ((m + 7) / 8); }

  /// PrivateCompare (Algorithm 3) on n elements of k bits: each server sends the helper one message
  /// of the n·k masked, permuted d_i (Z(n·k) bytes); 1 round, 1 hop. Paper: 2k·log p bits.
  static constexpr op_cost private_compare(std::uint64_t n, std::uint64_t k) {
    const std::uint64_t d = Z(n * k);
    return {{{{d, 0, 1, 0, 1}, {d, 0, 1, 0, 1}, {0, 2 * d, 0, 2, 0}}}, 1};
  }

  /// ShareConvert (Algorithm 4), Z_L → Z_{L−1}, d = Z(n·ℓ): servers send ã_j (n·E) and
  /// PrivateCompare (d); the helper deals server 1 the bits of x (d), δ (n·E) and η' (n·E); server 0's
  /// dealt shares are PRG-derived. 4 hops (ã → helper → server 1 → helper → server 1).
  /// Paper: 4ℓ·log p + 6ℓ bits; here 3ℓ·log p + 4ℓ (seed compression).
  static constexpr op_cost share_convert(std::uint64_t n) {
    const std::uint64_t d = Z(n * ell), b = n * E;
    return {{{{b + d, 0, 2, 0, 1}, {b + d, d + 2 * b, 2, 3, 2}, {d + 2 * b, 2 * b + 2 * d, 3, 4, 2}}}, 4};
  }

  /// ComputeMSB (Algorithm 5), standalone (its dealing is its first hop), d = Z(n·ℓ): servers send
  /// r_j (n·E), PrivateCompare (d) and Beaver's e, f (2n·E); the helper deals server 1 x, its bits,
  /// x[0] (2n·E + d), then β' and the product's c_1 (2n·E). 5 hops.
  /// Paper: 4ℓ·log p + 13ℓ bits; here 3ℓ·log p + 10ℓ.
  static constexpr op_cost compute_msb(std::uint64_t n) {
    const std::uint64_t d = Z(n * ell), b = n * E;
    return {{{{b + d + 2 * b, 3 * b, 4, 3, 2},
              {b + d + 2 * b, 3 * b + (d + 2 * b) + 2 * b, 4, 8, 3},
              {d + 4 * b, 2 * d, 5, 2, 2}}},
            5};
  }

  /// The paper's DReLU (Algorithm 7) = ShareConvert(2a) + ComputeMSB, with ComputeMSB's dealing in
  /// ShareConvert's second round, so 8 hops as in the paper; exact for widths ≤ ℓ − 1. d = Z(n·ℓ):
  ///   servers send 4n·E + 2d in 6 messages; server 1 receives 3n·E + 2d + 6n·E in 11;
  ///   the helper sends 2d + 6n·E in 8 messages and receives 2n·E + 4d in 6.
  /// Paper: 8ℓ·log p + 19ℓ bits; here 6ℓ·log p + 14ℓ (ring64: 496 bytes against 664).
  static constexpr op_cost drelu(std::uint64_t n) {
    const std::uint64_t d = Z(n * ell), b = n * E;
    return {{{{4 * b + 2 * d, 3 * b, 6, 3, 2},
              {4 * b + 2 * d, 3 * b + 2 * d + 6 * b, 6, 11, 5},
              {2 * d + 6 * b, 2 * b + 4 * d, 8, 6, 3}}},
            8};
  }

  /// drelu.hpp's masked DReLU at width k (not the paper's Algorithm 7: ShareConvert's masked opening,
  /// then PrivateCompare on the low k − 1 bits), d = Z(n·(k − 1)); the helper deals B (n·E). 4 hops;
  /// 3ℓ + 3(k − 1)·log p bits in total (ring64: 936 at k = 32, 1704 at k = ℓ).
  static constexpr op_cost drelu_masked(std::uint64_t n, std::uint64_t k) {
    const std::uint64_t d = Z(n * (k - 1)), b = n * E;
    return {{{{b + d, 0, 2, 0, 1}, {b + d, d + b, 2, 2, 2}, {d + b, 2 * b + 2 * d, 2, 4, 2}}}, 4};
  }
  /// The masked DReLU over the whole ring (k = ℓ).
  static constexpr op_cost drelu_full(std::uint64_t n) { return drelu_masked(n, ell); }

  /// [x < 0] = 1 − DReLU(x) at width k (securenn.hpp's sign_bit: the masked DReLU at width k).
  static constexpr op_cost sign(std::uint64_t n, std::uint64_t k) { return drelu_masked(n, k); }

  /// A sign test on m values at width k, then one Beaver product of p values (+1 hop). The helper's
  /// c_1 follows its last DReLU message directly (no new round), and so do server 0's e, f (it
  /// received nothing in the masked DReLU). Paper, ReLU: 8ℓ·log p + 24ℓ bits in 10 rounds
  /// (SelectShare 2); here 3ℓ + 3(k − 1)·log p + 5ℓ bits in 5 hops (ring64, k = 32: 1256 bits).
  static constexpr op_cost sign_then_product(std::uint64_t m, std::uint64_t k, std::uint64_t p) {
    return costs::then(sign(m, k), mul(p), {true, false, true});
  }
  /// relu(x) = x·[x ≥ 0] at width k.
  static constexpr op_cost relu(std::uint64_t n, std::uint64_t k) { return sign_then_product(n, k, n); }
  /// less(x, y): the sign of the differences, width k + 1, no product.
  static constexpr op_cost less(std::uint64_t n, std::uint64_t k) { return sign(n, k + 1); }
  /// [x = 0] = DReLU(x)·DReLU(−x) at width k (securenn.hpp's zero_bit): one DReLU over the 2n
  /// values (x, −x), then one product of n (server 0 and the helper continue their rounds).
  static constexpr op_cost zero(std::uint64_t n, std::uint64_t k) {
    return costs::then(sign(2 * n, k), mul(n), {true, false, true});
  }
  /// equal(x, y) = [x − y = 0]: the zero test at width k + 1.
  static constexpr op_cost equal(std::uint64_t n, std::uint64_t k) { return zero(n, k + 1); }
  /// max_pool2d 2×2 over n inputs (a multiple of 4): a tournament of two levels (n/2, then n/4
  /// pairs), each one DReLU of the differences and one product: 10 hops, against the paper's linear
  /// scan, 9(K − 1) = 27 rounds (the same K − 1 = 3 comparisons per window).
  static constexpr op_cost max_pool_2x2(std::uint64_t n, std::uint64_t k) {
    return costs::then(sign_then_product(n / 2, k + 1, n / 2), sign_then_product(n / 4, k + 1, n / 4));
  }
};

}  // namespace tfe
