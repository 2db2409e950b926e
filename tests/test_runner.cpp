// tests/test_runner.cpp: run_local: results in player order, failures reported as player_error naming the
// failing player (promptly, the others released by close), configuration errors.
#include <doctest/doctest.h>

#include "tfe/protocol/plain/plain.hpp"
#include "tfe/runtime/runner.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_runner {

namespace {

using namespace std::chrono_literals;
using P = tfe::plain<tfe::ring64>;
using S = tfe::session<P>;
using clock_type = std::chrono::steady_clock;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Runs the program expecting a player_error; returns a copy of it (or nothing if none was thrown).
template <class F>
std::optional<tfe::player_error> expect_player_error(const std::vector<std::string>& names, F&& program,
                                                     const tfe::run_options& opts = {}) {
  try {
    tfe::run_local<P>(names, program, opts);
  } catch (const tfe::player_error& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("run_local returns every player's result in player order") {
  const std::vector<std::string> names = {"alice", "bob", "carol", "dave"};
  auto results = tfe::run_local<P>(names, [](S& s) { return s.name() + "#" + std::to_string(s.id()); });
  REQUIRE(results.size() == 4);
  CHECK(results[0] == "alice#0");
  CHECK(results[1] == "bob#1");
  CHECK(results[2] == "carol#2");
  CHECK(results[3] == "dave#3");

  // Players really talk to each other: each sends its id to the next, in a ring.
  auto passed = tfe::run_local<P>(names, [](S& s) {
    const std::size_t n = s.num_players(), me = s.id();
    tfe::ring_tensor<tfe::ring64> t = {tfe::ring64(100 + me)};
    s.net().send((me + 1) % n, t);
    return s.net().recv<tfe::ring64>((me + n - 1) % n)(0);
  });
  CHECK(passed == std::vector<tfe::ring64>{103, 100, 101, 102});

  // A single player works too, and a void program returns nothing.
  auto one = tfe::run_local<P>({"solo"}, [](S& s) { return s.num_players(); });
  CHECK(one == std::vector<std::size_t>{1});
  std::atomic<int> calls{0};
  tfe::run_local<P>({"x", "y"}, [&](S&) { ++calls; });
  CHECK(calls.load() == 2);
}

TEST_CASE("run_local: a player's large tensors reuse its session's freed blocks, and only while it runs") {
  if (tfe::detail::huge_page_min_bytes == ~std::size_t(0)) return;  // a sanitizer build: no mapped blocks
  struct seen {
    bool installed;
    std::size_t hits, cached;
  };
  for (std::size_t bytes : {std::size_t(64) << 20, std::size_t(0)}) {
    tfe::run_options opts;
    opts.session.block_cache_bytes = bytes;
    auto got = tfe::run_local<P>(
        {"a", "b"},
        [](S& s) {
          const bool installed = tfe::block_cache::current() == &s.blocks();
          for (int round = 0; round < 3; ++round) {  // 4 MiB tensors made and freed three times
            tfe::ring_tensor<tfe::ring64> t = tfe::ring_tensor<tfe::ring64>::from_shape({std::size_t(1) << 19});
            t.fill(tfe::ring64(round));
            const tfe::ring_tensor<tfe::ring64> u = t + t;
            CHECK(u(7) == tfe::ring64(2 * round));
          }
          return seen{installed, s.blocks().hits(), s.blocks().cached_bytes()};
        },
        opts);
    for (const auto& g : got) {
      CAPTURE(bytes);
      CHECK(g.installed == (bytes > 0));
      if (bytes > 0) {
        CHECK(g.hits >= 4);  // rounds 2 and 3 reuse both blocks of the round before
        CHECK(g.cached <= bytes);
      } else {
        CHECK(g.hits == 0);
      }
    }
  }
  CHECK(tfe::block_cache::current() == nullptr);  // the caller's thread never had one
}

TEST_CASE("a throwing player becomes player_error, and the others are released promptly") {
  const std::vector<std::string> names = {"waiter", "thrower", "bystander"};
  tfe::run_options opts;
  opts.channel.recv_timeout = 30s;  // the others must be released by close, not by this timeout
  auto t0 = clock_type::now();
  auto err = expect_player_error(
      names,
      [](S& s) {
        if (s.id() == 1) {
          std::this_thread::sleep_for(50ms);  // let the waiter block first
          throw tfe::shape_error("matmul: shapes (2, 3) and (4, 5) do not match");
        }
        if (s.id() == 0) (void)s.net().recv<tfe::ring64>(1);  // blocked on the thrower
        if (s.id() == 2) (void)s.net().recv<tfe::ring64>(0);  // blocked on the waiter
        return 0;
      },
      opts);
  auto elapsed = clock_type::now() - t0;
  REQUIRE(err.has_value());
  CHECK(err->player() == "thrower");
  CHECK(contains(err->what(), "thrower"));
  CHECK(contains(err->what(), "matmul: shapes (2, 3) and (4, 5) do not match"));
  CHECK_THROWS_AS(err->rethrow_original(), tfe::shape_error);
  CHECK(elapsed < 10s);  // a hang check: well under the 30 s receive timeout

  // player_error is a tfe::error, so generic handlers catch it.
  CHECK_THROWS_AS(tfe::run_local<P>(names,
                                    [](S& s) {
                                      if (s.id() == 2) throw std::runtime_error("plain runtime_error");
                                    }),
                  tfe::error);
  // A non-std exception is still reported.
  auto odd = expect_player_error(names, [](S& s) {
    if (s.id() == 0) throw 42;
  });
  REQUIRE(odd.has_value());
  CHECK(odd->player() == "waiter");
  CHECK_THROWS_AS(odd->rethrow_original(), int);
}

TEST_CASE("duplicate player names are a config_error") {
  CHECK_THROWS_AS(tfe::run_local<P>({"a", "b", "a"}, [](S&) { return 0; }), tfe::config_error);
  try {
    tfe::run_local<P>({"a", "b", "b"}, [](S&) { return 0; });
    FAIL("no exception");
  } catch (const tfe::config_error& e) {
    CHECK(contains(e.what(), "'b'"));
  }
  CHECK_THROWS_AS(tfe::run_local<P>({}, [](S&) { return 0; }), tfe::config_error);
}

TEST_CASE("an unknown player name in define_private_input is a protocol_error naming it") {
  const std::vector<std::string> names = {"server0", "server1", "owner"};
  tfe::run_options opts;
  opts.channel.recv_timeout = 30s;
  auto t0 = clock_type::now();
  auto err = expect_player_error(
      names,
      [](S& s) {
        auto x = s.define_private_input("mallory", [] { return xt::xarray<double>{1.0}; });
        return x.size();
      },
      opts);
  REQUIRE(err.has_value());
  CHECK((err->player() == "server0" || err->player() == "server1" || err->player() == "owner"));
  CHECK(contains(err->what(), "mallory"));
  CHECK_THROWS_AS(err->rethrow_original(), tfe::protocol_error);
  try {
    err->rethrow_original();
  } catch (const tfe::protocol_error& e) {
    CHECK(contains(e.what(), "mallory"));
    CHECK(contains(e.what(), "server0"));  // the known players are listed
  } catch (...) {}
  CHECK(clock_type::now() - t0 < 10s);
}

TEST_CASE("an out-of-range private input: only its owner's error names the value (in-memory network)") {
  const std::vector<std::string> names = {"server0", "alice", "bob"};
  std::vector<std::string> errors(names.size());
  std::mutex m;
  auto err = expect_player_error(names, [&](S& s) {
    try {
      auto x = s.define_private_input("alice", [] { return xt::xarray<double>{1.0, 123456789.5}; });
      (void)s.reveal_to("bob", x);
    } catch (const std::exception& e) {
      std::lock_guard lock(m);
      errors[s.id()] = e.what();
      throw;
    }
  });
  REQUIRE(err);
  CHECK(err->player() == "alice");
  CHECK_THROWS_AS(err->rethrow_original(), tfe::encoding_error);
  CHECK_MESSAGE(contains(errors[1], "123456789.5"), errors[1]);  // the owner's own message names the value
  for (std::size_t p : {0, 2}) {
    CAPTURE(names[p]);
    CHECK(!errors[p].empty());  // released by the closed network
    CHECK_MESSAGE(!contains(errors[p], "123456789"), errors[p]);
  }
}

}  // namespace test_runner
