// tests/test_session.cpp: session setup (shared PRG streams, setup statistics) and the privacy policy
// (private inputs, reveal_to, public inputs) with the plain protocol.
#include <doctest/doctest.h>

#include "tfe/protocol/plain/plain.hpp"
#include "tfe/runtime/runner.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_session {

namespace {

using P = tfe::plain<tfe::ring64>;
using S = tfe::session<P>;
using draws = std::vector<tfe::ring64>;

const std::vector<std::string> names3 = {"server0", "server1", "owner"};

draws draw(tfe::prg& g) {
  auto t = g.uniform<tfe::ring64>({4});
  return draws(t.begin(), t.end());
}

/// What one player saw of its streams right after setup.
struct streams {
  std::vector<draws> pair;  // pair[peer] (empty for self)
  draws common;
  draws priv;
  tfe::op_stats setup;
  tfe::op_stats total;
};

std::vector<streams> collect(const std::vector<std::string>& names, std::optional<std::uint64_t> seed = {}) {
  tfe::run_options opts;
  opts.session.insecure_deterministic_seed = seed;
  return tfe::run_local<P>(
      names,
      [](S& s) {
        streams out;
        out.setup = s.stats().tag("setup");
        out.total = s.stats().total;
        out.pair.resize(s.num_players());
        for (std::size_t p = 0; p < s.num_players(); ++p)
          if (p != s.id()) out.pair[p] = draw(s.pair_prg(p));
        out.common = draw(s.common_prg());
        out.priv = draw(s.private_prg());
        return out;
      },
      opts);
}

}  // namespace

TEST_CASE("pair streams agree within each pair, the common stream across all, private streams differ") {
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const std::size_t n = names.size();
  auto r = collect(names);
  REQUIRE(r.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(r[i].common == r[0].common);
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      CAPTURE(j);
      CHECK(r[i].pair[j] == r[j].pair[i]);  // same stream at both ends of the pair
      for (std::size_t k = 0; k < n; ++k)   // and different from every other pair's stream
        if (k != i && k != j) CHECK(r[i].pair[j] != r[i].pair[k]);
      CHECK(r[i].pair[j] != r[i].common);
      CHECK(r[i].priv != r[j].priv);
    }
  }
  // pair_prg(self) and out-of-range peers are refused.
  auto refused = tfe::run_local<P>({"a", "b"}, [](S& s) {
    int errors = 0;
    try {
      (void)s.pair_prg(s.id());
    } catch (const tfe::protocol_error&) {
      ++errors;
    }
    try {
      (void)s.pair_prg(7);
    } catch (const tfe::protocol_error&) {
      ++errors;
    }
    return errors;
  });
  CHECK(refused == std::vector<int>{2, 2});
}

TEST_CASE("fresh OS seeds differ between runs; insecure_deterministic_seed reproduces streams") {
  auto a = collect(names3), b = collect(names3);
  CHECK(a[0].common != b[0].common);
  CHECK(a[0].pair[1] != b[0].pair[1]);
  CHECK(a[1].pair[2] != b[1].pair[2]);
  CHECK(a[2].priv != b[2].priv);

  auto d1 = collect(names3, 42), d2 = collect(names3, 42), d3 = collect(names3, 43);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(d1[i].common == d2[i].common);
    CHECK(d1[i].priv == d2[i].priv);
    for (std::size_t j = 0; j < 3; ++j)
      if (i != j) CHECK(d1[i].pair[j] == d2[i].pair[j]);
    CHECK(d1[i].common != d3[i].common);  // another seed, other streams
    CHECK(d1[i].priv != d3[i].priv);
  }
  // Still consistent across players, and still distinct streams.
  CHECK(d1[0].pair[1] == d1[1].pair[0]);
  CHECK(d1[0].pair[1] != d1[0].pair[2]);
  CHECK(d1[0].priv != d1[1].priv);
  CHECK(d1[0].common != d1[0].priv);
}

TEST_CASE("setup statistics: one seed per pair plus player 0's common seed to every other player") {
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  const std::uint64_t n = names.size();
  auto r = collect(names);
  std::uint64_t sent = 0, received = 0;
  const std::uint64_t seed_frame = 16 + tfe::frame_header_bytes(1);
  for (std::uint64_t i = 0; i < n; ++i) {
    CAPTURE(i);
    const auto& s = r[i].setup;
    // Player i sends one seed to every higher player (and player 0 the common seed to all others),
    // and receives one from every lower player (and the common seed from player 0).
    const std::uint64_t want_sent = (n - 1 - i) + (i == 0 ? n - 1 : 0);
    const std::uint64_t want_received = i + (i == 0 ? 0 : 1);
    CHECK(s.calls == 1);
    CHECK(s.messages_sent == want_sent);
    CHECK(s.messages_received == want_received);
    CHECK(s.bytes_sent == 16 * want_sent);
    CHECK(s.bytes_received == 16 * want_received);
    CHECK(s.frame_bytes_sent == seed_frame * want_sent);
    // All sends happen before any receive, so one round for every player that sends.
    CHECK(s.rounds == (want_sent > 0 ? 1u : 0u));
    // Nothing else was sent during construction.
    CHECK(r[i].total.messages_sent == s.messages_sent);
    CHECK(r[i].total.messages_received == s.messages_received);
    sent += s.messages_sent;
    received += s.messages_received;
  }
  CHECK(sent == n * (n - 1) / 2 + (n - 1));  // pairs + (n - 1)
  CHECK(received == sent);
}

TEST_CASE("private input from a non-server owner, reveal_to and public input (plain protocol)") {
  const xt::xarray<double> value = {{1.5, -2.25, 0.0}, {3.0, -4.5, 100.125}};
  std::atomic<int> provider_calls{0};
  struct seen {
    tfe::shape_t shape;
    std::size_t parts = 0;
    std::optional<xt::xarray<double>> held;  // decoded part at player 0
    std::optional<xt::xarray<double>> revealed_owner, revealed_server0;
    xt::xarray<double> pub;
    std::string provider_ran_at;
  };
  auto r = tfe::run_local<P>(names3, [&](S& s) {
    seen out;
    auto x = s.define_private_input("owner", [&] {
      ++provider_calls;
      return value;
    });
    out.shape = x.shape();
    out.parts = x.parts().size();
    if (!x.parts().empty()) out.held = s.decode(x.parts()[0]);
    out.revealed_owner = s.reveal_to("owner", x);
    out.revealed_server0 = s.reveal_to("server0", x);
    auto pub = s.define_public_input("server1", [] { return xt::xarray<double>{7.25, -0.5}; });
    out.pub = pub.decode();
    return out;
  });
  REQUIRE(r.size() == 3);
  CHECK(provider_calls.load() == 1);  // the provider runs at the owner only
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(r[i].shape == tfe::shape_t{2, 3});  // every player knows the shape
    CHECK(r[i].pub == xt::xarray<double>{7.25, -0.5});
  }
  // plain: player 0 holds the value, the others hold nothing.
  CHECK(r[0].parts == 1);
  REQUIRE(r[0].held.has_value());
  CHECK(*r[0].held == value);
  CHECK(r[1].parts == 0);
  CHECK(r[2].parts == 0);
  // reveal_to: present only at the receiver.
  REQUIRE(r[2].revealed_owner.has_value());
  CHECK(*r[2].revealed_owner == value);
  CHECK_FALSE(r[0].revealed_owner.has_value());
  CHECK_FALSE(r[1].revealed_owner.has_value());
  REQUIRE(r[0].revealed_server0.has_value());
  CHECK(*r[0].revealed_server0 == value);
  CHECK_FALSE(r[1].revealed_server0.has_value());
  CHECK_FALSE(r[2].revealed_server0.has_value());
}

}  // namespace test_session
