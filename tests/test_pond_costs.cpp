// tests/test_pond_costs.cpp: pond's communication, checked exactly against its cost model
// protocol/pond/costs.hpp (pond_costs<R>: bytes are payload bytes as defined in net/statistics.hpp).
// Every expected figure comes from that model; the literal figures below pin the model itself to the
// ones the headers and docs state (37.875 bytes per value and 8 rounds for relu on ring64, A(32) = 55).
//
// Notation: n = elements, ℓ = ring bits, k = the fixed-point width used_bits() (32 for the ring64
// preset, 64 for ring128).
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_pond_costs {

namespace {

using tfe::op_stats;
using tfe::statistics;

constexpr std::size_t S0 = 0, S1 = 1, CP = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "crypto-producer", "alice", "bob"};
constexpr std::uint64_t P = 5;  // number of players

using tfe::costs::ceil_log2;
using expect = tfe::costs::player_cost;
using tfe::costs::op_cost;

void check_stats(const op_stats& got, const expect& e, const std::string& what) {
  INFO(what, ": got ", got, ", expected {bytes_sent: ", e.bytes_sent, ", bytes_received: ", e.bytes_received,
       ", messages_sent: ", e.messages_sent, ", messages_received: ", e.messages_received, ", rounds: ", e.rounds, "}");
  CHECK(got.bytes_sent == e.bytes_sent);
  CHECK(got.bytes_received == e.bytes_received);
  CHECK(got.messages_sent == e.messages_sent);
  CHECK(got.messages_received == e.messages_received);
  CHECK(got.rounds == e.rounds);
}

/// All traffic of one-dimensional frames: frame bytes = payload + one 16-byte header per message.
void check_frames_1d(const op_stats& got, const std::string& what) {
  INFO(what, ": got ", got, " frame_bytes_sent ", got.frame_bytes_sent);
  CHECK(got.frame_bytes_sent == got.bytes_sent + got.messages_sent * tfe::frame_header_bytes(1));
}

bool same(const op_stats& a, const op_stats& b) {
  return a.bytes_sent == b.bytes_sent && a.bytes_received == b.bytes_received &&
         a.frame_bytes_sent == b.frame_bytes_sent && a.messages_sent == b.messages_sent &&
         a.messages_received == b.messages_received && a.rounds == b.rounds;
}

bool silent(const op_stats& s) {
  return s.bytes_sent == 0 && s.bytes_received == 0 && s.messages_sent == 0 && s.messages_received == 0 &&
         s.rounds == 0;
}

/// The three protocol players' statistics under `tag` against an op's model.
void check_op(const std::vector<statistics>& st, const std::string& tag, const op_cost& c) {
  check_stats(st[S0].tag(tag), c.player[S0], tag + ": server0");
  check_stats(st[S1].tag(tag), c.player[S1], tag + ": server1");
  check_stats(st[CP].tag(tag), c.player[CP], tag + ": crypto producer");
}

// The model pinned to the figures stated in pond.hpp, compare.hpp and docs (ring64, k = 32; n = 64
// values, so that no bit-sliced row is padded).
using M64 = tfe::pond_costs<tfe::ring64>;
static_assert(tfe::costs::carry_tree(31).ands == 55 && tfe::costs::carry_tree(31).levels == 5);  // A(32) = 55
static_assert(M64::sign(64, 32).player[0].rounds == 7 && M64::sign(64, 33).player[0].rounds == 7);
static_assert(M64::relu(64, 32).player[0].bytes_sent * 1000 == 37875 * 64);  // 8 + 13.75 + 0.125 + 16
static_assert(M64::relu(64, 32).player[0].rounds == 8);
static_assert(M64::relu(64, 32).player[2].rounds == 1);  // the producer: one round
static_assert(M64::mul(64).player[0].bytes_sent == 2 * 64 * 8 && M64::mul(64).player[2].bytes_sent == 64 * 8);

// Shapes of the bilinear ops.
constexpr std::uint64_t MA = 13, MK = 17, MB = 5;                                // (MA×MK)·(MK×MB)
constexpr std::uint64_t CN = 1, CH = 8, CW = 8, CC = 3, FH = 3, FW = 3, FO = 4;  // NHWC input, HWIO filter
constexpr std::uint64_t OH = CH - FH + 1, OW = CW - FW + 1;                      // VALID, stride 1

/// Every measured op runs inside its own test scope "t:<op>" (scopes nest, so the op's own tag, entered
/// once in this program, must show exactly the same figures).
template <class R>
std::vector<statistics> run_program(std::size_t n) {
  return tfe::run_local<tfe::pond<R>>(players, [n](auto& s) {
    auto values = [n](double scale, double phase) {
      xt::xarray<double> v = xt::zeros<double>({n});
      for (std::size_t i = 0; i < n; ++i) v(i) = scale * std::sin(0.37 * static_cast<double>(i) + phase);
      return v;
    };
    auto in = [&](const char* tag, const std::string& owner, auto provider) {
      auto sc = s.op_scope(tag);
      return s.define_private_input(owner, provider);
    };
    auto a = in("t:input", "alice", [&] { return values(9.0, 0.1); });
    auto b = in("t:input_b", "alice", [&] { return values(9.0, 1.3); });
    auto v = in("t:input_server", "server0", [&] { return values(3.0, 2.0); });
    auto ma = in("t:input_ma", "alice", [] { return xt::xarray<double>(xt::ones<double>({MA, MK})); });
    auto mb = in("t:input_mb", "alice", [] { return xt::xarray<double>(xt::ones<double>({MK, MB})); });
    auto cx = in("t:input_cx", "alice", [] { return xt::xarray<double>(xt::ones<double>({CN, CH, CW, CC})); });
    auto cw = in("t:input_cw", "alice", [] { return xt::xarray<double>(xt::ones<double>({FH, FW, CC, FO})); });
    tfe::private_tensor<tfe::pond<R>> prod, relu_x;
    {
      auto sc = s.op_scope("t:mul");
      prod = a * b;
    }
    {
      auto sc = s.op_scope("t:matmul");
      (void)tfe::matmul(ma, mb);
    }
    {
      auto sc = s.op_scope("t:conv2d");
      (void)tfe::conv2d(cx, cw);
    }
    {
      auto sc = s.op_scope("t:relu");
      relu_x = tfe::relu(a);
    }
    {
      auto sc = s.op_scope("t:less");
      (void)tfe::less(a, b);
    }
    {
      auto sc = s.op_scope("t:equal");
      (void)tfe::equal(a, b);
    }
    {
      auto sc = s.op_scope("t:reveal_bob");
      (void)s.reveal_to("bob", prod);
    }
    {
      auto sc = s.op_scope("t:reveal_server1");
      (void)s.reveal_to("server1", v);
    }
    (void)relu_x;
    return s.stats();
  });
}

template <class R>
void check_costs(std::size_t n_) {
  using M = tfe::pond_costs<R>;
  const std::uint64_t n = n_;
  const std::uint64_t ell = M::ell;
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();
  CAPTURE(ell);
  CAPTURE(n);
  CAPTURE(k);
  REQUIRE(k == (ell == 64 ? 32u : 64u));

  const auto st = run_program<R>(n_);
  REQUIRE(st.size() == P);
  const auto& s0 = st[S0];
  const auto& s1 = st[S1];

  // The measured test scope and the op's own tag agree (each op is entered once in the program).
  for (std::size_t p = 0; p < P; ++p) {
    CAPTURE(p);
    for (const auto& [outer, inner] : std::map<std::string, std::string>{{"t:mul", "mul"},
                                                                         {"t:matmul", "matmul"},
                                                                         {"t:conv2d", "conv2d"},
                                                                         {"t:relu", "relu"},
                                                                         {"t:less", "less"},
                                                                         {"t:equal", "equal"}}) {
      INFO(outer, " vs ", inner, ": ", st[p].tag(outer), " / ", st[p].tag(inner));
      CHECK(st[p].tag(inner).calls == 1);
      CHECK(same(st[p].tag(outer), st[p].tag(inner)));
    }
  }

  // ---- inputs: alice (not a server) and server0; 1-D, 2-D and 4-D shapes ---------------------------------
  for (std::size_t p = 0; p < P; ++p) {
    CAPTURE(p);
    check_stats(st[p].tag("t:input"), M::input(n, 1, ALICE, P, p), "input from alice");
    check_stats(st[p].tag("t:input_server"), M::input(n, 1, S0, P, p), "input from server0");
    check_stats(st[p].tag("t:input_ma"), M::input(MA * MK, 2, ALICE, P, p), "matrix input");
    check_stats(st[p].tag("t:input_cw"), M::input(FH * FW * CC * FO, 4, ALICE, P, p), "filter input");
  }
  check_frames_1d(st[ALICE].tag("t:input"), "input frames");

  // ---- products (truncation is local: silent) ---------------------------------------------------
  check_op(st, "t:mul", M::mul(n));
  check_op(st, "t:matmul", M::matmul(MA, MK, MB));
  check_op(st, "t:conv2d", M::product(CN * OH * OW * FO, CN * CH * CW * CC + FH * FW * CC * FO));
  for (std::size_t p : {S0, S1, CP}) {
    CAPTURE(p);
    CHECK(silent(st[p].tag("truncate")));
    CHECK(st[p].tag("truncate").calls == 3);  // mul, matmul, conv2d
  }
  check_frames_1d(s0.tag("t:mul"), "mul frames");

  // ---- sign and zero tests (compare.hpp) ----------------------------------------------------------
  check_op(st, "t:relu", M::relu(n, k));
  check_frames_1d(s0.tag("t:relu"), "relu frames");
  CHECK(s0.tag("pond_sign").calls == 2);  // relu and less
  if (ell == 64 && n >= 4096) {
    // The targets, per value and per server.
    const double per_value = static_cast<double>(s0.tag("t:relu").bytes_sent) / static_cast<double>(n);
    MESSAGE("relu ring64 n=", n, ": ", per_value, " bytes per value per server, ", s0.tag("t:relu").rounds, " rounds");
    CHECK(per_value <= 48.0);
    CHECK(s0.tag("t:relu").rounds <= 6 + 4);  // log2(64) + 4
  }
  check_op(st, "t:less", M::less(n, k));
  check_frames_1d(s1.tag("t:less"), "less frames");
  check_op(st, "t:equal", M::equal(n, k));

  // ---- reveals ----------------------------------------------------------------------------------------
  for (std::size_t p = 0; p < P; ++p) {
    CAPTURE(p);
    check_stats(st[p].tag("t:reveal_bob"), M::reveal(n, BOB, p), "reveal to bob");
    check_stats(st[p].tag("t:reveal_server1"), M::reveal(n, S1, p), "reveal to server1");
  }

  // ---- input/output players take no part in the computation ------------------------------------------
  for (std::size_t p : {ALICE, BOB}) {
    CAPTURE(p);
    for (const char* tag :
         {"t:mul", "t:matmul", "t:conv2d", "t:relu", "t:less", "t:equal", "beaver", "sign", "is_zero"}) {
      INFO(tag, ": ", st[p].tag(tag));
      CHECK(silent(st[p].tag(tag)));
    }
  }
}

}  // namespace

TEST_CASE("pond<ring64> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring64>(n);
}

TEST_CASE("pond<ring128> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring128>(n);
}

TEST_CASE("carry-tree and AND-tree gate counts (the circuits of the sign and zero tests)") {
  using tfe::costs::and_tree;
  using tfe::costs::carry_tree;
  // compare.hpp: A(32) = 55 AND gates in ⌈log2 31⌉ = 5 levels (the carry tree over k − 1 positions).
  CHECK(carry_tree(31).ands == 55);
  CHECK(carry_tree(31).levels == 5);
  CHECK(carry_tree(32).levels == 5);
  // A(k) < 2(k − 1): at most two gates per combined group.
  for (std::uint64_t k = 2; k <= 128; ++k) {
    CAPTURE(k);
    CHECK(carry_tree(k - 1).levels == ceil_log2(k - 1));
    CHECK(carry_tree(k - 1).ands <= 2 * (k - 1));
    CHECK(and_tree(k).ands == k - 1);
    CHECK(and_tree(k).levels == ceil_log2(k));
    // the sign test's rounds: 1 (open c) + ⌈log2(k − 1)⌉ + 1 (bit to arithmetic)
    CHECK(tfe::pond_costs<tfe::ring64>::sign(64, k).player[0].rounds == 2 + ceil_log2(k - 1));
    CHECK(tfe::pond_costs<tfe::ring64>::zero(64, k).player[0].rounds == 2 + ceil_log2(k));
  }
}

TEST_CASE("pond<ring64> masked operands: opened once, then only the other operand is opened") {
  // pond.hpp: mask(x) opens x − a once (1 round, |x| elements per server, nothing from the crypto
  // producer); a product with a masked operand opens only the other operand (and the crypto producer
  // still sends a fresh c_1 of |z| elements).
  using R = tfe::ring64;
  using M = tfe::pond_costs<R>;
  constexpr std::size_t batches = 3;
  struct out {
    statistics st;
    std::vector<double> masked, plain;  // bob's revealed results
  };
  auto res = tfe::run_local<tfe::pond<R>>(players, [](auto& s) {
    xt::xarray<double> wv = xt::zeros<double>({MK, MB});
    for (std::size_t i = 0; i < wv.size(); ++i) wv.data()[i] = 0.25 * static_cast<double>(i % 7) - 0.5;
    auto w = s.define_private_input("alice", [&] { return wv; });
    tfe::masked_tensor<tfe::pond<R>> wm;
    {
      auto sc = s.op_scope("t:mask");
      wm = tfe::mask(w);
    }
    out o;
    for (std::size_t b = 0; b < batches; ++b) {
      xt::xarray<double> xv = xt::zeros<double>({MA, MK});
      for (std::size_t i = 0; i < xv.size(); ++i) xv.data()[i] = 0.1 * static_cast<double>((i + b) % 11) - 0.4;
      auto x = s.define_private_input("alice", [&] { return xv; });
      tfe::private_tensor<tfe::pond<R>> y;
      {
        auto sc = s.op_scope("t:matmul_masked");
        y = tfe::matmul(x, wm);
      }
      auto y_plain = tfe::matmul(x, w);
      auto m = s.reveal_to("bob", y);
      auto p = s.reveal_to("bob", y_plain);
      if (m) o.masked.insert(o.masked.end(), m->begin(), m->end());
      if (p) o.plain.insert(o.plain.end(), p->begin(), p->end());
    }
    o.st = s.stats();
    return o;
  });
  const auto& s0 = res[S0].st;
  const auto& s1 = res[S1].st;
  const auto& cp = res[CP].st;
  const op_cost mask = M::mask(MK * MB);
  check_stats(s0.tag("t:mask"), mask.player[S0], "mask: server0");
  check_stats(s1.tag("t:mask"), mask.player[S1], "mask: server1");
  check_stats(cp.tag("t:mask"), mask.player[CP], "mask: crypto producer");
  CHECK(silent(cp.tag("t:mask")));
  // Over all batches (the scope was entered `batches` times; rounds add up per entry): only x is
  // opened (MA·MK elements, one message), the producer still sends a fresh c_1.
  const op_cost masked = tfe::costs::repeated(M::product(MA * MB, MA * MK, 1), batches);
  check_stats(s0.tag("t:matmul_masked"), masked.player[S0], "masked matmul: server0");
  check_stats(s1.tag("t:matmul_masked"), masked.player[S1], "masked matmul: server1");
  check_stats(cp.tag("t:matmul_masked"), masked.player[CP], "masked matmul: crypto producer");
  for (std::size_t p : {ALICE, BOB}) {
    CHECK(silent(res[p].st.tag("t:mask")));
    CHECK(silent(res[p].st.tag("t:matmul_masked")));
  }
  // Same results as the unmasked product (each within a couple of ulps of truncation).
  REQUIRE(res[BOB].masked.size() == batches * MA * MB);
  REQUIRE(res[BOB].plain.size() == batches * MA * MB);
  for (std::size_t i = 0; i < res[BOB].masked.size(); ++i)
    CHECK(std::fabs(res[BOB].masked[i] - res[BOB].plain[i]) <= 4.0 / 65536.0);
}

}  // namespace test_pond_costs
