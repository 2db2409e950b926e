// tfe/ring/truncation_audit.hpp: how likely the probabilistic truncations of a computation are to
// fail, measured on the plaintext reference.
//
// Pond's local truncation (SecureML) and ABY3's one-round truncation of x with |x| < 2^b give
// floor(x / 2^f) or one more, except with probability below 2^(b+1−ℓ) per element (ℓ the ring's
// bits), when the result is off by about 2^(ℓ−f): a wrecked value (ring/fixed_point.hpp,
// protocol/aby3/arithmetic.hpp). One failure in a hidden state propagates through every later layer,
// so what matters for a large model is the EXPECTED NUMBER OF FAILURES PER RUN,
//   E = Σ over every truncated element e of 2^(b_e + 1 − ℓ),  b_e = bit length of |x_e|,
// which the `plain` protocol measures exactly on a run's real values (it truncates in the clear):
// attach a truncation_audit to a session (session::set_truncation_audit), run the computation under plain<R> in the ring of
// interest (the same fixed point), and read E and the largest b per op scope. E bounds the failure
// rate of that run under Pond and ABY3 in the same ring (both have this failure law).
#pragma once

#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace tfe {

struct truncation_audit {
  struct entry {
    std::uint64_t elements = 0;    // truncated elements
    double expected_failures = 0;  // Σ 2^(b_e + 1 − ℓ)
    unsigned max_bits = 0;         // the largest b_e
  };
  /// Per op scope path ("graph/MatMul", "graph/Gelu/gelu", ...; the timed "benchmark" scope omitted).
  std::map<std::string, entry> by_scope;

  entry total() const {
    entry t;
    for (const auto& [k, e] : by_scope) {
      t.elements += e.elements, t.expected_failures += e.expected_failures;
      t.max_bits = std::max(t.max_bits, e.max_bits);
    }
    return t;
  }

  /// Records the truncation of `n` ring elements at `scope`.
  template <class R>
  void record(const std::string& scope, const R* x, std::size_t n) {
    using T = ring_traits<R>;
    auto& e = by_scope[scope];
    // Elements of equal bit length fail with equal bound: count them per length, then sum.
    std::uint64_t per_bits[T::bits + 1] = {};
    for (std::size_t i = 0; i < n; ++i) {
      R m = T::msb(x[i]) ? T::neg(x[i]) : x[i];
      unsigned b = 0;
      while (m != R(0)) m = T::shr_logical(m, 1), ++b;
      ++per_bits[b];
    }
    for (unsigned b = 0; b <= T::bits; ++b)
      if (per_bits[b]) {
        e.expected_failures += static_cast<double>(per_bits[b]) * std::ldexp(1.0, int(b) + 1 - int(T::bits));
        e.max_bits = std::max(e.max_bits, b);
      }
    e.elements += n;
  }
};

}  // namespace tfe
