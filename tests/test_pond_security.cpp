// tests/test_pond_security.cpp: what pond's players hold and receive.
//  (a) a server's share of an input never equals the plaintext and is fresh in every run;
//  (b) no server and not the crypto producer ever receives a frame containing the plaintext of an
//      input or an output (checked on every frame, recorded by a test-only channel), and the output
//      receiver gets exactly two shares that add up to the result;
//  (c) the values server1 receives during relu/less (including the opened c = x + r) look uniform,
//      bit by bit, whatever the input.
#include "recording_channel.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_pond_security {

namespace {

using namespace security_test;

constexpr std::size_t S0 = 0, S1 = 1, CP = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "crypto-producer", "alice", "bob"};

/// v − 2 .. v + 2: a truncated product may differ from its exact encoding by an ulp or two.
template <class R>
std::vector<R> around(R v) {
  return {R(v - 2), R(v - 1), v, R(v + 1), R(v + 2)};
}

}  // namespace

// ---- (a) shares ------------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("(a) server shares of an input are not the plaintext and are fresh each run", R, tfe::ring64,
                   tfe::ring128) {
  using P = tfe::pond<R>;
  const std::size_t n = 512;
  xt::xarray<double> x = xt::zeros<double>({n});
  for (std::size_t i = 0; i < n; ++i) x(i) = (i % 3 == 0) ? 0.0 : 123.25 - 0.5 * static_cast<double>(i);
  const auto encoded = tfe::encode<R>(x, tfe::fixed_point_config::preset<R>());

  // owner: an input player (alice) and a server (server0).
  for (const std::string owner : {"alice", "server0"}) {
    CAPTURE(owner);
    auto run = [&] {
      return tfe::run_local<P>(players, [&](auto& s) {
        auto xs = s.define_private_input(owner, [&] { return x; });
        return xs.parts();
      });
    };
    const auto parts1 = run(), parts2 = run();
    for (std::size_t p : {CP, ALICE, BOB}) CHECK(parts1[p].empty());  // nobody else holds a part
    REQUIRE(parts1[S0].size() == 1);                                  // one additive share per server
    REQUIRE(parts1[S1].size() == 1);
    REQUIRE(parts2[S0].size() == 1);
    REQUIRE(parts2[S1].size() == 1);
    const std::vector<tfe::ring_tensor<R>> r1 = {parts1[S0][0], parts1[S1][0]}, r2 = {parts2[S0][0], parts2[S1][0]};
    REQUIRE(r1[S0].size() == n);
    REQUIRE(r1[S1].size() == n);
    REQUIRE(r2[S0].size() == n);
    REQUIRE(r2[S1].size() == n);
    std::size_t eq0 = 0, eq1 = 0, same0 = 0, same1 = 0, sum_ok = 0;
    for (std::size_t i = 0; i < n; ++i) {
      eq0 += r1[S0](i) == encoded(i) || r2[S0](i) == encoded(i);
      eq1 += r1[S1](i) == encoded(i) || r2[S1](i) == encoded(i);
      same0 += r1[S0](i) == r2[S0](i);
      same1 += r1[S1](i) == r2[S1](i);
      sum_ok += R(r1[S0](i) + r1[S1](i)) == encoded(i) && R(r2[S0](i) + r2[S1](i)) == encoded(i);
    }
    CHECK(eq0 == 0);    // server0's share is never the plaintext
    CHECK(eq1 == 0);    // nor server1's
    CHECK(same0 == 0);  // two runs on the same input give different shares
    CHECK(same1 == 0);
    CHECK(sum_ok == n);  // and they are shares of the input
  }
}

// ---- (b) what every player receives ---------------------------------------------------------------

TEST_CASE_TEMPLATE("(b) no server and not the crypto producer receives an input or output in the clear", R, tfe::ring64,
                   tfe::ring128) {
  using P = tfe::pond<R>;
  const std::size_t n = 1000;
  const double xv = 123.25;
  struct result {
    std::vector<double> sq, rl;
  };
  auto out = run_recorded<P>(players, [&](auto& s, recording_channel& ch) {
    ch.phase = "input";
    auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * xv); });
    ch.phase = "square";
    auto sq = x * x;
    ch.phase = "relu";
    auto rl = tfe::relu(x);
    ch.phase = "output_square";
    auto osq = s.reveal_to("bob", sq);
    ch.phase = "output_relu";
    auto orl = s.reveal_to("bob", rl);
    ch.phase = "done";
    result r;
    if (osq) r.sq.assign(osq->begin(), osq->end());
    if (orl) r.rl.assign(orl->begin(), orl->end());
    return r;
  });

  const R ex = enc<R>(xv), esq = enc<R>(xv * xv);
  std::vector<R> secrets = around<R>(esq);
  secrets.push_back(ex);  // relu(x) = x
  secrets.push_back(R(ex - 1));
  secrets.push_back(R(ex + 1));

  // Positive control: the scanner finds a plaintext at every offset where it sits, aligned or not.
  {
    tfe::ring_tensor<R> clear = xt::zeros<R>({std::size_t(7)});
    clear(2) = ex;
    clear(5) = esq;
    CHECK(occurrences<R>(tfe::serialize_tensor(clear), secrets) == 2);
    std::vector<std::uint8_t> bytes(3 + 2 * sizeof(R), 0);
    std::memcpy(bytes.data() + 3, &ex, sizeof(R));
    CHECK(occurrences<R>(tfe::serialize_bytes(bytes.data(), bytes.size()), secrets) == 1);
  }

  // Servers and the crypto producer: no received frame contains x, x·x or relu(x), at any offset.
  for (std::size_t p : {S0, S1, CP}) {
    CAPTURE(players[p]);
    std::size_t hits = 0, scanned = 0, frames = 0;
    for (const auto& rec : out.logs[p]) {
      if (rec.sent) continue;
      ++frames;
      scanned += payload_size(rec.f);
      hits += occurrences<R>(rec.f, secrets);
    }
    MESSAGE(players[p], " received ", frames, " frames, ", scanned, " payload bytes; plaintext occurrences: ", hits);
    CHECK(hits == 0);
    CHECK(frames > 0);
  }
  // The crypto producer receives nothing but seeds and public shapes (≤ 16 payload bytes a frame).
  for (const auto& rec : out.logs[CP])
    if (!rec.sent) CHECK(payload_size(rec.f) <= 16);
  // alice, the input owner, receives nothing but seeds and public shapes either.
  for (const auto& rec : out.logs[ALICE])
    if (!rec.sent) CHECK(payload_size(rec.f) <= 16);

  // bob receives the outputs only as two shares each: neither contains the plaintext, their sum is it.
  for (const std::string phase : {"output_square", "output_relu"}) {
    CAPTURE(phase);
    std::vector<const record*> shares;
    std::size_t other_bytes = 0;
    for (const auto& rec : out.logs[BOB]) {
      if (rec.sent) continue;
      if (rec.phase == phase)
        shares.push_back(&rec);
      else if (rec.phase != "setup" && rec.phase != "input" && rec.phase.rfind("output_", 0) != 0)
        other_bytes += payload_size(rec.f);
    }
    CHECK(other_bytes == 0);  // bob hears nothing during the computation
    REQUIRE(shares.size() == 2);
    CHECK(shares[0]->peer == S0);
    CHECK(shares[1]->peer == S1);
    CHECK(occurrences<R>(shares[0]->f, secrets) == 0);
    CHECK(occurrences<R>(shares[1]->f, secrets) == 0);
    auto a = elements<R>(shares[0]->f), b = elements<R>(shares[1]->f);
    REQUIRE(a.size() == n);
    REQUIRE(b.size() == n);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const R v = R(a[i] + b[i]);
      ok += phase == "output_relu" ? v == ex : (v - esq + 2 <= 4);  // |v − x·x| ≤ 2 ulp
    }
    CHECK(ok == n);
  }
  // bob's decoded results.
  REQUIRE(out.results[BOB].sq.size() == n);
  REQUIRE(out.results[BOB].rl.size() == n);
  const double ulp = tfe::fixed_point_config::preset<R>().resolution();
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(std::fabs(out.results[BOB].sq[i] - xv * xv) <= 2 * ulp);
    CHECK(out.results[BOB].rl[i] == xv);
  }
  for (std::size_t p : {S0, S1, CP, ALICE}) {
    CHECK(out.results[p].sq.empty());
    CHECK(out.results[p].rl.empty());
  }
}

// ---- (c) the received values look uniform, whatever the input -------------------------------------

namespace {

struct received_view {
  bit_counts masked;                         // server0's masked share x0 + r0 of c, as server1 receives it
  bit_counts c;                              // the opened c = x + r
  bit_counts all;                            // every 64-bit word server1 receives in the phase, from anyone
  std::array<std::uint64_t, 256> c_byte2{};  // histogram of bits 16..23 of c (the input's low integral bits)
};

/// Server1's view of one phase: the first n-element ring frame it sends to / receives from server0 is
/// its / server0's masked share of c (compare.hpp's open_masked).
received_view view_of(const std::vector<record>& log, const std::string& phase, std::size_t n) {
  received_view v;
  const tfe::frame *mine = nullptr, *theirs = nullptr;
  for (const auto& rec : log) {
    if (rec.phase != phase) continue;
    const bool full = element_width(rec.f) == 8 && payload_size(rec.f) == 8 * n;
    if (rec.sent && rec.peer == S0 && full && !mine) mine = &rec.f;
    if (!rec.sent && rec.peer == S0 && full && !theirs) theirs = &rec.f;
    if (!rec.sent && element_width(rec.f) == 8)
      for (std::uint64_t w : elements<std::uint64_t>(rec.f)) v.all.add(w);
  }
  REQUIRE(mine != nullptr);
  REQUIRE(theirs != nullptr);
  auto a = elements<std::uint64_t>(*mine), b = elements<std::uint64_t>(*theirs);
  for (std::size_t i = 0; i < n; ++i) {
    v.masked.add(b[i]);
    const std::uint64_t c = a[i] + b[i];
    v.c.add(c);
    ++v.c_byte2[(c >> 16) & 0xff];
  }
  return v;
}

}  // namespace

TEST_CASE("(c) the bit-frequency check rejects what is not uniform") {
  bit_counts constant, counter;
  for (std::uint64_t i = 0; i < (1u << 14); ++i) {
    constant.add(tfe::encode_value<tfe::ring64>(1000.0, tfe::fixed_point_config::preset<tfe::ring64>()));
    counter.add(i);
  }
  std::size_t biased_constant = 0, biased_counter = 0;
  for (unsigned b = 0; b < 64; ++b) {
    biased_constant += !constant.balanced(b);
    biased_counter += !counter.balanced(b);
  }
  CHECK(biased_constant == 64);
  CHECK(biased_counter == 64 - 14);  // bits 0..13 of a counter are balanced, the others are all 0
}

TEST_CASE("(c) what server1 receives during relu and less is uniform, for very different inputs") {
  using P = tfe::pond<tfe::ring64>;
  const std::size_t n = std::size_t(1) << 14;
  std::vector<std::array<received_view, 2>> views;  // per input: relu, less
  for (double value : {0.0, 1000.0}) {
    auto out = run_recorded<P>(players, [&](auto& s, recording_channel& ch) {
      ch.phase = "input";
      auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * value); });
      auto y = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * 0.5); });
      ch.phase = "relu";
      (void)tfe::relu(x);
      ch.phase = "less";
      (void)tfe::less(x, y);
      ch.phase = "done";
      return 0;
    });
    views.push_back({view_of(out.logs[S1], "relu", n), view_of(out.logs[S1], "less", n)});
  }
  const char* inputs[] = {"x = 0", "x = 1000"};
  const char* ops[] = {"relu", "less"};
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t o = 0; o < 2; ++o) {
      const std::string what = std::string(ops[o]) + ", " + inputs[i];
      const auto& v = views[i][o];
      check_uniform_bits(v.masked, what + ": masked share received from server0");
      check_uniform_bits(v.c, what + ": opened c = x + r");
      check_uniform_bits(v.all, what + ": every word received");
      // Bits 16..23 of c carry the input's low integral bits (1000 = 0b1111101000): still uniform.
      // Chi-square with 255 degrees of freedom (mean 255, sd ≈ 22.6); 400 is > 6 sd.
      double chi2 = 0;
      const double expected = static_cast<double>(n) / 256.0;
      for (std::uint64_t c : v.c_byte2)
        chi2 += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
      CAPTURE(what);
      CHECK(chi2 < 400.0);
    }
  // The same bit of c is set about as often for both inputs.
  for (std::size_t o = 0; o < 2; ++o)
    for (unsigned b = 0; b < 64; ++b) {
      CAPTURE(b);
      CHECK(std::fabs(views[0][o].c.freq(b) - views[1][o].c.freq(b)) <= 0.04);
    }
}

}  // namespace test_pond_security
