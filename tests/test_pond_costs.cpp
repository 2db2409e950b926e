// tests/test_pond_costs.cpp: pond's communication, checked exactly against the costs DOCUMENTED in
// protocol/pond/pond.hpp and protocol/pond/compare.hpp (bytes are payload bytes as defined in
// net/statistics.hpp; every formula below is derived from those comments, not copied from a run).
//
// Notation: n = elements, ℓ = ring bits (E = ℓ/8 bytes per ring element), k = the fixed-point width
// used_bits() (32 for the ring64 preset, 64 for ring128), W = ⌈n/64⌉ words per bit-sliced row.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace {

using tfe::op_stats;
using tfe::statistics;

constexpr std::size_t S0 = 0, S1 = 1, CP = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "crypto-producer", "alice", "bob"};
constexpr std::uint64_t P = 5;  // number of players

std::uint64_t ceil_log2(std::uint64_t v) {
  std::uint64_t l = 0;
  while ((std::uint64_t(1) << l) < v) ++l;
  return l;
}
std::uint64_t words(std::uint64_t n) { return (n + 63) / 64; }

/// The (G, P) carry tree of compare.hpp over k−1 positions: every level with g groups combines
/// ⌊g/2⌋ pairs with 2·pairs − 1 AND gates (P_hi∧G_lo for every pair, P_hi∧P_lo for all but the
/// lowest), leaving ⌈g/2⌉ groups.
struct tree {
  std::uint64_t levels = 0, ands = 0;
};
tree carry_tree(std::uint64_t k) {
  tree t;
  for (std::uint64_t g = k - 1; g > 1; g = (g + 1) / 2) {
    const std::uint64_t pairs = g / 2;
    t.ands += 2 * pairs - 1;
    ++t.levels;
  }
  return t;
}
/// The AND tree of the zero test over `rows` rows: ⌊rows/2⌋ ANDs per level, ⌈rows/2⌉ rows remain.
tree and_tree(std::uint64_t rows) {
  tree t;
  for (std::uint64_t r = rows; r > 1; r = (r + 1) / 2) {
    t.ands += r / 2;
    ++t.levels;
  }
  return t;
}

struct expect {
  std::uint64_t bytes_sent = 0, bytes_received = 0, messages_sent = 0, messages_received = 0, rounds = 0;
};

void check_stats(const op_stats& got, const expect& e, const std::string& what) {
  INFO(what, ": got ", got);
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
  return a.bytes_sent == b.bytes_sent && a.bytes_received == b.bytes_received && a.frame_bytes_sent == b.frame_bytes_sent &&
         a.messages_sent == b.messages_sent && a.messages_received == b.messages_received && a.rounds == b.rounds;
}

bool silent(const op_stats& s) {
  return s.bytes_sent == 0 && s.bytes_received == 0 && s.messages_sent == 0 && s.messages_received == 0 && s.rounds == 0;
}

// Shapes of the bilinear ops.
constexpr std::uint64_t MA = 13, MK = 17, MB = 5;                              // (MA×MK)·(MK×MB)
constexpr std::uint64_t CN = 1, CH = 8, CW = 8, CC = 3, FH = 3, FW = 3, FO = 4;  // NHWC input, HWIO filter
constexpr std::uint64_t OH = CH - FH + 1, OW = CW - FW + 1;                     // VALID, stride 1

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
  const std::uint64_t n = n_;
  const std::uint64_t ell = tfe::ring_traits<R>::bits, E = ell / 8;
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();
  const std::uint64_t W = words(n);
  CAPTURE(ell);
  CAPTURE(n);
  CAPTURE(k);
  REQUIRE(k == (ell == 64 ? 32u : 64u));

  const auto st = run_program<R>(n_);
  REQUIRE(st.size() == P);
  const auto& s0 = st[S0];
  const auto& s1 = st[S1];
  const auto& cp = st[CP];

  // The measured test scope and the op's own tag agree (each op is entered once in the program).
  for (std::size_t p = 0; p < P; ++p) {
    CAPTURE(p);
    for (const auto& [outer, inner] : std::map<std::string, std::string>{
             {"t:mul", "mul"}, {"t:matmul", "matmul"}, {"t:conv2d", "conv2d"}, {"t:relu", "relu"}, {"t:less", "less"},
             {"t:equal", "equal"}}) {
      INFO(outer, " vs ", inner, ": ", st[p].tag(outer), " / ", st[p].tag(inner));
      CHECK(st[p].tag(inner).calls == 1);
      CHECK(same(st[p].tag(outer), st[p].tag(inner)));
    }
  }

  // ---- input from a non-server owner -----------------------------------------------------------
  // pond.hpp: the owner sends n elements to server1. session.hpp: the shape is public, sent by the
  // owner to every other player as one frame of ndim ring elements (P − 1 frames).
  {
    const std::uint64_t shape_frame = 1 * E;  // ndim = 1
    check_stats(st[ALICE].tag("t:input"), {n * E + (P - 1) * shape_frame, 0, 1 + (P - 1), 0, 1}, "input: alice");
    check_stats(s0.tag("t:input"), {0, shape_frame, 0, 1, 0}, "input: server0 (its share is PRG-derived)");
    check_stats(s1.tag("t:input"), {0, n * E + shape_frame, 0, 2, 0}, "input: server1");
    check_stats(cp.tag("t:input"), {0, shape_frame, 0, 1, 0}, "input: crypto producer");
    check_stats(st[BOB].tag("t:input"), {0, shape_frame, 0, 1, 0}, "input: bob");
    // 2-D and 4-D inputs: the shape frames grow with ndim.
    check_stats(st[ALICE].tag("t:input_ma"), {MA * MK * E + (P - 1) * 2 * E, 0, P, 0, 1}, "matrix input: alice");
    check_stats(st[ALICE].tag("t:input_cw"), {FH * FW * CC * FO * E + (P - 1) * 4 * E, 0, P, 0, 1},
                "filter input: alice");
    check_frames_1d(st[ALICE].tag("t:input"), "input frames");
  }
  // Input from a server: no share traffic at all ("from a server: no communication at all"), only the
  // public shape frames of session.hpp.
  {
    check_stats(s0.tag("t:input_server"), {(P - 1) * E, 0, P - 1, 0, 1}, "server input: server0");
    check_stats(s1.tag("t:input_server"), {0, E, 0, 1, 0}, "server input: server1");
  }

  // ---- private × private elementwise product ------------------------------------------------------
  // Each server sends e and f (2n elements, 2 messages) in 1 round; the crypto producer sends c_1
  // (n elements) to server1 only; truncation is local.
  {
    check_stats(s0.tag("t:mul"), {2 * n * E, 2 * n * E, 2, 2, 1}, "mul: server0");
    check_stats(s1.tag("t:mul"), {2 * n * E, 2 * n * E + n * E, 2, 3, 1}, "mul: server1");
    check_stats(cp.tag("t:mul"), {n * E, 0, 1, 0, 1}, "mul: crypto producer");
    for (std::size_t p : {S0, S1, CP}) {
      CAPTURE(p);
      CHECK(silent(st[p].tag("truncate")));
      CHECK(st[p].tag("truncate").calls == 3);  // mul, matmul, conv2d
    }
    check_frames_1d(s0.tag("t:mul"), "mul frames");
  }

  // ---- matmul (MA×MK)·(MK×MB) ------------------------------------------------------------------
  {
    const std::uint64_t opened = (MA * MK + MK * MB) * E;
    check_stats(s0.tag("t:matmul"), {opened, opened, 2, 2, 1}, "matmul: server0");
    check_stats(s1.tag("t:matmul"), {opened, opened + MA * MB * E, 2, 3, 1}, "matmul: server1");
    check_stats(cp.tag("t:matmul"), {MA * MB * E, 0, 1, 0, 1}, "matmul: crypto producer");
  }

  // ---- conv2d private × private: the masked input and filter are opened in their own shapes -------
  {
    const std::uint64_t opened = (CN * CH * CW * CC + FH * FW * CC * FO) * E;
    const std::uint64_t out = CN * OH * OW * FO * E;
    check_stats(s0.tag("t:conv2d"), {opened, opened, 2, 2, 1}, "conv2d: server0");
    check_stats(s1.tag("t:conv2d"), {opened, opened + out, 2, 3, 1}, "conv2d: server1");
    check_stats(cp.tag("t:conv2d"), {out, 0, 1, 0, 1}, "conv2d: crypto producer");
  }

  // ---- sign bit (compare.hpp) ---------------------------------------------------------------------
  // Per server: open c (n elements, 1 round), ⌈log2(k−1)⌉ AND levels (each: one message of both
  // masked operands, 2·ands·W words), bit to arithmetic (u: W words, 1 round).
  // Crypto producer, single round: r_1 (n elements), bits of r (k·W words), AND corrections
  // (A(k)·W words, one message per level), t's bits (W words), t's arithmetic share (n elements).
  struct sign_cost {
    std::uint64_t levels, ands;
    std::uint64_t server_bytes, server_msgs, rounds;
    std::uint64_t cp_bytes, cp_msgs;
  };
  auto sign = [&](std::uint64_t width) {
    const tree t = carry_tree(width);
    REQUIRE(t.levels == ceil_log2(width - 1));  // compare.hpp: ⌈log2(k − 1)⌉ levels
    return sign_cost{t.levels,
                     t.ands,
                     n * E + 2 * t.ands * 8 * W + 8 * W,
                     1 + t.levels + 1,
                     2 + t.levels,
                     n * E + width * 8 * W + t.ands * 8 * W + 8 * W + n * E,
                     2 + t.levels + 2};
  };
  if (ell == 64) {
    CHECK(carry_tree(32).ands == 55);  // compare.hpp: A(32) = 55
    CHECK(sign(32).rounds == 7);       // compare.hpp: 7 rounds for k = 32 or 33
    CHECK(sign(33).rounds == 7);
  }

  // relu(x) = x · (1 − [x<0]): sign at width k, then one Beaver product (2n elements, 1 round;
  // the crypto producer's c_1 rides in its single round).
  {
    const sign_cost c = sign(k);
    const expect srv{c.server_bytes + 2 * n * E, 0, c.server_msgs + 2, 0, c.rounds + 1};
    expect e0 = srv, e1 = srv;
    e0.bytes_received = srv.bytes_sent;  // server0 hears only server1
    e0.messages_received = srv.messages_sent;
    e1.bytes_received = srv.bytes_sent + c.cp_bytes + n * E;
    e1.messages_received = srv.messages_sent + c.cp_msgs + 1;
    check_stats(s0.tag("t:relu"), e0, "relu: server0");
    check_stats(s1.tag("t:relu"), e1, "relu: server1");
    check_stats(cp.tag("t:relu"), {c.cp_bytes + n * E, 0, c.cp_msgs + 1, 0, 1}, "relu: crypto producer");
    check_frames_1d(s0.tag("t:relu"), "relu frames");
    // The sign alone under its own tags (relu's is the first of two sign calls: relu and less).
    CHECK(s0.tag("pond_sign").calls == 2);
    // The targets, per value and per server.
    if (ell == 64 && n >= 4096) {
      const double per_value = static_cast<double>(s0.tag("t:relu").bytes_sent) / static_cast<double>(n);
      MESSAGE("relu ring64 n=", n, ": ", per_value, " bytes per value per server, ", s0.tag("t:relu").rounds,
              " rounds");
      CHECK(per_value <= 48.0);
      CHECK(s0.tag("t:relu").rounds <= 6 + 4);  // log2(64) + 4
    }
  }

  // less(x, y) = [x − y < 0]: sign at width k + 1 (differences), no product.
  {
    const sign_cost c = sign(k + 1);
    check_stats(s0.tag("t:less"), {c.server_bytes, c.server_bytes, c.server_msgs, c.server_msgs, c.rounds}, "less: server0");
    check_stats(s1.tag("t:less"), {c.server_bytes, c.server_bytes + c.cp_bytes, c.server_msgs, c.server_msgs + c.cp_msgs, c.rounds},
                "less: server1");
    check_stats(cp.tag("t:less"), {c.cp_bytes, 0, c.cp_msgs, 0, 1}, "less: crypto producer");
    check_frames_1d(s1.tag("t:less"), "less frames");
  }

  // equal(x, y) = [x − y = 0]: same opening at width k + 1, an AND tree over the k + 1 rows
  // (⌈log2(k+1)⌉ levels, k AND gates), bit to arithmetic.
  {
    const std::uint64_t width = k + 1;
    const tree t = and_tree(width);
    CHECK(t.levels == ceil_log2(width));
    CHECK(t.ands == width - 1);
    const std::uint64_t srv = n * E + 2 * t.ands * 8 * W + 8 * W;
    const std::uint64_t msgs = 1 + t.levels + 1, rounds = 2 + t.levels;
    const std::uint64_t cpb = n * E + width * 8 * W + t.ands * 8 * W + 8 * W + n * E;
    const std::uint64_t cpm = 2 + t.levels + 2;
    check_stats(s0.tag("t:equal"), {srv, srv, msgs, msgs, rounds}, "equal: server0");
    check_stats(s1.tag("t:equal"), {srv, srv + cpb, msgs, msgs + cpm, rounds}, "equal: server1");
    check_stats(cp.tag("t:equal"), {cpb, 0, cpm, 0, 1}, "equal: crypto producer");
  }

  // ---- reveals ----------------------------------------------------------------------------------------
  // To another player: both servers send n; to a server: the other server sends n.
  {
    check_stats(s0.tag("t:reveal_bob"), {n * E, 0, 1, 0, 1}, "reveal to bob: server0");
    check_stats(s1.tag("t:reveal_bob"), {n * E, 0, 1, 0, 1}, "reveal to bob: server1");
    check_stats(st[BOB].tag("t:reveal_bob"), {0, 2 * n * E, 0, 2, 0}, "reveal to bob: bob");
    CHECK(silent(cp.tag("t:reveal_bob")));
    CHECK(silent(st[ALICE].tag("t:reveal_bob")));
    check_stats(s0.tag("t:reveal_server1"), {n * E, 0, 1, 0, 1}, "reveal to server1: server0");
    check_stats(s1.tag("t:reveal_server1"), {0, n * E, 0, 1, 0}, "reveal to server1: server1");
    for (std::size_t p : {CP, ALICE, BOB}) CHECK(silent(st[p].tag("t:reveal_server1")));
  }

  // ---- input/output players take no part in the computation ------------------------------------------
  for (std::size_t p : {ALICE, BOB}) {
    CAPTURE(p);
    for (const char* tag : {"t:mul", "t:matmul", "t:conv2d", "t:relu", "t:less", "t:equal", "beaver", "sign", "is_zero"}) {
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

TEST_CASE("carry-tree and AND-tree gate counts (the formulas the cost checks use)") {
  // compare.hpp: A(32) = 55 AND gates in ⌈log2 31⌉ = 5 levels.
  CHECK(carry_tree(32).ands == 55);
  CHECK(carry_tree(32).levels == 5);
  CHECK(carry_tree(33).levels == 5);
  // A(k) < 2(k − 1): at most two gates per combined group.
  for (std::uint64_t k = 2; k <= 128; ++k) {
    CAPTURE(k);
    CHECK(carry_tree(k).levels == ceil_log2(k - 1));
    CHECK(carry_tree(k).ands <= 2 * (k - 1));
    CHECK(and_tree(k).ands == k - 1);
    CHECK(and_tree(k).levels == ceil_log2(k));
  }
}

TEST_CASE("pond<ring64> masked operands: opened once, then only the other operand is opened") {
  // pond.hpp: mask(x) opens x − a once (1 round, |x| elements per server, nothing from the crypto
  // producer); a product with a masked operand opens only the other operand (and the crypto producer
  // still sends a fresh c_1 of |z| elements).
  using R = tfe::ring64;
  const std::uint64_t E = 8;
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
  check_stats(s0.tag("t:mask"), {MK * MB * E, MK * MB * E, 1, 1, 1}, "mask: server0");
  check_stats(s1.tag("t:mask"), {MK * MB * E, MK * MB * E, 1, 1, 1}, "mask: server1");
  CHECK(silent(cp.tag("t:mask")));
  // Over all batches (the scope was entered `batches` times; rounds add up per entry).
  const std::uint64_t nb = batches;
  check_stats(s0.tag("t:matmul_masked"), {nb * MA * MK * E, nb * MA * MK * E, nb, nb, nb}, "masked matmul: server0");
  check_stats(s1.tag("t:matmul_masked"), {nb * MA * MK * E, nb * (MA * MK + MA * MB) * E, nb, 2 * nb, nb},
              "masked matmul: server1");
  check_stats(cp.tag("t:matmul_masked"), {nb * MA * MB * E, 0, nb, 0, nb}, "masked matmul: crypto producer");
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
