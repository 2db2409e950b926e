// tests/test_aby3_security.cpp: what aby3's servers hold and receive (one server's view).
//  (a) a server's parts of an input never equal the plaintext, are fresh in every run, have the
//      replicated layout, and sum to the input;
//  (b) no server ever receives a frame containing the plaintext of an input, an intermediate or an
//      output (checked at every byte offset of every frame, recorded by a test-only channel), over a
//      program using every kind of op: products, truncation, relu, comparisons, conversions, reveals;
//  (c) a server's view differs between two runs on the same inputs (fresh randomness), frame by frame;
//  (d) every word a server receives during relu / less / equal / a2b looks uniform, bit by bit,
//      whatever the input (x = 0 or x = 1000);
//  (e) so does every word a server receives in a product or AND with a constant (trivially shared)
//      operand, which only the zero sharing before the reshare re-randomizes.
#include "recording_channel.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_aby3_security {

namespace {

using namespace tfe::aby3_ops;
using namespace security_test;

constexpr std::size_t S0 = 0, S1 = 1, S2 = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};

/// v − 2 .. v + 2 (and their negations): a truncated product may be an ulp or two off its encoding.
template <class R>
void add_around(std::vector<R>& out, R v) {
  for (int d = -2; d <= 2; ++d) {
    out.push_back(R(v + R(static_cast<std::int64_t>(d))));
    out.push_back(R(R(0) - R(v + R(static_cast<std::int64_t>(d)))));
  }
}

}  // namespace

// ---- (a) shares ------------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("(a) server parts of an input are not the plaintext, replicated, and fresh each run", R, tfe::ring64,
                   tfe::ring128) {
  using P = tfe::aby3<R>;
  const std::size_t n = 512;
  xt::xarray<double> x = xt::zeros<double>({n});
  for (std::size_t i = 0; i < n; ++i) x(i) = (i % 3 == 0) ? 0.0 : 123.25 - 0.5 * static_cast<double>(i);
  const auto encoded = tfe::encode<R>(x, tfe::fixed_point_config::preset<R>());
  for (const std::string owner : {"alice", "server0", "server1", "server2"}) {
    CAPTURE(owner);
    auto run = [&] {
      return tfe::run_local<P>(players,
                               [&](auto& s) { return s.define_private_input(owner, [&] { return x; }).parts(); });
    };
    const auto r1 = run(), r2 = run();
    for (std::size_t p : {ALICE, BOB}) CHECK(r1[p].empty());
    std::size_t plaintext = 0, repeated = 0, sum_ok = 0, layout_ok = 0;
    for (std::size_t srv : {S0, S1, S2}) {
      REQUIRE(r1[srv].size() == 2);
      REQUIRE(r2[srv].size() == 2);
      for (std::size_t part : {0u, 1u})
        for (std::size_t i = 0; i < n; ++i) {
          plaintext += r1[srv][part](i) == encoded(i) || r2[srv][part](i) == encoded(i);
          repeated += r1[srv][part](i) == r2[srv][part](i);
        }
      for (std::size_t i = 0; i < n; ++i) layout_ok += r1[srv][1](i) == r1[(srv + 1) % 3][0](i);
    }
    for (std::size_t i = 0; i < n; ++i) sum_ok += R(r1[S0][0](i) + r1[S0][1](i) + r1[S1][1](i)) == encoded(i);
    CHECK(plaintext == 0);      // no part is the plaintext
    CHECK(repeated == 0);       // two runs on the same input give different parts
    CHECK(layout_ok == 3 * n);  // server i's part 1 is server i+1's part 0
    CHECK(sum_ok == n);         // and they are shares of the input
  }
}

// ---- (b), (c) views --------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("(b)(c) no server receives a plaintext; a server's view differs between runs", R, tfe::ring64,
                   tfe::ring128) {
  using P = tfe::aby3<R>;
  const std::size_t n = 1000;
  const double xv = 123.25, yv = -37.5, zv = 11.125;
  xt::xarray<double> wm = xt::ones<double>({8, 8}) * 1.75;
  auto program = [&](tfe::session<P>& s, recording_channel& ch) {
    ch.phase = "input";
    auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * xv); });
    auto y = s.define_private_input("bob", [&] { return xt::xarray<double>(xt::ones<double>({n}) * yv); });
    auto z = s.define_private_input("server1", [&] { return xt::xarray<double>(xt::ones<double>({n}) * zv); });
    auto w = s.define_private_input("alice", [&] { return wm; });
    ch.phase = "compute";
    auto xy = x * y;
    auto ww = tfe::matmul(w, w);
    auto half = x * 0.5;
    auto r = tfe::relu(x);
    auto ry = tfe::relu(y);
    auto l = tfe::less(x, z);
    auto e = tfe::equal(x, y);
    auto mx = tfe::maximum(y, z);
    auto xb = a2b(x);
    auto back = b2a(xb);
    auto inj = bit_inject(msb(y), x);
    auto sq = tfe::square(z);
    ch.phase = "output";
    (void)s.reveal_to("bob", xy);
    (void)s.reveal_to("bob", r);
    (void)s.reveal_to("server2", half);
    (void)s.reveal_to("server0", mx);
    (void)reveal_bits(xb, BOB);
    (void)s.reveal_to("alice", back);
    (void)s.reveal_to("alice", inj);
    (void)s.reveal_to("alice", sq);
    (void)s.reveal_to("alice", ww);
    (void)s.reveal_to("alice", l);
    (void)s.reveal_to("alice", e);
    (void)ry;
    ch.phase = "done";
  };
  const auto run1 = run_recorded<P>(players, program).logs;
  const auto run2 = run_recorded<P>(players, program).logs;

  // Every plaintext of the program (and a couple of ulps around the truncated products).
  std::vector<R> secrets;
  for (double v : {xv, yv, zv, 1.75, xv * yv, 1.75 * 1.75 * 8, xv / 2, zv * zv}) add_around<R>(secrets, enc<R>(v));
  // Positive control: the scanner finds a plaintext at any offset.
  {
    tfe::ring_tensor<R> clear = xt::zeros<R>({std::size_t(7)});
    clear(2) = enc<R>(xv);
    clear(5) = enc<R>(xv * yv);
    CHECK(occurrences<R>(tfe::serialize_tensor(clear), secrets) == 2);
    std::vector<std::uint8_t> bytes(3 + 2 * sizeof(R), 0);
    const R ex = enc<R>(yv);
    std::memcpy(bytes.data() + 3, &ex, sizeof(R));
    CHECK(occurrences<R>(tfe::serialize_bytes(bytes.data(), bytes.size()), secrets) == 1);
  }

  for (std::size_t srv : {S0, S1, S2}) {
    CAPTURE(players[srv]);
    // (b) no received frame contains a plaintext, at any offset.
    std::size_t hits = 0, frames = 0, bytes = 0;
    for (const auto& log : {run1[srv], run2[srv]})
      for (const auto& rec : log) {
        if (rec.sent) continue;
        ++frames;
        bytes += payload_size(rec.f);
        hits += occurrences<R>(rec.f, secrets);
      }
    MESSAGE(players[srv], " received ", frames / 2, " frames, ", bytes / 2,
            " payload bytes per run; plaintext occurrences: ", hits);
    CHECK(hits == 0);
    CHECK(frames > 0);
    // (c) the same frames arrive in both runs (the program is deterministic), with other contents.
    std::vector<const record*> a, b;
    for (const auto& rec : run1[srv])
      if (!rec.sent) a.push_back(&rec);
    for (const auto& rec : run2[srv])
      if (!rec.sent) b.push_back(&rec);
    REQUIRE(a.size() == b.size());
    std::size_t compared = 0, identical_frames = 0, words = 0, equal_words = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i]->peer == b[i]->peer);
      REQUIRE(a[i]->f.size() == b[i]->f.size());
      const auto [pa, la] = payload(a[i]->f);
      const auto [pb, lb] = payload(b[i]->f);
      if (la <= 64) continue;  // public shapes (and 16-byte seeds, which differ anyway)
      ++compared;
      identical_frames += std::memcmp(pa, pb, la) == 0;
      for (std::size_t off = 0; off + 8 <= la; off += 8) {
        ++words;
        equal_words += std::memcmp(pa + off, pb + off, 8) == 0;
      }
    }
    MESSAGE(players[srv], ": ", compared, " frames compared between two runs, ", identical_frames, " identical, ",
            equal_words, " of ", words, " words equal");
    CHECK(compared > 0);
    CHECK(identical_frames == 0);
    CHECK(equal_words * 1000 <= words);  // ≤ 0.1%: only chance collisions of padding bits
  }
  // Input players receive nothing during the computation.
  for (std::size_t p : {ALICE, BOB})
    for (const auto& rec : run1[p])
      if (!rec.sent) CHECK(rec.phase != "compute");
}

// ---- (d) the received words look uniform, whatever the input ----------------------------------------

TEST_CASE("(d) every word a server receives in relu, less, equal, a2b and products is uniform") {
  using P = tfe::aby3<tfe::ring64>;
  const std::size_t n = std::size_t(1) << 14;
  for (double value : {0.0, 1000.0}) {
    const auto logs =
        run_recorded<P>(players, [&](tfe::session<P>& s, recording_channel& ch) {
          ch.phase = "input";
          auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * value); });
          auto y = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * 0.5); });
          ch.phase = "relu";
          (void)tfe::relu(x);
          ch.phase = "less";
          (void)tfe::less(x, y);
          ch.phase = "equal";
          (void)tfe::equal(x, y);
          ch.phase = "a2b";
          (void)a2b(x);
          ch.phase = "mul";
          (void)(x * x);
          ch.phase = "done";
        }).logs;
    for (std::size_t srv : {S0, S1, S2})
      for (const std::string phase : {"relu", "less", "equal", "a2b", "mul"}) {
        const bit_counts bc = received_words(logs[srv], phase);
        if (bc.total == 0) {  // server 0 receives nothing in the sign and zero tests, server 1 nothing in x·x
          CHECK(((srv == S0 && (phase == "less" || phase == "equal")) || (srv == S1 && phase == "mul")));
          continue;
        }
        check_uniform_bits(bc, players[srv] + ", " + phase + ", x = " + std::to_string(value));
      }
  }
}

// ---- (e) the zero sharing before every reshare ---------------------------------------------------
// A product whose operand is a trivial sharing (a public constant made private: components
// (c, 0, 0)) leaves server 1's local product z_1 = 0 and the others' multiples of c, so only the
// 3-out-of-3 zero sharing α (arithmetic) / β (boolean) added before the reshare makes what a server
// receives uniform. Removing either makes this test fail (checked: without α, server 0 and 2 receive
// words whose 16 low bits are zero; without β, server 0 receives only zeros from server 1).

TEST_CASE("(e) products and ANDs with a constant operand are re-randomized before the reshare") {
  using R = tfe::ring64;
  using P = tfe::aby3<R>;
  const std::size_t n = std::size_t(1) << 14;
  const auto logs =
      run_recorded<P>(players, [&](tfe::session<P>& s, recording_channel& ch) {
        ch.phase = "input";
        auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * 1000.0); });
        auto bits = a2b(x);
        ch.phase = "mul_const";
        (void)(x * tfe::to_private(s.constant(xt::ones<double>({n}) * 3.0)));
        ch.phase = "and_const";
        (void)(bits & public_bits(s, tfe::ring_tensor<R>(xt::ones<R>({n}) * R(0xF0F0F0F0F0F0F0F0ull))));
        ch.phase = "done";
      }).logs;
  for (std::size_t srv : {S0, S1, S2})
    for (const std::string phase : {"mul_const", "and_const"}) {
      const bit_counts bc = received_words(logs[srv], phase);
      if (bc.total == 0) {  // the fused truncated product sends nothing to server 1
        CHECK((srv == S1 && phase == "mul_const"));
        continue;
      }
      check_uniform_bits(bc, players[srv] + ", " + phase);
    }
}

}  // namespace test_aby3_security
