// tests/test_aby3_costs.cpp: aby3's communication, checked exactly against its cost model
// protocol/aby3/costs.hpp (aby3_costs<R>: bytes are payload bytes as defined in net/statistics.hpp).
// Every expected figure comes from the model; the literal figures below pin the model to the ones the
// headers and docs state (ring64: a product 8 bytes per output and 1 round; relu 25.125 / 22.625 /
// 22.625 bytes per value and 8 rounds).
//
// Two measures per op:
//  - per player, from the channel statistics: bytes and messages sent and received, and rounds as
//    net/statistics.hpp counts them (a player's consecutive sends without a receive are one round);
//  - latency: the longest chain of messages, each depending on the previous one, measured with
//    Lamport clocks by a test-only channel (a message is stamped 1 + the largest stamp its sender has
//    received in the op). This is the protocol's number of rounds; the bounds are on it.
//
// Notation: n = elements, ℓ = ring bits, k = the fixed-point width used_bits() (32 for ring64's
// preset, 64 for ring128's).
#include <doctest/doctest.h>

#include "tfe/testing/measure_phases.hpp"
#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_aby3_costs {

namespace {

using tfe::op_stats;
using tfe::statistics;
using namespace tfe::aby3_ops;

constexpr std::size_t S0 = 0, S1 = 1, S2 = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};
constexpr std::uint64_t NP = 5;  // number of players

// ---- a run that measures latency with Lamport clocks (tfe/testing/hop_channel.hpp) -----------------

using measured = tfe::testing::phase_measurement;

/// Runs program(session, phase) at every player (tfe/testing/measure_phases.hpp).
template <class P, class F>
measured run_measured(F program) {
  return tfe::testing::measure_phases<P>(players, std::move(program));
}

// ---- expected costs ----------------------------------------------------------------------------------

using tfe::costs::ceil_log2;
using expect = tfe::costs::player_cost;
using tfe::costs::op_cost;

// The model pinned to the figures of aby3.hpp, compare.hpp and conversions.hpp (ring64; n = 64
// values, so that no bit-sliced row is padded).
using M64 = tfe::aby3_costs<tfe::ring64>;
static_assert(M64::mul(64).player[0].bytes_sent == 8 * 64 && M64::mul(64).latency == 1);  // 8 B/output
static_assert(M64::sign_circuit(32).monomials == 47 && M64::sign_circuit(32).ands == 26 &&
              M64::sign_circuit(32).levels == 4);
static_assert(M64::sign(64, 32).player[0].bytes_sent * 1000 == 17125 * 64 &&
              M64::sign(64, 32).player[1].bytes_sent * 1000 == 14625 * 64 && M64::sign(64, 32).latency == 7);
static_assert(M64::relu(64, 32).player[0].bytes_sent * 1000 == 25125 * 64);
static_assert(M64::relu(64, 32).player[1].bytes_sent * 1000 == 22625 * 64);
static_assert(M64::relu(64, 32).player[2].bytes_sent * 1000 == 22625 * 64);
static_assert(M64::relu(64, 32).latency == 8 && M64::relu(64, 64).latency == 9);
static_assert(M64::zero(64, 33).player[0].bytes_sent * 1000 == 16125 * 64 &&
              M64::zero(64, 33).player[1].bytes_sent * 1000 == 12125 * 64 && M64::zero(64, 33).latency == 8);
static_assert(M64::a2b(1).player[0].bytes_sent == 104);  // 13 words
static_assert(M64::bit_to_arith(64).latency == 3 && M64::bit_inject(64).latency == 4);

void check_stats(const op_stats& got, const expect& e, const std::string& what) {
  INFO(what, ": got ", got, ", expected {bytes_sent: ", e.bytes_sent, ", bytes_received: ", e.bytes_received,
       ", messages_sent: ", e.messages_sent, ", messages_received: ", e.messages_received, ", rounds: ", e.rounds, "}");
  CHECK(got.bytes_sent == e.bytes_sent);
  CHECK(got.bytes_received == e.bytes_received);
  CHECK(got.messages_sent == e.messages_sent);
  CHECK(got.messages_received == e.messages_received);
  CHECK(got.rounds == e.rounds);
}

bool silent(const op_stats& s) {
  return s.bytes_sent == 0 && s.bytes_received == 0 && s.messages_sent == 0 && s.messages_received == 0 &&
         s.rounds == 0;
}

/// The three servers' statistics under `tag` against an op's model, its latency, and the input
/// players' silence.
void check_op(const measured& m, const std::string& tag, const op_cost& c) {
  for (std::size_t p : {S0, S1, S2})
    check_stats(m.stats[p].tag(tag), c.player[p], tag + ": server" + std::to_string(p));
  CHECK(silent(m.stats[ALICE].tag(tag)));
  CHECK(silent(m.stats[BOB].tag(tag)));
  INFO(tag, ": latency");
  CHECK(m.latency_of(tag) == c.latency);
}

// Shapes of the bilinear ops.
constexpr std::uint64_t MA = 13, MK = 17, MB = 5;                                // (MA×MK)·(MK×MB)
constexpr std::uint64_t CN = 1, CH = 8, CW = 8, CC = 3, FH = 3, FW = 3, FO = 4;  // NHWC input, HWIO filter
constexpr std::uint64_t OH = CH - FH + 1, OW = CW - FW + 1;                      // VALID, stride 1

template <class R>
measured run_program(std::size_t n) {
  using P = tfe::aby3<R>;
  return run_measured<P>([n](tfe::session<P>& s, auto& phase) {
    auto values = [n](double scale, double offset) {
      xt::xarray<double> v = xt::zeros<double>({n});
      for (std::size_t i = 0; i < n; ++i) v(i) = scale * std::sin(0.37 * static_cast<double>(i) + offset);
      return v;
    };
    auto in = [&](const char* tag, const std::string& owner, auto provider) {
      auto sc = phase(tag);
      return s.define_private_input(owner, provider);
    };
    auto a = in("t:input", "alice", [&] { return values(9.0, 0.1); });
    auto b = in("t:input_b", "alice", [&] { return values(9.0, 1.3); });
    auto v = in("t:input_server", "server0", [&] { return values(3.0, 2.0); });
    auto v1 = in("t:input_server1", "server1", [&] { return values(3.0, 2.5); });
    auto ma = in("t:input_ma", "alice", [] { return xt::xarray<double>(xt::ones<double>({MA, MK})); });
    auto mb = in("t:input_mb", "alice", [] { return xt::xarray<double>(xt::ones<double>({MK, MB})); });
    auto cx = in("t:input_cx", "alice", [] { return xt::xarray<double>(xt::ones<double>({CN, CH, CW, CC})); });
    auto cw = in("t:input_cw", "alice", [] { return xt::xarray<double>(xt::ones<double>({FH, FW, CC, FO})); });
    tfe::private_tensor<P> prod;
    boolean_tensor<R> A, B;
    {
      auto sc = phase("t:mul");
      prod = a * b;
    }
    {
      auto sc = phase("t:matmul");
      (void)tfe::matmul(ma, mb);
    }
    {
      auto sc = phase("t:conv2d");
      (void)tfe::conv2d(cx, cw);
    }
    {
      auto sc = phase("t:mul_public");
      (void)(a * 0.5);
    }
    {
      auto sc = phase("t:relu");
      (void)tfe::relu(a);
    }
    {
      auto sc = phase("t:relu_full");
      (void)tfe::relu(a, tfe::sign_width::full);
    }
    {
      auto sc = phase("t:less");
      (void)tfe::less(a, b);
    }
    {
      auto sc = phase("t:equal");
      (void)tfe::equal(a, b);
    }
    {
      auto sc = phase("t:reveal_bob");
      (void)s.reveal_to("bob", prod);
    }
    {
      auto sc = phase("t:reveal_server1");
      (void)s.reveal_to("server1", v);
    }
    {
      auto sc = phase("t:reveal_all");
      (void)s.reveal_to_all(v1);
    }
    {
      auto sc = phase("t:a2b");
      A = a2b(a);
    }
    {
      auto sc = phase("t:a2b_b");
      B = a2b(b);
    }
    {
      auto sc = phase("t:and");
      (void)(A & B);
    }
    {
      auto sc = phase("t:b2a");
      (void)b2a(A);
    }
    {
      auto sc = phase("t:bit_to_arith");
      (void)bit_to_arith(A);
    }
    {
      auto sc = phase("t:bit_inject");
      (void)bit_inject(A, b);
    }
  });
}

template <class R>
void check_costs(std::size_t n_) {
  using M = typename tfe::aby3<R>::cost_model;
  const std::uint64_t n = n_;
  const std::uint64_t ell = M::ell, lg = ceil_log2(ell);
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();
  CAPTURE(ell);
  CAPTURE(n);
  const auto m = run_program<R>(n_);
  const auto& st = m.stats;
  const auto& s0 = st[S0];
  auto latency = [&](const std::string& tag) { return m.latency_of(tag); };

  // The measured test scope and the op's own tag agree (each op is entered once under its scope).
  for (std::size_t p = 0; p < NP; ++p) {
    CAPTURE(p);
    for (const auto& [outer, inner] : std::map<std::string, std::string>{{"t:mul", "mul"},
                                                                         {"t:matmul", "matmul"},
                                                                         {"t:conv2d", "conv2d"},
                                                                         {"t:less", "less"},
                                                                         {"t:equal", "equal"},
                                                                         {"t:b2a", "aby3_b2a"}}) {
      INFO(outer, " vs ", inner, ": ", st[p].tag(outer), " / ", st[p].tag(inner));
      CHECK(st[p].tag(inner).calls == 1);
      const auto& a = st[p].tag(outer);
      const auto& b = st[p].tag(inner);
      CHECK((a.bytes_sent == b.bytes_sent && a.bytes_received == b.bytes_received && a.rounds == b.rounds &&
             a.messages_sent == b.messages_sent));
    }
  }

  // ---- inputs (arithmetic.hpp): alice, server0, server1 -------------------------------------------------
  for (std::size_t p = 0; p < NP; ++p) {
    CAPTURE(p);
    check_stats(st[p].tag("t:input"), M::input(n, 1, ALICE, NP, p), "input from alice");
    check_stats(st[p].tag("t:input_server"), M::input(n, 1, S0, NP, p), "input from server0");
    check_stats(st[p].tag("t:input_server1"), M::input(n, 1, S1, NP, p), "input from server1");
  }
  CHECK(latency("t:input") == M::input_latency);

  // ---- products with the fused truncation: 1 round, |z| ring elements per server -------------------
  check_op(m, "t:mul", M::mul(n));
  check_op(m, "t:matmul", M::matmul(MA, MK, MB));
  check_op(m, "t:conv2d", M::bilinear_truncated(CN * OH * OW * FO));
  // A product with a public value: local, then the standalone truncation.
  check_op(m, "t:mul_public", M::truncation(n));

  // ---- sign and zero tests (compare.hpp) ------------------------------------------------------------
  const op_cost relu_cost = M::relu(n, k);
  check_op(m, "t:relu", relu_cost);
  check_op(m, "t:relu_full", M::relu(n, ell));
  check_op(m, "t:less", M::less(n, k));
  check_op(m, "t:equal", M::equal(n, k));
  // The bounds: comparisons and ReLU in at most log2(ℓ) + 3 rounds, for any n.
  for (const char* tag : {"t:relu", "t:relu_full", "t:less", "t:equal"}) {
    CAPTURE(tag);
    CHECK(latency(tag) <= lg + 3);
  }
  if (ell == 64) {
    CHECK(latency("t:relu") == 8);
    CHECK(latency("t:less") == 7);
    CHECK(latency("t:relu_full") == 9);
  } else {
    CHECK(latency("t:relu") == 9);
    CHECK(latency("t:relu_full") == 10);
  }
  CHECK(s0.tag("aby3_sign").calls == 3);  // relu, relu_full, less
  CHECK(s0.tag("relu").calls == 2);       // relu, relu_full
  CHECK(s0.tag("aby3_a2b").calls == 2);   // A, B
  if (ell == 64 && n % 64 == 0) {
    // ≤ 32 bytes per ReLU per server (sign ≤ 24) in the fixed-point range.
    for (std::size_t p : {S0, S1, S2}) {
      CAPTURE(p);
      const double relu = static_cast<double>(st[p].tag("t:relu").bytes_sent) / static_cast<double>(n);
      const double sign = relu - 8.0;
      MESSAGE("ring64 relu, server", p, ": ", relu, " bytes per value (sign ", sign, "), latency ", latency("t:relu"),
              " rounds");
      CHECK(relu <= 32.0);
      CHECK(sign <= 24.0);
    }
    // compare.hpp's per-value figures: 17.125 (server 0) and 14.625 (servers 1, 2) at k = 32.
    CHECK(relu_cost.player[S0].bytes_sent * 1000 == (17125 + 8000) * n);
    CHECK(relu_cost.player[S1].bytes_sent * 1000 == (14625 + 8000) * n);
  }

  // ---- reveals ----------------------------------------------------------------------------------------
  for (std::size_t p = 0; p < NP; ++p) {
    CAPTURE(p);
    check_stats(st[p].tag("t:reveal_bob"), M::reveal(n, BOB, p), "reveal to bob");
    check_stats(st[p].tag("t:reveal_server1"), M::reveal(n, S1, p), "reveal to server1");
    check_stats(st[p].tag("t:reveal_all"), M::reveal_all(n, NP, p), "reveal_all");
  }
  CHECK(latency("t:reveal_all") == M::reveal_latency);

  // ---- boolean layer (boolean.hpp, conversions.hpp) ---------------------------------------------------
  check_op(m, "t:and", M::and_gates(n));
  check_op(m, "t:a2b", M::a2b(n));
  {
    // b2a: M::b2a's latency is the bound log2 ℓ + 3; which server ends the adder's critical chain
    // depends on the parity of log2 ℓ, so the opening adds a hop for ring64 only.
    op_cost b2a = M::b2a(n);
    const std::uint64_t bound = b2a.latency;
    b2a.latency = latency("t:b2a");
    check_op(m, "t:b2a", b2a);
    CHECK(latency("t:b2a") <= bound);
    CHECK(latency("t:b2a") + 1 >= bound);
  }
  // bit_to_arith: compare.hpp's step 3 alone (server 0 sends T² only; no bits to send).
  check_op(m, "t:bit_to_arith", M::bit_to_arith(n));
  check_op(m, "t:bit_inject", M::bit_inject(n));

  // ---- a summary of the measured figures (bytes per value sent by each server, latency) ---------------
  if (n % 64 == 0) {
    std::string table;
    for (const char* tag : {"t:mul", "t:mul_public", "t:relu", "t:relu_full", "t:less", "t:equal", "t:and", "t:a2b",
                            "t:b2a", "t:bit_to_arith", "t:bit_inject", "t:reveal_bob", "t:input"}) {
      const std::string who = std::string(tag) == "t:input" ? "alice " : "";
      table += "\n  " + std::string(tag).substr(2) + ": ";
      if (!who.empty()) {
        table += who + std::to_string(static_cast<double>(st[ALICE].tag(tag).bytes_sent) / static_cast<double>(n));
      } else {
        for (std::size_t p : {S0, S1, S2})
          table += std::to_string(static_cast<double>(st[p].tag(tag).bytes_sent) / static_cast<double>(n)) + " ";
      }
      table += " bytes/value, " + std::to_string(latency(tag)) + " rounds";
    }
    MESSAGE("aby3<ring", ell, "> n = ", n, " (bytes per value sent by server0 server1 server2):", table);
  }

  // ---- input/output players take no part in the computation ------------------------------------------
  for (std::size_t p : {ALICE, BOB}) {
    CAPTURE(p);
    for (const char* tag :
         {"t:mul", "t:matmul", "t:conv2d", "t:relu", "t:less", "t:equal", "t:a2b", "t:and", "t:b2a", "t:bit_inject"}) {
      INFO(tag, ": ", st[p].tag(tag));
      CHECK(silent(st[p].tag(tag)));
    }
  }
}

}  // namespace

TEST_CASE("aby3<ring64> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring64>(n);
}

TEST_CASE("aby3<ring128> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring128>(n);
}

TEST_CASE("rounds do not grow with the number of values (vectorized, never chunked)") {
  using P = tfe::aby3<tfe::ring64>;
  std::vector<std::uint64_t> lat;
  for (std::size_t n : {std::size_t(1), std::size_t(64), std::size_t(100000)}) {
    auto m = run_measured<P>([n](tfe::session<P>& s, auto& phase) {
      auto x = s.define_private_input("alice", [n] { return xt::xarray<double>(xt::ones<double>({n}) * -0.5); });
      auto sc = phase("t:relu");
      (void)tfe::relu(x);
    });
    lat.push_back(m.latency_of("t:relu"));
    CHECK(m.stats[S1].tag("t:relu").messages_sent == M64::relu(n, 32).player[S1].messages_sent);
  }
  CHECK(lat[0] == 8);
  CHECK(lat[1] == 8);
  CHECK(lat[2] == 8);
}

TEST_CASE("circuit sizes: the formulas the cost checks use") {
  // A < 2g: at most two gates per combined group; levels = ⌈log2 g⌉; zero test g − 1 gates.
  for (std::uint64_t k = 2; k <= 128; ++k) {
    CAPTURE(k);
    const auto s = M64::sign_circuit(k), z = M64::zero_circuit(k);
    CHECK(s.groups == k / 2);  // ⌈(k − 1)/2⌉
    CHECK(s.ands < 2 * s.groups);
    CHECK(z.groups == (k + 1) / 2);
    CHECK(z.ands + 1 == z.groups);
    CHECK(s.levels + 3 <= ceil_log2(k) + 2);  // the sign's latency: ≤ log2(ℓ) + 2 for any width ≤ ℓ
  }
}

}  // namespace test_aby3_costs
