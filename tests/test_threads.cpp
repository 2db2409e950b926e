// tests/test_threads.cpp: threads within a player (ring/parallel.hpp, session_options::threads).
// Results must be bit-identical for any thread count: the ring matmul and convolution kernels, and
// whole protocol runs (every player's shares, not only the revealed values) with the same seed.
#include <doctest/doctest.h>

#include "tfe/ops/conv.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/runtime/runner.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_threads {

namespace {

template <class R>
tfe::ring_tensor<R> random_ring(const tfe::shape_t& shape, std::mt19937_64& gen) {
  tfe::ring_tensor<R> t = tfe::ring_tensor<R>::from_shape(shape);
  for (auto& v : t) v = static_cast<R>(gen());
  return t;
}

/// Elementwise equality of two ring tensors (shapes included), as one bool for doctest.
template <class R>
bool same(const tfe::ring_tensor<R>& a, const tfe::ring_tensor<R>& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

xt::xarray<double> random_values(const tfe::shape_t& shape, std::mt19937_64& gen) {
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  xt::xarray<double> t = xt::xarray<double>::from_shape(shape);
  for (auto& v : t) v = u(gen);
  return t;
}

}  // namespace

TEST_CASE("parallel_for covers the range once, in contiguous chunks, and rethrows") {
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(7), std::size_t(100), std::size_t(1001)})
    for (std::size_t threads : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(8)}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<std::size_t> chunks{0};
      tfe::parallel_for(n, threads, 4, [&](std::size_t lo, std::size_t hi) {
        CHECK(lo <= hi);
        ++chunks;
        for (std::size_t i = lo; i < hi; ++i) ++hits[i];
      });
      for (std::size_t i = 0; i < n; ++i) CHECK(hits[i] == 1);
      CHECK(chunks <= std::max<std::size_t>(threads, 1));
    }
  CHECK_THROWS_WITH_AS(tfe::parallel_for(100, 4, 1,
                                         [](std::size_t lo, std::size_t) {
                                           if (lo > 0) throw std::runtime_error("chunk failed");
                                         }),
                       "chunk failed", std::runtime_error);
  CHECK(tfe::default_threads(1) >= 1);
  CHECK(tfe::default_threads(1000) == 1);
}

TEST_CASE("ring matmul and conv2d: bit-identical results for 1 to 4 threads") {
  std::mt19937_64 gen(std::random_device{}());
  // Above the kernel's threshold of 2^22 multiply-adds, with rows that do not divide evenly.
  auto a = random_ring<tfe::ring64>({203, 160}, gen), b = random_ring<tfe::ring64>({160, 150}, gen);
  const auto c1 = tfe::ring_ops::matmul(a, b, 1);
  auto x = random_ring<tfe::ring64>({2, 30, 30, 16}, gen), w = random_ring<tfe::ring64>({3, 3, 16, 64}, gen);
  const auto y1 = tfe::ring_ops::conv2d(x, w, {1, 1}, tfe::ring_ops::padding::same, 1);
  auto a2 = random_ring<tfe::ring128>({70, 300}, gen), b2 = random_ring<tfe::ring128>({300, 210}, gen);
  const auto d1 = tfe::ring_ops::matmul(a2, b2, 1);
  for (std::size_t t = 2; t <= 4; ++t) {
    CHECK(same(tfe::ring_ops::matmul(a, b, t), c1));
    CHECK(same(tfe::ring_ops::conv2d(x, w, {1, 1}, tfe::ring_ops::padding::same, t), y1));
    CHECK(same(tfe::ring_ops::matmul(a2, b2, t), d1));
  }
}

namespace {

/// Every player's share components of matmul(x, w) and conv2d(x4, w4), with a fixed seed.
template <class P>
std::vector<std::vector<tfe::ring_tensor<typename P::ring>>> shares_with(std::size_t threads, std::uint64_t seed,
                                                                         const xt::xarray<double>& x,
                                                                         const xt::xarray<double>& w,
                                                                         const xt::xarray<double>& x4,
                                                                         const xt::xarray<double>& w4) {
  tfe::run_options o;
  o.session.threads = threads;
  o.session.insecure_deterministic_seed = seed;
  return tfe::run_local<P>(
      P::default_players(),
      [&](tfe::session<P>& s) {
        CHECK(s.threads() == threads);
        auto px = s.define_private_input(P::default_players()[0], [&] { return x; });
        auto pw = s.define_private_input(P::default_players()[1], [&] { return w; });
        auto px4 = s.define_private_input(P::default_players()[0], [&] { return x4; });
        auto pw4 = s.define_private_input(P::default_players()[1], [&] { return w4; });
        auto y = tfe::matmul(px, pw);
        auto z = tfe::conv2d(px4, pw4, {1, 1}, tfe::ring_ops::padding::same);
        std::vector<tfe::ring_tensor<typename P::ring>> parts(y.parts().begin(), y.parts().end());
        parts.insert(parts.end(), z.parts().begin(), z.parts().end());
        return parts;
      },
      o);
}

template <class P>
void check_protocol_threads() {
  std::mt19937_64 gen(std::random_device{}());
  const auto x = random_values({130, 200}, gen), w = random_values({200, 170}, gen);
  const auto x4 = random_values({2, 24, 24, 16}, gen), w4 = random_values({3, 3, 16, 48}, gen);
  const std::uint64_t seed = gen();
  const auto one = shares_with<P>(1, seed, x, w, x4, w4);
  for (std::size_t t : {std::size_t(2), std::size_t(3)}) {
    const auto many = shares_with<P>(t, seed, x, w, x4, w4);
    REQUIRE(many.size() == one.size());
    for (std::size_t p = 0; p < one.size(); ++p) {
      REQUIRE(many[p].size() == one[p].size());
      for (std::size_t k = 0; k < one[p].size(); ++k) CHECK(same(many[p][k], one[p][k]));
    }
  }
}

}  // namespace

TEST_CASE("ABY3 ring64: every share bit-identical with 1, 2 and 3 threads per player") {
  check_protocol_threads<tfe::aby3<tfe::ring64>>();
}
TEST_CASE("Pond ring64: every share bit-identical with 1, 2 and 3 threads per player") {
  check_protocol_threads<tfe::pond<tfe::ring64>>();
}

TEST_CASE("the default thread count divides the hardware threads among the players of the process") {
  using P = tfe::aby3<tfe::ring64>;
  auto t = tfe::run_local<P>(P::default_players(), [](tfe::session<P>& s) { return s.threads(); });
  for (auto v : t) CHECK(v == tfe::default_threads(3));
}

}  // namespace test_threads
