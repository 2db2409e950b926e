// tests/tcp_thread_players.hpp: helpers for the tests that run TCP players as threads of the test
// process (test_tcp_channel, test_tcp_liveness): run_players with each player's outcome, quick
// options, the test certificates, raw sockets and a hand-written peer that speaks the handshake.
#pragma once

#include "test_tcp_common.hpp"
#include "tfe/net/asio.hpp"
#include "tfe/net/tcp_channel.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace tfe_tcp_threads {

using namespace std::chrono_literals;
using namespace tfe_tcp_test;
using clock_type = std::chrono::steady_clock;
using tfe::ring64;

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct outcome {
  bool ok = false;
  bool channel_error = false;
  std::string error;
  double seconds = 0;  // from the start of the thread to its end
};

/// Runs fn(player index) on one thread per player; records how each ended.
inline std::vector<outcome> run_players(std::size_t n, const std::function<void(std::size_t)>& fn) {
  std::vector<outcome> out(n);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto t0 = clock_type::now();
      try {
        fn(i);
        out[i].ok = true;
      } catch (const tfe::channel_error& e) {
        out[i].channel_error = true;
        out[i].error = e.what();
      } catch (const std::exception& e) {
        out[i].error = e.what();
      }
      out[i].seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    });
  for (auto& t : threads) t.join();
  return out;
}

inline tfe::tcp_options fast(bool plaintext, std::chrono::milliseconds connect = 5s) {
  tfe::tcp_options o;
  o.insecure_plaintext = plaintext;
  o.connect_timeout = connect;
  o.handshake_timeout = 2s;
  return o;
}

inline tfe::channel_options short_recv(std::chrono::milliseconds t = 5s) {
  tfe::channel_options o;
  o.recv_timeout = t;
  return o;
}

/// Certificates for the usual test players, made once per test binary.
inline const std::filesystem::path& certs() {
  static const std::filesystem::path dir = [] {
    auto d = scratch_dir("tcp-certs");
    make_certs(d, {"p0", "p1", "p2", "mallory"});
    make_certs(d / "other-ca", {"p0", "p1", "p2"});  // a second CA with the same player names
    return d;
  }();
  return dir;
}

const std::vector<std::string> names3 = {"p0", "p1", "p2"};
const std::vector<std::string> names2 = {"p0", "p1"};

/// Connects a raw TCP client to 127.0.0.1:port, retrying until the listener is up (or 5 s pass).
inline asio::ip::tcp::socket raw_connect(asio::io_context& io, std::uint16_t port) {
  auto until = clock_type::now() + 5s;
  for (;;) {
    asio::ip::tcp::socket s(io);
    asio::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) return s;
    if (clock_type::now() > until) throw std::runtime_error("raw_connect: " + ec.message());
    std::this_thread::sleep_for(10ms);
  }
}

inline void write_bytes(asio::ip::tcp::socket& s, const std::vector<std::uint8_t>& b) {
  asio::write(s, asio::buffer(b));
}

/// A hand-written plaintext peer: listens as player `me` of `hosts`, accepts one connection, completes
/// the tfe handshake honestly, then lets the test write whatever it wants.
struct fake_peer {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
  asio::ip::tcp::socket sock{io};

  explicit fake_peer(std::uint16_t port) : acceptor(io, {asio::ip::make_address("127.0.0.1"), port}) {}

  std::string read_message() {
    std::uint8_t h[8];
    asio::read(sock, asio::buffer(h, 8));
    auto hd = tfe::detail::wire::decode_header(h);
    REQUIRE(hd.length < 65536);
    std::string body(hd.length, '\0');
    asio::read(sock, asio::buffer(body.data(), body.size()));
    return body;
  }
  void accept_and_handshake(const tfe::hosts_config& hosts, std::size_t me) {
    namespace wire = tfe::detail::wire;
    acceptor.accept(sock);
    auto theirs = wire::parse_hello(read_message(), "test");
    wire::hello mine;
    mine.run_id = hosts.run_id;
    mine.players = hosts.names();
    mine.players_digest = tfe::players_digest(mine.players);
    mine.from = me;
    mine.to = theirs.from;
    auto out = wire::encode_message(wire::msg::hello, wire::encode_hello(mine));
    auto v = wire::encode_message(wire::msg::verdict, wire::encode_verdict(""));
    out.insert(out.end(), v.begin(), v.end());
    write_bytes(sock, out);
    REQUIRE(wire::parse_verdict(read_message(), "test").empty());
  }
};

/// A data message header announcing `length` bytes.
inline std::vector<std::uint8_t> data_header(std::uint64_t length) {
  std::vector<std::uint8_t> h(8);
  tfe::detail::wire::encode_header(h.data(), tfe::detail::wire::msg::data, length);
  return h;
}

}  // namespace tfe_tcp_threads
