// tests/test_crypto_hygiene.cpp: key and seed hygiene (docs/security.md): secure_wipe zeroes bytes;
// wipe_on_exit zeroes the buffers it guards when its scope ends, on return and on an exception, a
// vector at its final size; the session's seed transport (send_seed / recv_seed) round-trips and
// refuses a seed of the wrong size naming the sender; the streams keyed at set-up agree pairwise and
// differ between pairs under every protocol's player count. (A prg keeps its key only inside OpenSSL's
// cipher context, which EVP_CIPHER_CTX_free wipes: that part is OpenSSL's and not observable here.)
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "tfe/tfe.hpp"

#include <algorithm>
#include <stdexcept>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_crypto_hygiene {

namespace {

using tfe::seed_t;

bool all_zero(const std::uint8_t* p, std::size_t n) {
  return std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; });
}

seed_t filled(std::uint8_t v) {
  seed_t s;
  s.fill(v);
  return s;
}

}  // namespace

TEST_CASE("secure_wipe zeroes exactly the bytes it is given") {
  std::vector<std::uint8_t> b(64, 0xa5);
  tfe::secure_wipe(b.data() + 8, 32);
  CHECK(std::all_of(b.begin(), b.begin() + 8, [](auto x) { return x == 0xa5; }));
  CHECK(all_zero(b.data() + 8, 32));
  CHECK(std::all_of(b.begin() + 40, b.end(), [](auto x) { return x == 0xa5; }));
  tfe::secure_wipe(nullptr, 16);  // nothing to do, no crash
}

TEST_CASE("wipe_on_exit: the guarded seeds and vectors are zero once its scope ends, exceptions included") {
  // The buffers belong to the test and outlive the guard, so reading them afterwards is well defined.
  seed_t a = filled(0x11), b = filled(0x22), untouched = filled(0x33);
  std::vector<seed_t> many(3, filled(0x44));
  std::vector<std::uint8_t> wire(16, 0x55);
  {
    tfe::wipe_on_exit wipe(a, b, many, wire);
    wire.resize(40, 0x66);  // a vector is wiped at its size when the scope ends
    CHECK(a[0] == 0x11);    // not before
  }
  CHECK(all_zero(a.data(), a.size()));
  CHECK(all_zero(b.data(), b.size()));
  CHECK(all_zero(many.data()->data(), many.size() * 16));
  REQUIRE(wire.size() == 40);
  CHECK(all_zero(wire.data(), wire.size()));
  CHECK(untouched[0] == 0x33);

  seed_t thrown = filled(0x77);
  CHECK_THROWS_AS(
      [&] {
        tfe::wipe_on_exit wipe(thrown);
        throw std::runtime_error("unwinding");
      }(),
      std::runtime_error);
  CHECK(all_zero(thrown.data(), thrown.size()));
}

TEST_CASE("prg: fork() and next_seed() give the same stream as keying with the drawn seed") {
  auto g1 = tfe::prg::insecure_from_fixed_seed(5), g2 = tfe::prg::insecure_from_fixed_seed(5);
  auto child = g1.fork();  // draws and wipes its key
  seed_t seed = g2.next_seed();
  tfe::wipe_on_exit wipe(seed);
  tfe::prg same(seed);
  CHECK(child.next<tfe::ring64>() == same.next<tfe::ring64>());
  CHECK(g1.next<tfe::ring64>() == g2.next<tfe::ring64>());  // the parents stay in step
}

TEST_CASE("session seed transport: round trip; a frame of another size is a channel_error naming the sender") {
  using P = tfe::pond<tfe::ring64>;
  auto res = tfe::run_local<P>({"server0", "server1", "crypto-producer"}, [](tfe::session<P>& s) {
    seed_t got{};
    if (s.id() == 0) {
      s.send_seed(1, filled(0x5a));
      s.net().send_bytes(2, std::vector<std::uint8_t>(15, 1));  // one byte short
      return std::string("sent");
    }
    if (s.id() == 1) {
      s.recv_seed(0, got);
      return std::string(got == filled(0x5a) ? "same" : "different");
    }
    return tfe_test::error_of<tfe::channel_error>([&] { s.recv_seed(0, got); });
  });
  CHECK(res[1] == "same");
  CHECK_MESSAGE(tfe_test::contains(res[2], "bad seed of 15 bytes from 'server0'"), res[2]);
}

TEST_CASE("session set-up: each pair's stream is shared by exactly that pair, the common one by all (OS seeds)") {
  using P = tfe::aby3<tfe::ring64>;  // three servers and input players: every seed path of the set-up
  const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};
  // first[i][j]: player i's first value of the stream it shares with j (j == i: the common stream).
  auto first = tfe::run_local<P>(players, [](tfe::session<P>& s) {
    std::vector<tfe::ring64> v(s.num_players());
    for (std::size_t p = 0; p < s.num_players(); ++p)
      v[p] = p == s.id() ? s.common_prg().next<tfe::ring64>() : s.pair_prg(p).next<tfe::ring64>();
    return v;
  });
  const std::size_t n = players.size();
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(first[i][i] == first[0][0]);
    for (std::size_t j = 0; j < n; ++j) {
      CAPTURE(j);
      CHECK(first[i][j] == first[j][i]);
      for (std::size_t k = j + 1; k < n; ++k) CHECK(first[i][j] != first[i][k]);  // 64 random bits: no collision
    }
  }
}

}  // namespace test_crypto_hygiene
