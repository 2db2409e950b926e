// tests/loss_reference.hpp: the softmax cross-entropy of logits against one-hot labels, in double
// (the reference the graph-training tests compare tfe's training with).
#pragma once

#include "tfe/detail/xtensor.hpp"

#include <algorithm>
#include <cmath>

namespace tfe_test {

/// Mean over the rows of −Σ_k y_k·log softmax(z)_k.
inline double cross_entropy(const xt::xarray<double>& z, const xt::xarray<double>& y) {
  double loss = 0;
  for (std::size_t i = 0; i < z.shape()[0]; ++i) {
    double mx = -1e9, sum = 0;
    for (std::size_t k = 0; k < z.shape()[1]; ++k) mx = std::max(mx, z(i, k));
    for (std::size_t k = 0; k < z.shape()[1]; ++k) sum += std::exp(z(i, k) - mx);
    for (std::size_t k = 0; k < z.shape()[1]; ++k) loss -= y(i, k) * (z(i, k) - mx - std::log(sum));
  }
  return loss / static_cast<double>(z.shape()[0]);
}

}  // namespace tfe_test
