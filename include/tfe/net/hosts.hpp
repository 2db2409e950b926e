// tfe/net/hosts.hpp: the hosts file: the players of a program (in role order), where each listens and
// which certificate identifies it.
//
//   {
//     "run_id": "2024-06-01-a",            optional: identifies the computation (tcp_options::run_id)
//     "ca": "certs/ca.pem",                the CA that signed every player certificate (TLS)
//     "players": [                         in role order: Pond is server0, server1, crypto-producer, ...
//       {"name": "server0", "host": "127.0.0.1", "port": 40001,
//        "cert": "certs/server0.pem",      its certificate: CN or a DNS SAN equal to the name
//        "key": "certs/server0.key",       its private key: only the local player's is ever read
//        "fingerprint": "sha256:ab12..."}, optional: pins this exact certificate (SHA-256 of the DER)
//       ...
//     ]
//   }
//
// Relative paths are relative to the directory of the hosts file. The players are an array (not an
// object) because their order is their role. Every process of a computation needs a hosts file with
// the same player names in the same order (the handshake compares a digest of that list); hosts,
// ports and paths may differ between the processes' files (NAT, different key locations).
// loopback_hosts makes one in memory for running every player on this machine (tests, benchmarks).
#pragma once

#include "tfe/config.hpp"
#include "tfe/crypto/prg.hpp"
#include "tfe/net/asio.hpp"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tfe {

struct host_entry {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
  std::string cert;         ///< certificate file (PEM), absolute or relative to the hosts file
  std::string key;          ///< private key file (PEM); needed for the local player only
  std::string fingerprint;  ///< optional pin: lower-case hex SHA-256 of the certificate (DER)
};

struct hosts_config {
  std::vector<host_entry> players;
  std::string ca;      ///< CA certificate file (PEM)
  std::string run_id;  ///< optional default run id
  std::string source;  ///< where it was read from (for messages)

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& p : players) out.push_back(p.name);
    return out;
  }
  /// Index of a player; throws config_error listing the players of this hosts file.
  std::size_t index_of(const std::string& name) const {
    for (std::size_t i = 0; i < players.size(); ++i)
      if (players[i].name == name) return i;
    std::string known;
    for (const auto& p : players) known += (known.empty() ? "" : ", ") + p.name;
    throw config_error(
        detail::concat("player '", name, "' is not in the hosts file ", source, " (players: ", known, ")"));
  }
  const host_entry& at(const std::string& name) const { return players[index_of(name)]; }
};

namespace detail {

inline std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

inline std::string sha256_hex(const void* data, std::size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  TFE_ENFORCE(EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr) == 1, error, "SHA-256 failed");
  return to_hex(md, len);
}

/// "sha256:AB:CD:..." or "abcd..." -> "abcd..." (64 lower-case hex digits); throws config_error.
inline std::string normalize_fingerprint(const std::string& in, const std::string& where) {
  std::string s = in;
  if (s.rfind("sha256:", 0) == 0 || s.rfind("SHA256:", 0) == 0) s = s.substr(7);
  std::string out;
  for (char c : s) {
    if (c == ':') continue;
    TFE_ENFORCE(std::isxdigit(static_cast<unsigned char>(c)), config_error, where, ": fingerprint '", in,
                "' is not hexadecimal");
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  TFE_ENFORCE(out.size() == 64, config_error, where, ": fingerprint '", in, "' is not a SHA-256 (64 hex digits)");
  return out;
}

inline std::string resolve_path(const std::string& p, const std::filesystem::path& base) {
  if (p.empty()) return p;
  std::filesystem::path path(p);
  return path.is_absolute() ? p : (base / path).lexically_normal().string();
}

}  // namespace detail

/// SHA-256 (hex) of the ordered player list: what the handshake compares.
inline std::string players_digest(const std::vector<std::string>& names) {
  std::string s = "tfe-players-v1\n" + std::to_string(names.size()) + "\n";
  for (const auto& n : names) s += std::to_string(n.size()) + ":" + n + "\n";
  return detail::sha256_hex(s.data(), s.size());
}

/// Reads a hosts configuration from JSON; relative paths are resolved against `base_dir`.
/// Throws config_error naming `source` and the problem.
inline hosts_config parse_hosts(const nlohmann::json& j, const std::filesystem::path& base_dir,
                                const std::string& source = "<json>") {
  hosts_config h;
  h.source = source;
  auto fail = [&](const std::string& what) { throw config_error("hosts file " + source + ": " + what); };
  try {
    if (!j.is_object()) fail("must be a JSON object with a \"players\" array");
    if (j.contains("run_id")) h.run_id = j.at("run_id").get<std::string>();
    if (j.contains("ca")) h.ca = detail::resolve_path(j.at("ca").get<std::string>(), base_dir);
    if (!j.contains("players") || !j.at("players").is_array() || j.at("players").empty())
      fail("needs a non-empty \"players\" array (in role order)");
    for (const auto& p : j.at("players")) {
      if (!p.is_object()) fail("every player must be an object {\"name\", \"host\", \"port\", ...}");
      host_entry e;
      e.name = p.at("name").get<std::string>();
      e.host = p.at("host").get<std::string>();
      if (e.name.empty()) fail("a player has an empty name");
      if (e.host.empty()) fail("player '" + e.name + "' has an empty host");
      // A JSON integer: a number such as 1e300 converted to an integer is undefined behaviour.
      const auto& port = p.at("port");
      if (!port.is_number_integer() || port.get<std::int64_t>() < 1 || port.get<std::int64_t>() > 65535)
        fail("player '" + e.name + "' has port " + port.dump() + " (an integer in 1-65535)");
      e.port = static_cast<std::uint16_t>(port.get<std::int64_t>());
      if (p.contains("cert")) e.cert = detail::resolve_path(p.at("cert").get<std::string>(), base_dir);
      if (p.contains("key")) e.key = detail::resolve_path(p.at("key").get<std::string>(), base_dir);
      if (p.contains("fingerprint"))
        e.fingerprint = detail::normalize_fingerprint(p.at("fingerprint").get<std::string>(),
                                                      "hosts file " + source + ", player '" + e.name + "'");
      for (const auto& q : h.players)
        if (q.name == e.name) fail("player '" + e.name + "' appears twice");
      h.players.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    fail(e.what());
  }
  return h;
}

/// Reads a hosts configuration from the text of a hosts file (JSON); relative paths are resolved
/// against `base_dir`. Throws config_error naming `source` and the problem.
inline hosts_config parse_hosts_text(const std::string& text, const std::filesystem::path& base_dir,
                                     const std::string& source = "<json>") {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw config_error(detail::concat("hosts file ", source, " is not valid JSON: ", e.what()));
  }
  return parse_hosts(j, base_dir, source);
}

/// Loads a hosts file (see the top of this header).
inline hosts_config load_hosts(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  TFE_ENFORCE(in, config_error, "cannot open hosts file ", file.string());
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  TFE_ENFORCE(!in.bad(), config_error, "cannot read hosts file ", file.string());
  auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parse_hosts_text(text, base, file.string());
}

/// The JSON of a hosts configuration (paths written as they are held).
inline nlohmann::json to_json(const hosts_config& h) {
  nlohmann::json players = nlohmann::json::array();
  for (const auto& p : h.players) {
    nlohmann::json e = {{"name", p.name}, {"host", p.host}, {"port", p.port}};
    if (!p.cert.empty()) e["cert"] = p.cert;
    if (!p.key.empty()) e["key"] = p.key;
    if (!p.fingerprint.empty()) e["fingerprint"] = "sha256:" + p.fingerprint;
    players.push_back(std::move(e));
  }
  nlohmann::json j = {{"players", players}};
  if (!h.ca.empty()) j["ca"] = h.ca;
  if (!h.run_id.empty()) j["run_id"] = h.run_id;
  return j;
}

inline void save_hosts(const hosts_config& h, const std::filesystem::path& file) {
  std::ofstream out(file);
  TFE_ENFORCE(out, config_error, "cannot write hosts file ", file.string());
  out << to_json(h).dump(2) << "\n";
}

/// The first local port the kernel takes for outgoing connections and for bind(port 0): the start of
/// Linux's /proc/sys/net/ipv4/ip_local_port_range, or of its default 32768-60999 when unreadable.
inline unsigned ephemeral_port_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned lo = 0, hi = 0;
  if (in >> lo >> hi && lo >= 1 && lo <= hi && hi <= 65535) return lo;
  return 32768;
}

/// n distinct free TCP ports on 127.0.0.1, bound together, then released for the players to bind.
/// They are drawn at random below the kernel's ephemeral range (from 10000 up to it), where no
/// outgoing connection can take one before its player binds it: with ports the kernel chose, other
/// tests' connections did (a player failed with "Address already in use" in a clean test run).
/// What remains is another process drawing the same port in the same instant. When the
/// ephemeral range leaves too little room below it, the kernel chooses (bind to port 0).
inline std::vector<std::uint16_t> free_loopback_ports(std::size_t n) {
  constexpr unsigned lowest = 10000, attempts_per_port = 200;
  const unsigned ephemeral_lo = ephemeral_port_start();
  const bool below = ephemeral_lo > lowest + 1000;
  asio::io_context io;
  const auto loopback = asio::ip::make_address("127.0.0.1");
  std::vector<asio::ip::tcp::acceptor> held;
  std::vector<std::uint16_t> ports;
  prg draws;
  for (std::size_t i = 0; i < n; ++i) {
    if (!below) {
      held.emplace_back(io, asio::ip::tcp::endpoint(loopback, 0));
      ports.push_back(held.back().local_endpoint().port());
      continue;
    }
    for (unsigned attempt = 0;; ++attempt) {
      TFE_ENFORCE(attempt < attempts_per_port, channel_error, "no free TCP port on 127.0.0.1 in ", lowest, "-",
                  ephemeral_lo - 1, " after ", attempts_per_port, " attempts");
      const auto port = static_cast<std::uint16_t>(lowest + draws.next<std::uint64_t>() % (ephemeral_lo - lowest));
      if (std::find(ports.begin(), ports.end(), port) != ports.end()) continue;
      asio::ip::tcp::acceptor a(io);
      asio::error_code ec;
      a.open(asio::ip::tcp::v4(), ec);
      if (!ec) a.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
      if (!ec) a.bind(asio::ip::tcp::endpoint(loopback, port), ec);
      if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) continue;  // taken
      held.push_back(std::move(a));
      ports.push_back(port);
      break;
    }
  }
  return ports;
}

/// A hosts configuration for `names` (in role order) all on 127.0.0.1, each on a free port
/// (free_loopback_ports), for running every player on this machine (tests, benchmarks).
/// With a non-empty `cert_dir`, the TLS files are those scripts/make_certs.sh writes there:
/// cert_dir/ca.pem, and cert_dir/NAME.pem and cert_dir/NAME.key per player; with an empty one, no
/// certificates (for tcp_options::insecure_plaintext). `run_id` and `source` (the name messages give
/// the hosts file) are copied into the result.
inline hosts_config loopback_hosts(const std::vector<std::string>& names, const std::filesystem::path& cert_dir = {},
                                   const std::string& run_id = "", const std::string& source = "<loopback>") {
  hosts_config h;
  h.run_id = run_id;
  h.source = source;
  const auto ports = free_loopback_ports(names.size());
  if (!cert_dir.empty()) h.ca = (cert_dir / "ca.pem").string();
  for (std::size_t i = 0; i < names.size(); ++i) {
    host_entry e;
    e.name = names[i];
    e.host = "127.0.0.1";
    e.port = ports[i];
    if (!cert_dir.empty()) {
      e.cert = (cert_dir / (names[i] + ".pem")).string();
      e.key = (cert_dir / (names[i] + ".key")).string();
    }
    h.players.push_back(e);
  }
  return h;
}

}  // namespace tfe
