// tfe/serve/endpoints.hpp: where the servers listen for clients, from the hosts file.
//
// The hosts file of the servers (net/hosts.hpp) gives each server one more field, "client_port",
// the TCP port of its listener for clients (TLS, on the same host), and may list the client names
// allowed to connect (their certificates' CN or DNS SAN); without "clients", any certificate signed
// by the hosts file's CA is accepted:
//   {"ca": "certs/ca.pem", "clients": ["alice", "bob"],
//    "players": [{"name": "server0", "host": "10.0.0.1", "port": 40001, "client_port": 41001, ...}, ...]}
// Clients read the same file (they need neither "port" nor the servers' keys).
#pragma once

#include "tfe/net/hosts.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tfe::serve {

struct server_endpoint {
  std::string name;
  std::string host;
  std::uint16_t client_port = 0;
};

struct serving_config {
  hosts_config hosts;
  std::vector<server_endpoint> servers;  ///< the players with a client_port, in hosts-file order
  std::vector<std::string> clients;      ///< allowed client names; empty: any the CA signed
};

/// Reads the hosts file and its serving fields; config_error naming the file and the field.
inline serving_config load_serving_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  TFE_ENFORCE(in, config_error, "cannot open hosts file ", file.string());
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  serving_config c;
  auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  c.hosts = parse_hosts_text(text, base, file.string());
  const auto j = nlohmann::json::parse(text);  // valid: parse_hosts_text accepted it
  auto fail = [&](const std::string& what) { throw config_error("hosts file " + file.string() + ": " + what); };
  if (j.contains("clients")) {
    if (!j["clients"].is_array()) fail("\"clients\" must be an array of client names");
    for (const auto& n : j["clients"]) {
      if (!n.is_string() || n.get<std::string>().empty()) fail("\"clients\" must hold non-empty names");
      c.clients.push_back(n.get<std::string>());
    }
  }
  for (const auto& p : j["players"]) {
    if (!p.contains("client_port")) continue;
    const auto& port = p["client_port"];
    const std::string name = p["name"].get<std::string>();
    if (!port.is_number_integer() || port.get<std::int64_t>() < 1 || port.get<std::int64_t>() > 65535)
      fail("player '" + name + "' has client_port " + port.dump() + " (an integer in 1-65535)");
    c.servers.push_back({name, p["host"].get<std::string>(), static_cast<std::uint16_t>(port.get<std::int64_t>())});
  }
  if (c.servers.empty()) fail("no player has a \"client_port\" (the servers' listeners for clients)");
  return c;
}

}  // namespace tfe::serve
