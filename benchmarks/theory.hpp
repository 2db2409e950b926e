// benchmarks/theory.hpp: the theoretical cost (bytes sent and rounds, per protocol player) of the
// micro workloads, written from the cost comments of the protocol headers, NOT from runs:
//   Pond      protocol/pond/pond.hpp (Beaver products), protocol/pond/compare.hpp (sign)
//   SecureNN  protocol/securenn/drelu.hpp (the paper's DReLU), Pond's products
//   ABY3      protocol/aby3/arithmetic.hpp (products, truncation), protocol/aby3/compare.hpp (sign)
// The tests test_{pond,securenn,aby3}_costs assert the same formulas op by op; the benchmarks print
// them next to the measurement so the docs can show both (docs/benchmarks.md).
//
// Rounds are counted as net/statistics.hpp counts them: per player, a send that follows a receive
// (or opens the benchmark's scope) starts a round, so a player whose sends are not separated by
// receives counts one round for all of them (Pond's crypto producer, ABY3's server 0 in a sign test).
// Notation: n values, E = ℓ/8 bytes per ring element, W = ⌈n/64⌉ words, k = the sign test's width.
#pragma once

#include <tfe/tfe.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

/// Bytes sent and rounds of one player.
struct player_cost {
  double bytes = 0, rounds = 0;
};

/// One cost per protocol player, in P::default_players() order.
using cost = std::vector<player_cost>;

enum class family { plain, pond, securenn, aby3 };

inline family family_of(const std::string& protocol) {
  if (protocol.rfind("pond", 0) == 0) return family::pond;
  if (protocol.rfind("securenn", 0) == 0) return family::securenn;
  if (protocol.rfind("aby3", 0) == 0) return family::aby3;
  return family::plain;
}

/// The cost formulas of one protocol on one ring (E bytes per element, k_fixed = used_bits()).
struct theory_model {
  family fam = family::plain;
  double E = 8;

  static double words(double n) { return std::ceil(n / 64.0); }

  // ---- Pond's bit-sliced sign test (pond/compare.hpp) ----------------------------------------------
  // Carry tree over the k − 1 low positions: g groups, 2·⌊g/2⌋ − 1 ANDs per level until one group.
  static void pond_tree(double k, double& ands, double& levels) {
    ands = levels = 0;
    for (std::size_t g = static_cast<std::size_t>(k) - 1; g > 1; g = g / 2 + g % 2, ++levels)
      ands += static_cast<double>(2 * (g / 2) - 1);
  }

  // ---- ABY3's sign test (aby3/compare.hpp): blocks of two positions ---------------------------------
  struct aby3_plan {
    double monomials = 0, ands = 0, levels = 0;
  };
  static aby3_plan aby3_sign_plan(double k) {
    const std::size_t q = static_cast<std::size_t>(k) - 1, pairs = q / 2, singles = q % 2, groups = pairs + singles;
    aby3_plan p;
    p.monomials = static_cast<double>(3 * pairs + singles + 1);
    for (std::size_t g = groups; g > 1; g = (g + 1) / 2) p.ands += static_cast<double>(2 * (g / 2) - 1);
    while ((std::size_t(1) << static_cast<std::size_t>(p.levels)) < groups) p.levels += 1;
    return p;
  }

  /// A product of n outputs (Beaver; ABY3: the replicated product, with or without the fused
  /// truncation: the same cost). Pond/SecureNN: servers open their masked operands (`opened`
  /// elements: 2n for an elementwise product, a·k + k·b for a matmul), the dealer sends c_1.
  cost product(double n, double opened) const {
    switch (fam) {
      case family::pond:
      case family::securenn:
        return {{opened * E, 1}, {opened * E, 1}, {n * E, 1}};
      case family::aby3:
        return {{n * E, 1}, {n * E, 1}, {n * E, 1}};
      default:
        return {};
    }
  }

  /// Truncation of n values: local for Pond and SecureNN (SecureML's share-local truncation); ABY3's
  /// Π_trunc1: server 1 sends n elements, 1 round.
  cost truncation(double n) const {
    if (fam == family::aby3) return {{0, 0}, {n * E, 1}, {0, 0}};
    if (fam == family::pond || fam == family::securenn) return {{0, 0}, {0, 0}, {0, 0}};
    return {};
  }

  /// A sign test on m values at width k, then a product on p values (relu: m = p; maximum: the same
  /// on differences; a piecewise-linear function: m = pieces·n, p = n), repeated `times` in sequence.
  cost sign_then_product(double m, double k, double p, double times = 1) const {
    const double W = words(m), ell = E * 8;
    cost c;
    switch (fam) {
      case family::pond: {
        double A = 0, L = 0;
        pond_tree(k, A, L);
        // servers: open c (mE), the AND levels (2A·8W), B2A (8W), then the product (2pE); L + 3 rounds.
        // crypto producer: r_1 and t shares (2mE), bits of r, AND corrections and t (k + A + 1)·8W, the
        // product's c_1 (pE); it never receives, so 1 round however many levels.
        const double server = m * E + 2 * A * 8 * W + 8 * W + 2 * p * E;
        c = {{server * times, (L + 3) * times}, {server * times, (L + 3) * times},
             {(2 * m * E + (k + A + 1) * 8 * W + p * E) * times, 1}};
        break;
      }
      case family::securenn: {
        // the paper's DReLU on all ℓ bits (drelu.hpp): servers 4mE + 2d, helper 2d + 6mE with
        // d = Z(m·ℓ) bytes of Z_p values; rounds as counted 2 / 5 / 3; then the product (helper's c_1
        // follows its own DReLU sends: no new round; server 0's first product send follows a receive).
        const double d = 8 * std::ceil(m * ell / 8);
        const double server = 4 * m * E + 2 * d + 2 * p * E;
        c = {{server * times, 3 * times}, {server * times, 6 * times}, {(2 * d + 6 * m * E + p * E) * times, 3 * times}};
        break;
      }
      case family::aby3: {
        const auto pl = aby3_sign_plan(k);
        // server 0: monomials + AND corrections ((M + A)·8W), T² (mE), then its product share (pE);
        // it receives nothing in the sign test, so sign + product is 1 round.
        // servers 1, 2: the AND levels (2A·8W), u (8W), β (mE), the product (pE); L + 3 rounds.
        const double s0 = (pl.monomials + pl.ands) * 8 * W + m * E + p * E;
        const double s12 = 2 * pl.ands * 8 * W + 8 * W + m * E + p * E;
        c = {{s0 * times, times}, {s12 * times, (pl.levels + 3) * times}, {s12 * times, (pl.levels + 3) * times}};
        break;
      }
      default:
        break;
    }
    return c;
  }

  /// max_pool2d 2×2 over n inputs: max over windows of 4 in two levels (n/2 then n/4 pairs), each a
  /// sign of the differences (width k + 1) and one product.
  cost max_pool_2x2(double n, double k) const {
    cost a = sign_then_product(n / 2, k + 1, n / 2), b = sign_then_product(n / 4, k + 1, n / 4);
    if (a.empty()) return {};
    for (std::size_t i = 0; i < a.size(); ++i) {
      a[i].bytes += b[i].bytes;
      // Pond's crypto producer never receives: one round for everything.
      a[i].rounds = (fam == family::pond && i == 2) ? 1 : a[i].rounds + b[i].rounds;
    }
    return a;
  }
};

template <class P>
theory_model model_for(const std::string& protocol) {
  theory_model m;
  m.fam = family_of(protocol);
  m.E = static_cast<double>(tfe::ring_traits<typename P::ring>::bits) / 8.0;
  return m;
}

}  // namespace bench
