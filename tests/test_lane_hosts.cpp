// The hosts of one lane of a scale-out run (tfe/scaleout/lane_hosts.hpp): ports per lane, "lanes"
// arrays, run ids distinct per lane and per K, and errors naming the file, the player and the lane.
#include "expect_error.hpp"

#include <doctest/doctest.h>

#include "tfe/scaleout/lane_hosts.hpp"

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_lane_hosts {

namespace {

using nlohmann::json;
using tfe::scaleout::lane_hosts;

json three_players() {
  return json::parse(R"({"run_id": "r1", "players": [
    {"name": "server0", "host": "127.0.0.1", "port": 40000},
    {"name": "server1", "host": "127.0.0.1", "port": 40010,
     "lanes": [{"host": "10.0.0.2", "port": 41000}, {"host": "10.0.0.12", "port": 41000}]},
    {"name": "client", "host": "127.0.0.1", "port": 40020}]})");
}

std::string error_of(const json& j, std::size_t lane, std::size_t lanes) {
  return tfe_test::error_of<tfe::config_error>([&] { (void)lane_hosts(j, ".", lane, lanes, "h.json"); });
}

}  // namespace

TEST_CASE("lane i of K: port + i, or the player's lanes[i]; the run id names the lane and K") {
  const json j = three_players();
  for (std::size_t lane = 0; lane < 2; ++lane) {
    const auto h = lane_hosts(j, ".", lane, 2, "h.json");
    CHECK(h.names() == std::vector<std::string>{"server0", "server1", "client"});
    CHECK(h.players[0].port == 40000 + lane);
    CHECK(h.players[1].host == (lane == 0 ? "10.0.0.2" : "10.0.0.12"));
    CHECK(h.players[1].port == 41000);
    CHECK(h.players[2].port == 40020 + lane);
    CHECK(h.run_id == "r1/lane-" + std::to_string(lane) + "-of-2");
  }
  // Lanes never connect across (the handshake compares run ids), nor runs with another K.
  CHECK(lane_hosts(j, ".", 0, 2).run_id != lane_hosts(j, ".", 1, 2).run_id);
  json one = j;
  one["players"][1].erase("lanes");
  CHECK(lane_hosts(one, ".", 0, 1).run_id != lane_hosts(j, ".", 0, 2).run_id);
  // K = 1 without "lanes" is the ordinary hosts file.
  const auto plain = lane_hosts(one, ".", 0, 1);
  const auto ordinary = tfe::parse_hosts(one, ".");
  for (std::size_t p = 0; p < 3; ++p) {
    CHECK(plain.players[p].host == ordinary.players[p].host);
    CHECK(plain.players[p].port == ordinary.players[p].port);
  }
}

TEST_CASE("bad lanes fail naming the file, the player and the lane") {
  json j = three_players();
  CHECK(tfe_test::contains(error_of(j, 2, 2), "lane 2 of 2 does not exist"));
  CHECK(tfe_test::contains(error_of(j, 0, 3), "player 'server1', lane 0: \"lanes\" must be an array of 3"));
  json bad_port = j;
  bad_port["players"][1]["lanes"][1]["port"] = 70000;
  CHECK(tfe_test::contains(error_of(bad_port, 1, 2), "h.json, player 'server1', lane 1: port 70000 is not in 1-65535"));
  json no_host = j;
  no_host["players"][1]["lanes"][0] = json{{"port", 5}};
  CHECK(tfe_test::contains(error_of(no_host, 0, 2), "lane 0: a lane entry needs a non-empty \"host\""));
  json high = j;
  high["players"][0]["port"] = 65535;
  CHECK(tfe_test::contains(error_of(high, 0, 2), "player 'server0', lane 1: port 65535 + lane 1 is beyond 65535"));
  // Ports one apart: server0's lane 1 would take server1's port.
  json clash = j;
  clash["players"][1].erase("lanes");
  clash["players"][1]["port"] = 40001;
  CHECK(tfe_test::contains(error_of(clash, 0, 2), "both listen on 127.0.0.1:40001"));
}

}  // namespace test_lane_hosts
