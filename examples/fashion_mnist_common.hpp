// examples/fashion_mnist_common.hpp: what the examples that train on Fashion-MNIST from scratch share
// (train_models, train_mnist_encrypted): the MLP's architecture and the training set's batches in a
// shuffled order per epoch.
#pragma once

#include <tfe/io/idx.hpp>
#include <tfe/nn/nn.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace examples {

/// The Fashion-MNIST MLP: 784-128-128-10, ReLU, logits out (models/fashion_mnist_mlp.npz).
inline tfe::keras::architecture fashion_mnist_mlp() {
  namespace keras = tfe::keras;
  return {{28, 28, 1},
          {keras::Flatten{}, keras::Dense{.units = 128, .activation = "relu"},
           keras::Dense{.units = 128, .activation = "relu"}, keras::Dense{.units = 10}}};
}

/// A training set's rows as batches of (images (B, 28, 28, 1), one-hot labels (B, 10)), in a fresh
/// order every epoch: a shuffle drawn from `seed` and the epoch (data, not protocol randomness), so the
/// same seed gives the same batches.
class shuffled_batches {
 public:
  shuffled_batches(const tfe::io::image_dataset& d, std::uint64_t seed) : m_data(&d), m_seed(seed) {}

  /// Batch b (of size bs; the last one may be smaller) of epoch e.
  std::pair<xt::xarray<double>, xt::xarray<double>> batch(std::size_t e, std::size_t b, std::size_t bs) {
    const std::size_t n = m_data->labels.size();
    if (e != m_epoch) {
      m_epoch = e;
      m_order.resize(n);
      std::iota(m_order.begin(), m_order.end(), std::size_t(0));
      std::mt19937_64 rng(m_seed * 1000 + e);
      std::shuffle(m_order.begin(), m_order.end(), rng);
    }
    const std::size_t lo = b * bs, hi = std::min(n, lo + bs);
    xt::xarray<double> x = xt::zeros<double>({hi - lo, std::size_t(28), std::size_t(28), std::size_t(1)});
    xt::xarray<std::uint8_t> y = xt::zeros<std::uint8_t>({hi - lo});
    for (std::size_t i = lo; i < hi; ++i) {
      std::copy_n(m_data->images.data() + m_order[i] * 784, 784, x.data() + (i - lo) * 784);
      y(i - lo) = m_data->labels(m_order[i]);
    }
    return {x, tfe::io::one_hot(y, 10)};
  }
  /// How many batches of size bs an epoch has.
  std::size_t count(std::size_t bs) const { return (m_data->labels.size() + bs - 1) / bs; }

 private:
  const tfe::io::image_dataset* m_data;
  std::uint64_t m_seed;
  std::vector<std::size_t> m_order;
  std::size_t m_epoch = static_cast<std::size_t>(-1);
};

}  // namespace examples
