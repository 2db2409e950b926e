// tests/ring_test_data.hpp: random ring elements and tensors for the ring-level tests (test data only,
// not protocol randomness: a fixed-seed Mersenne Twister).
#pragma once

#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace tfe_test {

using tfe::ring_tensor;
using tfe::ring_traits;
using tfe::shape_t;

using test_rng = std::mt19937_64;

/// A uniformly random ring element (all bits random).
template <class R>
R random_full(test_rng& g) {
  std::vector<std::uint8_t> bytes(ring_traits<R>::bytes);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(g());
  return ring_traits<R>::load(bytes.data());
}

/// Mixes full-width values, small negatives (just below 2^bits) and small positives, so products
/// and sums wrap around 2^bits in every way.
template <class R>
R random_elem(test_rng& g) {
  using T = ring_traits<R>;
  switch (g() % 3) {
    case 0:
      return random_full<R>(g);
    case 1:
      return T::neg(T::from_uint(g() % 1000 + 1));  // 2^bits - small
    default:
      return T::from_uint(g() % 1000);
  }
}

template <class R>
ring_tensor<R> random_tensor(const shape_t& shape, test_rng& g) {
  ring_tensor<R> t = ring_tensor<R>::from_shape(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = random_elem<R>(g);
  return t;
}

}  // namespace tfe_test
