// tests/test_securenn_costs.cpp: SecureNN's communication, checked exactly against its cost model
// protocol/securenn/costs.hpp (securenn_costs<R>: payload bytes, messages and rounds per player as
// defined in net/statistics.hpp), plus the latency in message hops (the critical path, what the
// paper's tables call rounds), measured with a channel that stamps every message with a Lamport clock.
// Every expected figure comes from the model; the literal figures below pin the model to the ones
// securenn.hpp states (ring64: the paper's DReLU 3968 bits / 8 hops; the masked DReLU at k = 32,
// 936 / 4, and ReLU on it 1256 / 5, ...).
//
// The figures are printed (MESSAGE) next to the paper's Table 1 (bits per element over all players,
// log p counted as 8 bits; rounds = hops): run this test with -s to see them.
#include <doctest/doctest.h>

#include "tfe/testing/hop_channel.hpp"
#include "tfe/testing/players.hpp"
#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_securenn_costs {

namespace {

namespace sd = tfe::securenn_detail;
using tfe::op_stats;

constexpr std::size_t S0 = 0, S1 = 1, H = 2, ALICE = 3;
const std::vector<std::string> players = {"server0", "server1", "helper", "alice"};

// ---- a run that counts hops (tfe/testing/hop_channel.hpp) -----------------------------------------

struct measured {
  tfe::statistics stats;
  std::map<std::string, std::uint64_t> hops;  // per measured op: this player's clock at its end
};

/// Runs program(session, measure) on every player; measure(tag, fn) runs fn under scope `tag` with
/// the clock reset, and records the clock after it.
template <class P, class F>
std::vector<measured> run_measured(F program) {
  tfe::testing::hop_board board;
  return tfe::testing::run_decorated<P>(
             players, [&](tfe::channel& inner) { return std::make_unique<tfe::testing::hop_channel>(inner, board); },
             [&](tfe::session<P>& s, tfe::testing::hop_channel& ch) {
               measured out;
               auto measure = [&](const std::string& tag, auto&& fn) {
                 ch.reset();
                 {
                   auto sc = s.op_scope(tag);
                   fn();
                 }
                 out.hops[tag] = ch.clock();
               };
               program(s, measure);
               out.stats = s.stats();
               return out;
             })
      .results;
}

// ---- expected figures: the cost model ----------------------------------------------------------------

using expect = tfe::costs::player_cost;
using tfe::costs::op_cost;

// The model pinned to securenn.hpp's table (bits per element over all players, n = 64; hops).
constexpr std::uint64_t bits_per_element(const op_cost& c) { return 8 * c.total_bytes() / 64; }
using M64 = tfe::securenn_costs<tfe::ring64>;
static_assert(bits_per_element(M64::private_compare(64, 64)) == 1024 && M64::private_compare(64, 64).latency == 1);
static_assert(bits_per_element(M64::share_convert(64)) == 1792 && M64::share_convert(64).latency == 4);
static_assert(bits_per_element(M64::compute_msb(64)) == 2176 && M64::compute_msb(64).latency == 5);
static_assert(bits_per_element(M64::drelu(64)) == 3968 && M64::drelu(64).latency == 8);
static_assert(bits_per_element(M64::drelu_full(64)) == 1704 && M64::drelu_full(64).latency == 4);
static_assert(bits_per_element(tfe::securenn_costs<tfe::ring128>::drelu(64)) == 7936);
// The ops' sign test: the masked DReLU at the values' width (drelu.hpp), 3ℓ + 3(k − 1)·8 bits.
static_assert(bits_per_element(M64::drelu_masked(64, 32)) == 936 && M64::drelu_masked(64, 32).latency == 4);
static_assert(bits_per_element(M64::relu(64, 32)) == 1256 && M64::relu(64, 32).latency == 5);
static_assert(M64::relu(64, 32).player[0].bytes_sent == 55 * 64);  // per server and value: 55 bytes (paper: 176)
static_assert(M64::max_pool_2x2(256, 32).latency == 10);           // 2x2: 10 hops (the paper's scan: 27)

void check_stats(const op_stats& got, const expect& e, const std::string& what) {
  INFO(what, ": got ", got);
  CHECK(got.bytes_sent == e.bytes_sent);
  CHECK(got.bytes_received == e.bytes_received);
  CHECK(got.messages_sent == e.messages_sent);
  CHECK(got.messages_received == e.messages_received);
  CHECK(got.rounds == e.rounds);
}

void check_op(const std::vector<measured>& st, const std::string& tag, const op_cost& c) {
  check_stats(st[S0].stats.tag(tag), c.player[S0], tag + ": server0");
  check_stats(st[S1].stats.tag(tag), c.player[S1], tag + ": server1");
  check_stats(st[H].stats.tag(tag), c.player[H], tag + ": helper");
  std::uint64_t hops = 0;
  for (std::size_t p = 0; p < 3; ++p) hops = std::max(hops, st[p].hops.at(tag));
  INFO(tag, ": critical path");
  CHECK(hops == c.latency);
  // Alice (an input player) takes no part.
  const auto& a = st[ALICE].stats.tag(tag);
  CHECK(a.bytes_sent + a.bytes_received + a.messages_sent + a.messages_received == 0);
}

xt::xarray<double> values(std::size_t n, const tfe::shape_t& shape) {
  xt::xarray<double> v = xt::zeros<double>(shape);
  for (std::size_t i = 0; i < n; ++i) v.data()[i] = 9.0 * std::sin(0.37 * static_cast<double>(i) + 0.1) + 0.25;
  return v;
}

template <class R>
void check_costs(std::size_t n_) {
  using P = tfe::securenn<R>;
  using M = typename P::cost_model;
  const std::uint64_t n = n_, ell = M::ell;
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();
  CAPTURE(n);
  CAPTURE(ell);
  // Max pooling: 2x2 windows over a (1, 2h, 2, 1) image, h windows; levels of h·2 then h·1 pairs.
  const std::size_t pool_h = n_ / 2;
  auto st = run_measured<P>([&](auto& s, auto& measure) {
    auto x = s.define_private_input("alice", [&] { return values(n_, {n_}); });
    auto img = s.define_private_input("alice", [&] {
      return values(4 * pool_h, {std::size_t(1), 2 * pool_h, std::size_t(2), std::size_t(1)});
    });
    const auto* a = s.id() < 2 ? &x.parts().at(0) : nullptr;
    const tfe::shape_t shape{n_};
    // PrivateCompare on helper-dealt random bits (the dealing is outside the measured scope).
    tfe::ring_tensor<R> dealt;
    if (s.id() == H) dealt = s.private_prg().template uniform<R>(shape);
    sd::bit_shares xb =
        s.id() <= H ? sd::deal_bit_shares<R>(s, dealt.data(), n_, static_cast<unsigned>(ell)) : sd::bit_shares{};
    std::vector<R> r(n_);
    std::vector<std::uint8_t> beta(n_);
    for (std::size_t e = 0; e < n_; ++e) {
      r[e] = R(e * 0x9e3779b97f4a7c15ULL);
      beta[e] = static_cast<std::uint8_t>(e & 1);
    }
    measure("t:pc", [&] { sd::private_compare<R>(s, xb, r.data(), beta.data(), n_, static_cast<unsigned>(ell)); });
    tfe::ring_tensor<R> y, msb;
    measure("t:sc", [&] { y = sd::share_convert<R>(s, a, shape); });
    measure("t:msb", [&] { msb = sd::compute_msb<R>(s, s.id() < 2 ? &y : nullptr, shape); });
    measure("t:drelu", [&] { (void)sd::drelu<R>(s, a, shape); });
    measure("t:drelu_full", [&] { (void)sd::drelu_full<R>(s, a, shape); });
    measure("t:relu", [&] { (void)tfe::relu(x); });
    measure("t:relu_full", [&] { (void)tfe::relu(x, tfe::sign_width::full); });
    measure("t:less", [&] { (void)tfe::less(x, x); });
    measure("t:equal", [&] { (void)tfe::equal(x, x); });
    measure("t:max_pool", [&] { (void)tfe::max_pool2d(img, {2, 2}); });
  });

  check_op(st, "t:pc", M::private_compare(n, ell));
  check_op(st, "t:sc", M::share_convert(n));
  check_op(st, "t:msb", M::compute_msb(n));
  check_op(st, "t:drelu", M::drelu(n));
  check_op(st, "t:drelu_full", M::drelu_full(n));
  // relu = sign bit (the masked DReLU at width used_bits) + one product.
  const op_cost relu = M::relu(n, k);
  check_op(st, "t:relu", relu);
  check_op(st, "t:relu_full", M::relu(n, ell));
  check_op(st, "t:less", M::less(n, k));
  check_op(st, "t:equal", M::equal(n, k));
  // max pool 2x2 over pool_h windows (4·pool_h inputs).
  check_op(st, "t:max_pool", M::max_pool_2x2(4 * static_cast<std::uint64_t>(pool_h), k));

  // The paper's Table 1, for the record (bits per element over all players, log p = 8; rounds).
  if (n % 64 == 0) {
    const double L = static_cast<double>(ell), lp = 8.0, nn = static_cast<double>(n);
    auto per = [&](const op_cost& c) { return 8.0 * static_cast<double>(c.total_bytes()) / nn; };
    struct row {
      std::string name;
      op_cost c;
      double paper_bits;
      int paper_rounds;
    };
    const std::vector<row> rows = {
        {"PrivateCompare", M::private_compare(n, ell), 2 * L * lp, 1},
        {"ShareConvert", M::share_convert(n), 4 * L * lp + 6 * L, 4},
        {"ComputeMSB", M::compute_msb(n), 4 * L * lp + 13 * L, 5},
        {"DReLU", M::drelu(n), 8 * L * lp + 19 * L, 8},
        {"ReLU", relu, 8 * L * lp + 24 * L, 10},
    };
    for (const auto& r : rows) {
      MESSAGE(tfe::ring_traits<R>::name(), " ", r.name, ": ", per(r.c), " bits/element in total, ", r.c.latency,
              " hops; paper: ", r.paper_bits, " bits, ", r.paper_rounds, " rounds");
      // Seed compression only ever removes traffic; hops never exceed the paper's rounds.
      CHECK(per(r.c) <= r.paper_bits);
      CHECK(r.c.latency <= static_cast<std::uint64_t>(r.paper_rounds));
    }
    MESSAGE(tfe::ring_traits<R>::name(), " DReLU (full ring, ours): ", per(M::drelu_full(n)), " bits/element, ",
            M::drelu_full(n).latency, " hops");
    MESSAGE(tfe::ring_traits<R>::name(), " DReLU (masked at k = ", k,
            ", the ops' sign test): ", per(M::drelu_masked(n, k)), " bits/element, ", M::drelu_masked(n, k).latency,
            " hops");
  }
}

}  // namespace

TEST_CASE("securenn<ring64> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1001), std::size_t(4096)}) check_costs<tfe::ring64>(n);
}

TEST_CASE("securenn<ring128> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1001), std::size_t(4096)}) check_costs<tfe::ring128>(n);
}

TEST_CASE("max pooling: ceil(log2 K) levels of 5 hops against the paper's 9(K - 1) rounds") {
  // 3x3 windows (K = 9): 4 levels of the sign bit (4 hops) + a product (1 hop) = 20 hops; the
  // paper's linear scan takes 9·8 = 72 rounds.
  using P = tfe::securenn<tfe::ring64>;
  auto st = run_measured<P>([&](auto& s, auto& measure) {
    auto img = s.define_private_input("alice", [] {
      xt::xarray<double> v = xt::zeros<double>({std::size_t(2), std::size_t(6), std::size_t(6), std::size_t(3)});
      for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = std::cos(0.7 * static_cast<double>(i));
      return v;
    });
    measure("t:pool3", [&] { (void)tfe::max_pool2d(img, {3, 3}); });
  });
  std::uint64_t hops = 0;
  for (std::size_t p = 0; p < 3; ++p) hops = std::max(hops, st[p].hops.at("t:pool3"));
  CHECK(hops == 4 * 5);
  MESSAGE("max_pool2d 3x3 (K = 9): ", hops, " hops; paper 9(K - 1) = 72 rounds");
}

}  // namespace test_securenn_costs
