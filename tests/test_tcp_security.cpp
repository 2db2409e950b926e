// tests/test_tcp_security.cpp: the TCP transport as a security reviewer checks it (issue #19, item 5;
// docs/security.md): the listener binds only the hosts file's address and only while the mesh is set
// up; a flood of stray connections (silent, slow, garbage) neither stalls the set-up nor exhausts the
// listener (the oldest pending handshake is evicted beyond tfe's bound); a valid certificate of another
// name, or one that misses the hosts file's pin, is refused by the side that dials as well as by the
// side that accepts; the plain protocol over TCP only with --insecure-plain-protocol; and, with the
// player tool as processes, the "INSECURE: ..." warning on every player of a plaintext or plain run.
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "test_tcp_common.hpp"
#include "tfe/net/tcp_channel.hpp"
#include "tfe/runtime/launch.hpp"

#include <poll.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_tcp_security {

namespace {

using namespace std::chrono_literals;
using namespace tfe_tcp_test;
using tfe_test::contains;
using tfe_test::error_of;
using clock_type = std::chrono::steady_clock;
using tfe::ring64;

/// Runs fn on its own thread: the future holds "" when fn returned, else its exception's message.
std::future<std::string> start(std::function<void()> fn) {
  return std::async(std::launch::async, [fn = std::move(fn)] {
    try {
      fn();
      return std::string();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  });
}

tfe::tcp_options quick(std::chrono::milliseconds connect, bool plaintext = false) {
  tfe::tcp_options o;
  o.insecure_plaintext = plaintext;
  o.connect_timeout = connect;
  o.handshake_timeout = 2s;
  return o;
}

/// Certificates from one CA for p0, p1, p2 and mallory, made once per test binary.
const std::filesystem::path& cert_dir() {
  static const std::filesystem::path dir = [] {
    auto d = scratch_dir("tcp-security-certs");
    make_certs(d, {"p0", "p1", "p2", "mallory"});
    return d;
  }();
  return dir;
}

tfe::tls_files identity(const std::string& name) {
  const auto& d = cert_dir();
  return {(d / "ca.pem").string(), (d / (name + ".pem")).string(), (d / (name + ".key")).string()};
}

/// The local addresses of the sockets listening on `port` (IPv4 dotted, IPv6 as "[v6 HEX]"), from
/// /proc/net/tcp and /proc/net/tcp6: what the kernel really bound, whatever the code meant to.
std::vector<std::string> listeners(std::uint16_t port) {
  std::vector<std::string> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // the column titles
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string slot, local, remote, state;
      ls >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
      const std::string hex = local.substr(0, colon);
      if (hex.size() != 8) {
        out.push_back("[v6 " + hex + "]");
        continue;
      }
      const unsigned long a = std::stoul(hex, nullptr, 16);  // little-endian in the file
      out.push_back(std::to_string(a & 0xff) + "." + std::to_string((a >> 8) & 0xff) + "." +
                    std::to_string((a >> 16) & 0xff) + "." + std::to_string(a >> 24));
    }
  }
  return out;
}

/// Waits until something listens on `port` (or 5 s pass).
bool wait_listening(std::uint16_t port) {
  for (auto until = clock_type::now() + 5s; clock_type::now() < until; std::this_thread::sleep_for(5ms))
    if (!listeners(port).empty()) return true;
  return false;
}

/// Whether a TCP connection to host:port is accepted by the kernel.
bool reachable(asio::io_context& io, const std::string& host, std::uint16_t port) {
  asio::ip::tcp::socket s(io);
  asio::error_code ec;
  s.connect({asio::ip::make_address(host), port}, ec);
  return !ec;
}

/// Whether the peer closed `s` within `wait` (readable with end of stream, or reset).
bool closed_by_peer(asio::ip::tcp::socket& s, std::chrono::milliseconds wait) {
  pollfd p{s.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char c;
  return ::recv(s.native_handle(), &c, 1, MSG_DONTWAIT) <= 0;
}

/// p0 sends 42 to every other player, which checks it: the mesh formed and carries data.
void exchange_42(tfe::tcp_channel& ch) {
  if (ch.self() == 0) {
    for (std::size_t p = 1; p < ch.num_players(); ++p) ch.send<ring64>(p, tfe::ring_tensor<ring64>{42});
  } else {
    CHECK(ch.recv<ring64>(0)(0) == 42);
  }
}

}  // namespace

TEST_CASE("listener: binds the hosts file's address only (or listen_address), and only during the set-up") {
  asio::io_context io;
  SUBCASE("hosts file: 127.0.0.2") {
    auto hosts = make_hosts({"p0", "p1"}, cert_dir(), "bind");
    hosts.players[1].host = "127.0.0.2";  // a loopback address, but not 127.0.0.1 or the wildcard
    const auto port = hosts.players[1].port;
    auto p1 = start([&] {
      tfe::tcp_channel ch(hosts, "p1", quick(10s));
      exchange_42(ch);
    });
    REQUIRE(wait_listening(port));
    CHECK(listeners(port) == std::vector<std::string>{"127.0.0.2"});
    CHECK_FALSE(reachable(io, "127.0.0.1", port));    // not bound to 127.0.0.1 nor to 0.0.0.0
    CHECK(listeners(hosts.players[0].port).empty());  // player 0 never listens
    auto p0 = start([&] {
      tfe::tcp_channel ch(hosts, "p0", quick(10s));
      exchange_42(ch);
      CHECK(listeners(hosts.players[0].port).empty());
    });
    CHECK(p0.get() == "");
    CHECK(p1.get() == "");
    CHECK(listeners(port).empty());  // closed once the mesh was complete
    CHECK_FALSE(reachable(io, "127.0.0.2", port));
  }
  SUBCASE("an empty host (a hosts_config built in code) is refused, not read as the wildcard") {
    auto hosts = make_hosts({"p0", "p1"}, cert_dir(), "bind-empty");
    hosts.players[1].host.clear();
    const auto err = error_of<tfe::config_error>([&] { tfe::tcp_channel ch(hosts, "p1", quick(1s)); });
    CHECK_MESSAGE(contains(err, "'p1' has no host to listen on"), err);
    CHECK_MESSAGE(contains(err, "tcp_options::listen_address"), err);
    CHECK(listeners(hosts.players[1].port).empty());
  }
  SUBCASE("tcp_options::listen_address given explicitly: 0.0.0.0 (the check above can tell)") {
    auto hosts = make_hosts({"p0", "p1"}, cert_dir(), "bind-any");
    const auto port = hosts.players[1].port;
    auto opts = quick(10s);
    opts.listen_address = "0.0.0.0";
    auto p1 = start([&] {
      tfe::tcp_channel ch(hosts, "p1", opts);
      exchange_42(ch);
    });
    REQUIRE(wait_listening(port));
    CHECK(listeners(port) == std::vector<std::string>{"0.0.0.0"});
    auto p0 = start([&] {
      tfe::tcp_channel ch(hosts, "p0", quick(10s));
      exchange_42(ch);
    });
    CHECK(p0.get() == "");
    CHECK(p1.get() == "");
  }
}

TEST_CASE("handshake flood: 150 strays (silent, slow, garbage) on every listener do not stall the set-up") {
  const std::vector<std::string> names = {"p0", "p1", "p2"};
  // Seconds from starting every player to a complete mesh that carried data, with strays connected to
  // every listening player (p1, p2) first, each sending one byte every 100 ms while the set-up runs.
  auto setup_seconds = [&](std::size_t strays_per_listener, const std::string& run) {
    auto hosts = make_hosts(names, cert_dir(), run);
    std::vector<std::future<std::string>> players;
    asio::io_context io;
    std::vector<asio::ip::tcp::socket> strays;
    const auto listen_only = [&](std::size_t i) {  // p1 and p2 start listening, before p0 dials
      players.push_back(start([&, i] {
        tfe::tcp_channel ch(hosts, names[i], quick(20s));
        exchange_42(ch);
      }));
    };
    listen_only(2);
    listen_only(1);
    for (std::size_t l : {1, 2}) {
      REQUIRE(wait_listening(hosts.players[l].port));
      for (std::size_t k = 0; k < strays_per_listener; ++k) {
        strays.emplace_back(io);
        strays.back().connect({asio::ip::make_address("127.0.0.1"), hosts.players[l].port});
        if (k % 3 == 1) asio::write(strays.back(), asio::buffer(std::string(100, '\x17')));  // garbage
        if (k % 3 == 2) asio::write(strays.back(), asio::buffer("\x16\x03", 2));             // a TLS record, slowly
      }
    }
    const auto t0 = clock_type::now();
    players.push_back(start([&] {
      tfe::tcp_channel ch(hosts, "p0", quick(20s));
      exchange_42(ch);
    }));
    while (players.back().wait_for(100ms) != std::future_status::ready)
      for (std::size_t k = 2; k < strays.size(); k += 3) {  // slow loris: a byte at a time
        asio::error_code ec;
        asio::write(strays[k], asio::buffer("\x01", 1), ec);
      }
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    for (auto& p : players) CHECK(p.get() == "");
    return seconds;
  };
  const double quiet = setup_seconds(0, "no-flood");
  const double flooded = setup_seconds(150, "flood");
  MESSAGE("mesh set-up of 3 players over TLS: ", quiet, " s without strays, ", flooded,
          " s with 150 strays on each listener");
  CHECK(flooded < 3.0);  // the connect timeout is 20 s and each stray may hold on for 2 s
}

TEST_CASE("handshake flood: beyond max_pending_handshakes the oldest pending stray is closed, the peer joins") {
  auto hosts = make_hosts({"p0", "p1"}, cert_dir(), "evict");
  auto slow = quick(20s);
  slow.handshake_timeout = 20s;  // no stray is dropped for its time: only the bound can close them
  const auto port = hosts.players[1].port;
  auto p1 = start([&] {
    tfe::tcp_channel ch(hosts, "p1", slow);
    exchange_42(ch);
  });
  REQUIRE(wait_listening(port));
  constexpr std::size_t bound = tfe::detail::mesh_builder::max_pending_handshakes, extra = 20;
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> strays;
  for (std::size_t k = 0; k < bound + extra; ++k) {
    strays.emplace_back(io);
    strays.back().connect({asio::ip::make_address("127.0.0.1"), port});
  }
  CHECK(closed_by_peer(strays.front(), 3s));  // the oldest went first
  std::size_t closed = 0;
  for (std::size_t k = 0; k < extra; ++k) closed += closed_by_peer(strays[k], 1s);
  CHECK(closed == extra);
  CHECK_FALSE(closed_by_peer(strays.back(), 0ms));  // the newest still waits for its handshake
  auto p0 = start([&] {
    tfe::tcp_channel ch(hosts, "p0", slow);
    exchange_42(ch);
  });
  CHECK(p0.wait_for(5s) == std::future_status::ready);
  CHECK(p0.get() == "");
  CHECK(p1.get() == "");
}

TEST_CASE("certificates: a valid certificate of another name, or one that misses the pin, is refused on both sides") {
  const std::vector<std::string> names = {"p0", "p1"};
  // An impostor: player `as` of `hosts` (the mesh code itself, below the channel's own check of its
  // certificate) presenting the certificate of `holder`.
  auto impostor = [](const tfe::hosts_config& hosts, std::size_t as, const std::string& holder) {
    return start([&hosts, as, holder] {
      tfe::tls_context ctx(identity(holder));
      auto opts = quick(1500ms);
      opts.run_id = hosts.run_id;
      tfe::detail::mesh_builder(hosts, as, opts, &ctx).build();
    });
  };
  SUBCASE("dialling side: p2's valid certificate answers at p1's address") {
    auto hosts = make_hosts(names, cert_dir(), "cert-dial");
    auto fake = impostor(hosts, 1, "p2");
    const auto err = error_of<tfe::channel_error>([&] { tfe::tcp_channel ch(hosts, "p0", quick(1500ms)); });
    CHECK_MESSAGE(contains(err, "'p0' refused 'p1' at"), err);
    CHECK_MESSAGE(contains(err,
                           "before sending anything: certificate mismatch: the peer claims to be 'p1' but its "
                           "certificate (/CN=p2) names 'p2'"),
                  err);
    const auto fake_err = fake.get();  // it got the verdict instead of a hello
    CHECK_MESSAGE(contains(fake_err, "rejected by 127.0.0.1:"), fake_err);
    CHECK_MESSAGE(contains(fake_err, "certificate mismatch"), fake_err);
  }
  SUBCASE("accepting side: p2's valid certificate dials p1 claiming to be p0") {
    auto hosts = make_hosts(names, cert_dir(), "cert-accept");
    auto p1 = start([&] { tfe::tcp_channel ch(hosts, "p1", quick(1500ms)); });
    const auto fake_err = impostor(hosts, 0, "p2").get();
    const auto err = p1.get();
    CHECK_MESSAGE(contains(err, "the peer claims to be 'p0' but its certificate (/CN=p2) names 'p2'"), err);
    CHECK_MESSAGE(contains(fake_err, "rejected by 'p1'"), fake_err);
  }
  SUBCASE("dialling side: p0's hosts file pins p1 to another certificate") {
    auto hosts = make_hosts(names, cert_dir(), "cert-pin");
    auto pinned = hosts;
    const auto other = tfe::tls_context(identity("p2")).own_certificate().fingerprint;
    pinned.players[1].fingerprint = other;
    auto p1 = start([&] { tfe::tcp_channel ch(hosts, "p1", quick(1500ms)); });
    const auto err = error_of<tfe::channel_error>([&] { tfe::tcp_channel ch(pinned, "p0", quick(1500ms)); });
    CHECK_MESSAGE(contains(err, "before sending anything: certificate mismatch: 'p1' presented a certificate"), err);
    CHECK_MESSAGE(contains(err, "but the hosts file pins " + other), err);
    const auto p1_err = p1.get();
    CHECK_MESSAGE(contains(p1_err, "rejected by 127.0.0.1:"), p1_err);
  }
  SUBCASE("the right certificate and pins on both sides: accepted (the checks above can pass)") {
    auto hosts = make_hosts(names, cert_dir(), "cert-ok");
    for (std::size_t i = 0; i < 2; ++i)
      hosts.players[i].fingerprint = tfe::tls_context(identity(names[i])).own_certificate().fingerprint;
    auto p1 = start([&] {
      tfe::tcp_channel ch(hosts, "p1", quick(5s));
      exchange_42(ch);
    });
    tfe::tcp_channel ch(hosts, "p0", quick(5s));
    CHECK(ch.encrypted());
    exchange_42(ch);
    CHECK(p1.get() == "");
  }
}

TEST_CASE("the plain protocol over TCP: refused unless --insecure-plain-protocol names it; run_local needs nothing") {
  using P = tfe::plain<ring64>;
  auto hosts = make_hosts({"p0", "p1"}, cert_dir(), "plain-protocol");
  auto program = [](auto& s) {
    auto x = s.define_private_input("p1", [] { return xt::xarray<double>{1.5, -2.0}; });
    return s.reveal_to("p1", x * x);
  };
  tfe::launch_options opts;
  opts.tcp = quick(10s);
  SUBCASE("refused at once, before any connection, naming the flag") {
    const auto t0 = clock_type::now();
    const auto err = error_of<tfe::config_error>([&] { (void)tfe::run_player<P>(hosts, "p1", program, opts); });
    CHECK_MESSAGE(contains(err, "'p1' refuses to run the protocol plain<ring64> over TCP"), err);
    CHECK_MESSAGE(contains(err, "'p0' sees every private value in the clear"), err);
    CHECK_MESSAGE(contains(err, "--insecure-plain-protocol (launch_options::allow_insecure_plain_protocol)"), err);
    CHECK(clock_type::now() - t0 < 1s);  // the connect timeout is 10 s: it never tried
    CHECK(listeners(hosts.players[1].port).empty());
  }
  SUBCASE("allowed by name: it runs (and a secure protocol never needs the flag)") {
    tfe::launch_flags flags;
    flags.insecure_plain_protocol = true;
    const auto allowed = flags.options(opts);
    CHECK(allowed.allow_insecure_plain_protocol);
    CHECK_FALSE(tfe::launch_flags{}.options(opts).allow_insecure_plain_protocol);
    std::optional<xt::xarray<double>> got;
    auto p0 = start([&] { (void)tfe::run_player<P>(hosts, "p0", program, allowed); });
    auto p1 = start([&] { got = tfe::run_player<P>(hosts, "p1", program, allowed); });
    CHECK(p0.get() == "");
    CHECK(p1.get() == "");
    REQUIRE(got.has_value());
    CHECK(xt::allclose(*got, xt::xarray<double>{2.25, 4.0}));
    static_assert(tfe::provides_no_secrecy<P> && !tfe::provides_no_secrecy<tfe::pond<ring64>>);
  }
  SUBCASE("in memory (run_local): no flag, nothing leaves the process") {
    auto res = tfe::run_local<P>({"p0", "p1"}, program);
    REQUIRE(res[1].has_value());
    CHECK(xt::allclose(*res[1], xt::xarray<double>{2.25, 4.0}));
  }
}

TEST_CASE("processes: every player says INSECURE on plain TCP and on the plain protocol, none over TLS") {
  const auto dir = scratch_dir("tcp-security-proc");
  // scripts/launch_local.sh runs every player of the player tool as a process; their logs: DIR/sub/NAME.log.
  auto launch = [&](const std::string& sub, const std::string& script_args, const std::string& tool_args) {
    const std::string cmd = "bash '" TFE_SOURCE_DIR "/scripts/launch_local.sh' --quiet --timeout 60 --dir '" +
                            (dir / sub).string() + "' " + script_args + " -- '" TFE_TCP_PLAYER "' --out '" +
                            (dir / sub / "out").string() + "' --timeout 20 " + tool_args + " > '" +
                            (dir / (sub + ".txt")).string() + "' 2>&1";
    return std::system(cmd.c_str());
  };
  auto log_of = [&](const std::string& sub, const std::string& player) {
    std::ifstream in(dir / sub / (player + ".log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::vector<std::string> pond_players = {"server0", "server1", "crypto-producer", "alice", "bob"};
  const std::vector<std::string> plain_players = {"server0", "alice", "bob"};
  SUBCASE("--insecure-plaintext: every player warns, naming itself") {
    CHECK(launch("plaintext", "--insecure-plaintext --players server0,server1,crypto-producer,alice,bob",
                 "--protocol pond") == 0);
    for (const auto& p : pond_players) {
      const auto log = log_of("plaintext", p);
      CHECK_MESSAGE(contains(log, "INSECURE: plain TCP without TLS (--insecure-plaintext): '" + p + "'"), p, ": ", log);
    }
  }
  SUBCASE("TLS and Pond: no player warns (the check above can fail)") {
    CHECK(launch("tls", "--players server0,server1,crypto-producer,alice,bob", "--protocol pond") == 0);
    for (const auto& p : pond_players) CHECK_MESSAGE(!contains(log_of("tls", p), "INSECURE"), p);
  }
  SUBCASE("the plain protocol without the flag: every player refuses, naming the flag") {
    CHECK(launch("plain-refused", "--players server0,alice,bob", "--protocol plain") != 0);
    for (const auto& p : plain_players) {
      const auto log = log_of("plain-refused", p);
      CHECK_MESSAGE(contains(log, "error: " + p + ": '" + p + "' refuses to run the protocol plain<ring64> over TCP"),
                    log);
      CHECK_MESSAGE(contains(log, "--insecure-plain-protocol"), log);
    }
  }
  SUBCASE("the plain protocol with --insecure-plain-protocol: it runs, and every player warns") {
    CHECK(launch("plain-allowed", "--players server0,alice,bob", "--protocol plain --insecure-plain-protocol") == 0);
    for (const auto& p : plain_players) {
      const auto log = log_of("plain-allowed", p);
      CHECK_MESSAGE(contains(log, "INSECURE: protocol plain<ring64> over TCP (--insecure-plain-protocol)"), p, ": ",
                    log);
    }
  }
}

}  // namespace test_tcp_security
