// The party-internal collectives of tfe/scaleout/lanes.hpp over real MPI ranks: run under
// `mpirun -np K` (ctest: K = 3). Each lane holds lane-dependent data; the results are checked against
// the sums and stacks computed here, and every lane's traffic against collective_costs.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tfe/scaleout/lanes.hpp"
#include "tfe/tfe.hpp"

#include <limits>
#include <optional>

namespace {

tfe::scaleout::mpi_environment* g_mpi = nullptr;  // made in main (the test's own, not the library's)

using tfe::scaleout::collective_costs;
using tfe::scaleout::lane_error;
using tfe::scaleout::party_lanes;

/// The sum over the lanes of one counter (to compare the party's bytes with the documented cost).
std::uint64_t party_sum(std::uint64_t v) {
  std::uint64_t s = 0;
  MPI_Allreduce(&v, &s, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  return s;
}

/// Lane l's ring64 array: values near 2^64 so that the sum wraps.
tfe::ring_tensor<std::uint64_t> ring64_of(std::size_t lane) {
  tfe::ring_tensor<std::uint64_t> a = tfe::ring_tensor<std::uint64_t>::from_shape({3, 4});
  for (std::size_t i = 0; i < a.size(); ++i)
    a.flat(i) = std::numeric_limits<std::uint64_t>::max() - 1000 * i + 7919 * (lane + 1) * (i + 1);
  return a;
}

tfe::ring128 r128(std::size_t lane, std::size_t i) {
  return (tfe::ring128(~std::uint64_t(0) - i) << 64) + tfe::ring128(0xfedcba9876543210ull) * (lane + 2) + i;
}

}  // namespace

TEST_CASE("allreduce_sum wraps like the ring (64 and 128 bits) and costs 2(K-1)nb") {
  party_lanes lanes(g_mpi->world(), "server0");
  const std::size_t k = lanes.lanes();
  auto a = ring64_of(lanes.lane());
  lanes.allreduce_sum(a, "ring64 sum");
  auto expected = ring64_of(0);
  for (std::size_t l = 1; l < k; ++l) expected += ring64_of(l);  // unsigned: wraps mod 2^64
  CHECK(a == expected);

  tfe::ring_tensor<tfe::ring128> b = tfe::ring_tensor<tfe::ring128>::from_shape({5});
  for (std::size_t i = 0; i < 5; ++i) b(i) = r128(lanes.lane(), i);
  lanes.allreduce_sum(b, "ring128 sum");
  for (std::size_t i = 0; i < 5; ++i) {
    tfe::ring128 want = 0;
    for (std::size_t l = 0; l < k; ++l) want += r128(l, i);
    CHECK((b(i) == want));
  }
  const std::uint64_t cost = collective_costs::allreduce_sum(12, 8, k) + collective_costs::allreduce_sum(5, 16, k);
  CHECK(party_sum(lanes.traffic().bytes_sent) == cost);
  CHECK(party_sum(lanes.traffic().bytes_received) == cost);
  CHECK(lanes.traffic().bytes_sent == (lanes.lane() == 0 ? (k - 1) * (96 + 80) : 96 + 80));
}

TEST_CASE("broadcast sends lane 0's array and string, costing (K-1)nb") {
  party_lanes lanes(g_mpi->world(), "client");
  xt::xarray<double> a;
  if (lanes.lane() == 0) a = {{1.5, -2.0, 3.25}, {4.0, 5.0, 6.0}};
  lanes.broadcast(a, "weights");
  CHECK(a == xt::xarray<double>{{1.5, -2.0, 3.25}, {4.0, 5.0, 6.0}});
  std::string arch = lanes.lane() == 0 ? "{\"layers\": 3}" : "";
  lanes.broadcast_string(arch, "architecture");
  CHECK(arch == "{\"layers\": 3}");
  const std::uint64_t k = lanes.lanes();
  CHECK(party_sum(lanes.traffic().bytes_received) == collective_costs::broadcast(6, 8, k) + (k - 1) * 13);
  CHECK(party_sum(lanes.traffic().bytes_sent) == party_sum(lanes.traffic().bytes_received));
}

TEST_CASE("gather_rows stacks the lanes' rows in lane order at lane 0, costing (n - n0)b") {
  party_lanes lanes(g_mpi->world(), "client");
  const std::size_t l = lanes.lane(), k = lanes.lanes();
  xt::xarray<double> mine = xt::xarray<double>::from_shape({l + 1, 2});  // lane l: l + 1 rows
  for (std::size_t r = 0; r <= l; ++r) mine(r, 0) = double(l), mine(r, 1) = double(r);
  auto all = lanes.gather_rows(mine, "outputs");
  CHECK(all.has_value() == (l == 0));
  if (all) {
    REQUIRE(all->shape()[0] == k * (k + 1) / 2);
    std::size_t row = 0;
    for (std::size_t from = 0; from < k; ++from)
      for (std::size_t r = 0; r <= from; ++r, ++row) {
        CHECK((*all)(row, 0) == double(from));
        CHECK((*all)(row, 1) == double(r));
      }
  }
  CHECK(party_sum(lanes.traffic().bytes_sent) == collective_costs::gather_rows(k * (k + 1) / 2, 1, 16));
  CHECK(party_sum(lanes.traffic().bytes_received) == party_sum(lanes.traffic().bytes_sent));
}

TEST_CASE("slices cover the rows in order, balanced") {
  party_lanes lanes(g_mpi->world(), "server1");
  for (std::size_t n : {0, 1, 7, 32}) {
    auto [lo, hi] = lanes.slice_of(n);
    tfe::ring_tensor<std::uint64_t> bounds = {static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)};
    auto all = lanes.gather_rows(bounds, "slices");
    if (all) {
      CHECK((*all)(0) == 0);
      CHECK((*all)(all->size() - 1) == n);
      for (std::size_t i = 1; i + 1 < all->size(); i += 2) CHECK((*all)(i) == (*all)(i + 1));
      for (std::size_t i = 0; i < all->size(); i += 2) CHECK((*all)(i + 1) - (*all)(i) <= n / lanes.lanes() + 1);
    }
  }
}

TEST_CASE("errors name the lane: different sizes, different players in one communicator") {
  party_lanes lanes(g_mpi->world(), "server0");
  tfe::ring_tensor<std::uint64_t> a = xt::zeros<std::uint64_t>({lanes.lane() + 1});
  if (lanes.lanes() > 1) {
    CHECK_THROWS_WITH_AS(lanes.allreduce_sum(a, "gradient dense/kernel"),
                         doctest::Contains("of player 'server0': collective 'gradient dense/kernel': the lanes hold "
                                           "different sizes"),
                         lane_error);
    const std::string name = lanes.lane() == 1 ? "server1" : "server0";
    CHECK_THROWS_WITH_AS(party_lanes(g_mpi->world(), name), doctest::Contains("must be one party"), lane_error);
  }
}

TEST_CASE("every lane's session draws its own randomness: shares of the same input differ across lanes") {
  // Sessions seed their PRGs from the OS (nothing derives from the lane): in each rank, an
  // in-process Pond session shares the same zeros; server0's share is then a fresh random array.
  party_lanes lanes(g_mpi->world(), "server0");
  using P = tfe::pond<tfe::ring64>;
  tfe::ring_tensor<std::uint64_t> share;
  tfe::run_local<P>({"server0", "server1", "crypto-producer", "client"}, [&](tfe::session<P>& s) {
    auto x = s.define_private_input("client", [] { return xt::xarray<double>(xt::zeros<double>({16})); });
    if (s.name() == "server0") share = x.parts().at(0);
  });
  REQUIRE(share.size() == 16);
  auto all = lanes.gather_rows(share, "shares of zeros");
  if (all)
    for (std::size_t a = 0; a < lanes.lanes(); ++a)
      for (std::size_t b = a + 1; b < lanes.lanes(); ++b) {
        std::size_t equal = 0;
        for (std::size_t i = 0; i < 16; ++i) equal += (*all)(16 * a + i) == (*all)(16 * b + i);
        CHECK(equal == 0);
      }
}

TEST_CASE("collectives on share tensors: broadcast, allreduce_sum and gather_rows of private tensors") {
  // A one-player plain session per rank, on this thread (MPI is called from the main thread only):
  // its player holds one part, the encoded value itself, so the results can be decoded at every lane.
  party_lanes lanes(g_mpi->world(), "alice");
  using P = tfe::plain<tfe::ring64>;
  tfe::memory_network net(1);
  tfe::memory_channel ch(net, 0, {"alice"});
  tfe::session<P> s(ch);
  const std::size_t l = lanes.lane(), k = lanes.lanes();
  auto value_of = [&](const tfe::private_tensor<P>& t) { return *s.reveal_to("alice", t); };

  tfe::private_tensor<P> w;
  if (l == 0) w = s.define_private_input("alice", [] { return xt::xarray<double>{{1.5, -2.0}, {0.25, 3.0}}; });
  lanes.broadcast(s, w, "weights");
  CHECK(value_of(w) == xt::xarray<double>{{1.5, -2.0}, {0.25, 3.0}});

  auto g = s.define_private_input("alice", [&] { return xt::xarray<double>{double(l) + 1, -0.5 * double(l)}; });
  lanes.allreduce_sum(g, "gradient");
  const double sum = double(k * (k + 1) / 2), half = -0.25 * double(k * (k - 1));
  CHECK(value_of(g) == xt::xarray<double>{sum, half});

  auto rows = s.define_private_input("alice", [&] {
    xt::xarray<double> r = xt::xarray<double>::from_shape({l + 1, 3});
    r.fill(double(l));
    return r;
  });
  auto all = lanes.gather_rows(s, rows, "outputs");
  CHECK(all.has_value() == (l == 0));
  if (all) {
    const auto v = value_of(*all);
    REQUIRE(v.shape()[0] == k * (k + 1) / 2);
    std::size_t r = 0;
    for (std::size_t from = 0; from < k; ++from)
      for (std::size_t i = 0; i <= from; ++i, ++r) CHECK(v(r, 2) == double(from));
  }
  // One part of 8-byte elements: 4 weights, 2 gradient entries, 3 per gathered row.
  CHECK(party_sum(lanes.traffic().bytes_sent) == collective_costs::broadcast(4, 8, k) +
                                                     collective_costs::allreduce_sum(2, 8, k) +
                                                     collective_costs::gather_rows(3 * k * (k + 1) / 2, 3, 8));
}

int main(int argc, char** argv) {
  tfe::scaleout::mpi_environment mpi(argc, argv);
  g_mpi = &mpi;
  doctest::Context context(argc, argv);
  const int rc = context.run();
  int worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return worst;
}
