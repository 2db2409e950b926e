// tfe/scaleout/lane_hosts.hpp: the hosts file of one lane of a scale-out run (docs/scaleout.md).
//
// A run with K lanes per party is K complete MPC instances: lane i of every party talks only to lane
// i of the other parties. Each lane is an ordinary run of the program, with its own hosts
// configuration and its own run id, derived here from the one hosts file of the run (no MPI needed):
//
//   {"run_id": "r1", "players": [
//     {"name": "server0", "host": "10.0.0.1", "port": 40001,           lane i listens on 40001 + i
//      "cert": "certs/server0.pem", "key": "certs/server0.key"},
//     {"name": "server1", "host": "10.0.0.2", "port": 40002, "cert": "certs/server1.pem",
//      "lanes": [{"host": "10.0.0.2", "port": 40002},                  or: lane by lane (K machines)
//                {"host": "10.0.0.12", "port": 40002}]},
//     ...]}
//
// A player entry without "lanes" serves lane i on its host at port + i; with "lanes", lane i is
// lanes[i] (host and port; the certificate, key and fingerprint stay the player's: every lane of a
// party is the same player, one trust domain). A file without any "lanes" is an ordinary hosts file,
// so K = 1 is exactly the existing format. Lane i's run id is "<run id>/lane-<i>-of-<K>": lanes never
// connect across (the handshake compares run ids), nor runs with a different K.
#pragma once

#include "tfe/net/hosts.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>

namespace tfe::scaleout {

/// The run id of lane `lane` of `lanes` (distinct per lane and per K).
inline std::string lane_run_id(const std::string& run_id, std::size_t lane, std::size_t lanes) {
  return tfe::detail::concat(run_id, "/lane-", lane, "-of-", lanes);
}

namespace lane_hosts_detail {

/// Where player entry `p` (JSON, already checked by parse_hosts as `e`) serves lane `lane` of `lanes`.
inline std::pair<std::string, std::uint16_t> lane_endpoint(const nlohmann::json& p, const host_entry& e,
                                                           std::size_t lane, std::size_t lanes,
                                                           const std::string& source) {
  const auto where = [&] { return tfe::detail::concat("hosts file ", source, ", player '", e.name, "', lane ", lane); };
  if (!p.contains("lanes")) {
    const std::uint64_t port = std::uint64_t(e.port) + lane;
    TFE_ENFORCE(port <= 65535, config_error, where(), ": port ", e.port, " + lane ", lane,
                " is beyond 65535 (give the player a \"lanes\" array)");
    return {e.host, static_cast<std::uint16_t>(port)};
  }
  const auto& list = p.at("lanes");
  TFE_ENFORCE(list.is_array() && list.size() == lanes, config_error, where(), ": \"lanes\" must be an array of ", lanes,
              " {\"host\", \"port\"} entries, one per lane (it has ",
              list.is_array() ? std::to_string(list.size()) : std::string("no array"), ")");
  const auto& l = list[lane];
  TFE_ENFORCE(l.is_object() && l.contains("host") && l.at("host").is_string() &&
                  !l.at("host").get<std::string>().empty() && l.contains("port") && l.at("port").is_number_integer(),
              config_error, where(), ": a lane entry needs a non-empty \"host\" and an integer \"port\", got ",
              l.dump());
  const auto port = l.at("port").get<std::int64_t>();
  TFE_ENFORCE(port >= 1 && port <= 65535, config_error, where(), ": port ", port, " is not in 1-65535");
  return {l.at("host").get<std::string>(), static_cast<std::uint16_t>(port)};
}

}  // namespace lane_hosts_detail

/// The hosts configuration of lane `lane` of `lanes`, from the run's hosts file as JSON (see the top
/// of this header). Throws config_error naming the file, the player and the lane, also when two
/// lanes of the run would listen on the same host and port.
inline hosts_config lane_hosts(const nlohmann::json& j, const std::filesystem::path& base_dir, std::size_t lane,
                               std::size_t lanes, const std::string& source = "<json>") {
  TFE_ENFORCE(lanes >= 1 && lane < lanes, config_error, "hosts file ", source, ": lane ", lane, " of ", lanes,
              " does not exist (lanes are 0 to K-1, K >= 1)");
  hosts_config h = parse_hosts(j, base_dir, source);  // checks the ordinary fields
  h.run_id = lane_run_id(h.run_id, lane, lanes);
  const auto& players = j.at("players");
  std::map<std::pair<std::string, std::uint16_t>, std::string> taken;  // every lane's endpoint: distinct
  for (std::size_t p = 0; p < h.players.size(); ++p)
    for (std::size_t l = 0; l < lanes; ++l) {
      auto at = lane_hosts_detail::lane_endpoint(players[p], h.players[p], l, lanes, source);
      const std::string who = tfe::detail::concat("player '", h.players[p].name, "' lane ", l);
      const auto [it, fresh] = taken.emplace(at, who);
      TFE_ENFORCE(fresh, config_error, "hosts file ", source, ": ", who, " and ", it->second, " both listen on ",
                  at.first, ":", at.second, " (give the players \"lanes\" arrays or ports K apart)");
      if (l == lane) h.players[p].host = at.first, h.players[p].port = at.second;
    }
  return h;
}

/// The same, read from a hosts file.
inline hosts_config load_lane_hosts(const std::filesystem::path& file, std::size_t lane, std::size_t lanes) {
  std::ifstream in(file, std::ios::binary);
  TFE_ENFORCE(in, config_error, "cannot open hosts file ", file.string());
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw config_error(tfe::detail::concat("hosts file ", file.string(), " is not valid JSON: ", e.what()));
  }
  const auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return lane_hosts(j, base, lane, lanes, file.string());
}

}  // namespace tfe::scaleout
