// tests/dp_noise_security.hpp: what the DP samplers' tests share (test_stats_dp.cpp,
// test_stats_dp_gaussian.cpp): their protocols and players, and the check that no server holds the
// noise in the clear.
#pragma once

#include <doctest/doctest.h>

#include "recording_channel.hpp"
#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace dp_test {

using plain64 = tfe::plain<tfe::ring64>;
using pond64 = tfe::pond<tfe::ring64>;
using securenn64 = tfe::securenn<tfe::ring64>;
using aby3_64 = tfe::aby3<tfe::ring64>;

/// The protocol's players and the analyst who receives the releases.
template <class P>
std::vector<std::string> players() {
  auto p = P::default_players();
  p.push_back("analyst");
  return p;
}

inline const tfe::fixed_point_config cfg64 = tfe::fixed_point_config::preset<tfe::ring64>();

/// Runs make_noise(session, n) (shares of n noise values) twice under P, revealing the noise to the
/// analyst (a test only: a mechanism reveals x + N), and checks: no frame a server receives while the
/// noise is sampled contains a large noise value (any byte offset), no share part of a server equals
/// the noise, and the two runs differ (fresh private streams). Most noise values must be large
/// (|N| ≥ 1024 ulps: small integers also occur in shape frames).
template <class P, class Noise>
void check_no_server_holds_the_noise(const std::vector<std::string>& players, std::size_t n, Noise make_noise) {
  using R = typename P::ring;
  const double scale = tfe::fixed_point_config::preset<R>().scale();
  auto run = [&] {
    return security_test::run_recorded<P>(players, [&](auto& s, security_test::recording_channel& ch) {
      ch.phase = "noise";
      auto noise = make_noise(s, n);
      ch.phase = "reveal";
      auto v = s.reveal_to("analyst", noise);
      return std::make_pair(noise.parts(), v ? *v : xt::xarray<double>());
    });
  };
  const auto r1 = run(), r2 = run();
  const auto& revealed = r1.results.back().second;
  REQUIRE(revealed.size() == n);
  std::vector<R> targets;
  std::size_t large = 0;
  for (double v : revealed) {
    const auto ulps = static_cast<std::int64_t>(std::nearbyint(v * scale));
    if (std::llabs(ulps) < 1024) continue;
    ++large;
    targets.push_back(static_cast<R>(ulps));
  }
  CHECK(large > n / 2);
  const auto servers = P::default_players();
  for (std::size_t srv = 0; srv < servers.size(); ++srv) {
    if (servers[srv].rfind("server", 0) != 0) continue;
    CAPTURE(servers[srv]);
    std::size_t hits = 0;
    const security_test::target_set<R> wanted(targets);
    for (const auto& rec : r1.logs[srv])
      if (!rec.sent && rec.phase == "noise" && security_test::element_width(rec.f) == sizeof(R))
        hits += security_test::occurrences<R>(rec.f, wanted);
    CHECK(hits == 0);
    for (const auto& part : r1.results[srv].first) {
      std::size_t equal = 0;
      for (std::size_t i = 0; i < n; ++i)
        equal += part.data()[i] == static_cast<R>(static_cast<std::int64_t>(std::nearbyint(revealed(i) * scale)));
      CHECK(equal < n / 20);
    }
  }
  std::size_t same = 0;
  for (std::size_t i = 0; i < n; ++i) same += revealed(i) == r2.results.back().second(i);
  CHECK(same < n / 10);  // fresh noise in every run
}

}  // namespace dp_test
