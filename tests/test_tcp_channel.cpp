// tests/test_tcp_channel.cpp: the TCP channel with every player on its own thread of this process (each
// with its own channel and io_context): TLS and plaintext transfers in every direction, large tensors
// both ways at once, the handshake's checks, strays and garbage on a listening port, oversized frames,
// wrong certificates, peers that never connect, leave, abort or fail (liveness: test_tcp_liveness). (The loopback round-trip cost
// is measured by benchmarks/bench_tcp_roundtrip.cpp, not here.)
#include <doctest/doctest.h>

#include "tcp_thread_players.hpp"
#include "test_tcp_common.hpp"
#include "tfe/net/tcp_channel.hpp"
#include "tfe/runtime/launch.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_tcp_channel {

namespace {

using namespace tfe_tcp_test;
using namespace tfe_tcp_threads;

}  // namespace

TEST_CASE("free_loopback_ports: distinct, below the kernel's ephemeral range, and bindable once released") {
  const unsigned ephemeral_lo = tfe::ephemeral_port_start();
  REQUIRE(ephemeral_lo > 11000);  // Linux's default 32768: room below it
  for (int round = 0; round < 20; ++round) {
    const auto ports = tfe::free_loopback_ports(6);
    REQUIRE(ports.size() == 6);
    std::set<std::uint16_t> distinct(ports.begin(), ports.end());
    CHECK(distinct.size() == 6);
    asio::io_context io;
    std::vector<asio::ip::tcp::acceptor> bound;
    for (auto p : ports) {
      CHECK(p >= 10000);
      CHECK(p < ephemeral_lo);
      CHECK_NOTHROW(bound.emplace_back(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), p)));
    }
  }
  // Spread over the range, not one fixed sequence: 120 draws from ~22,000 ports.
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 20; ++i)
    for (auto p : tfe::free_loopback_ports(6)) seen.insert(p);
  CHECK(seen.size() > 100);
}

TEST_CASE("tcp: tensors in every direction, any receive order, over TLS and plaintext") {
  for (bool plain : {false, true}) {
    CAPTURE(plain);
    auto hosts = make_hosts(names3, plain ? std::filesystem::path() : certs());
    std::vector<std::vector<std::uint64_t>> got(3);
    std::vector<int> encrypted(3);
    std::vector<tfe::op_stats> stats(3);
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(plain), short_recv());
      encrypted[me] = ch.encrypted();
      for (std::size_t p = 0; p < 3; ++p)
        if (p != me) ch.send<ring64>(p, tfe::ring_tensor<ring64>{100 * me + p, 7, 8});
      // receive in descending order of sender: frames wait in per-peer FIFOs
      for (std::size_t p = 3; p-- > 0;)
        if (p != me) got[me].push_back(ch.recv<ring64>(p)(0));
      // a second round, exchanging with both peers, and an empty tensor and raw bytes
      for (std::size_t p = 0; p < 3; ++p)
        if (p != me) ch.send<ring64>(p, tfe::ring_tensor<ring64>::from_shape({0, 3}));
      for (std::size_t p = 0; p < 3; ++p)
        if (p != me) REQUIRE(ch.recv<ring64>(p).shape() == std::vector<std::size_t>{0, 3});
      stats[me] = ch.stats().total;
    });
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK_MESSAGE(res[i].ok, res[i].error);
      CHECK(encrypted[i] == (plain ? 0 : 1));
      std::vector<std::uint64_t> want;
      for (std::size_t p = 3; p-- > 0;)
        if (p != i) want.push_back(100 * p + i);
      CHECK(got[i] == want);
      CHECK(stats[i].messages_sent == 4);
      CHECK(stats[i].messages_received == 4);
      CHECK(stats[i].bytes_sent == 2 * 3 * 8);
      CHECK(stats[i].rounds == 2);
    }
  }
}

TEST_CASE("tcp: large tensors sent both ways at once do not deadlock (reader threads drain the sockets)") {
  for (bool plain : {false, true}) {
    CAPTURE(plain);
    auto hosts = make_hosts(names2, plain ? std::filesystem::path() : certs());
    const std::size_t n = std::size_t(1) << 22;  // 32 MiB each way
    std::vector<int> intact(2, 0);
    auto res = run_players(2, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names2[me], fast(plain), short_recv(30s));
      tfe::ring_tensor<ring64> big = xt::arange<ring64>(n) * ring64(me + 3);
      ch.send<ring64>(1 - me, big);  // both send first: would block forever without the readers
      auto got = ch.recv<ring64>(1 - me);
      intact[me] = got.size() == n && got(n - 1) == ring64(n - 1) * ring64(4 - me) && got(12345) == 12345 * (4 - me);
    });
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK_MESSAGE(res[i].ok, res[i].error);
      CHECK(intact[i] == 1);
    }
  }
}

TEST_CASE("tcp: the handshake rejects a different run id, player list or program, with a clear error") {
  auto run_pair = [&](const tfe::hosts_config& h0, const tfe::hosts_config& h1, tfe::tcp_options o0,
                      tfe::tcp_options o1) {
    return run_players(2, [&](std::size_t me) {
      tfe::tcp_channel ch(me == 0 ? h0 : h1, names2[me], me == 0 ? o0 : o1, short_recv());
    });
  };
  auto base = make_hosts(names2, certs(), "run-A");
  auto o = fast(false, 1500ms);
  SUBCASE("run id") {
    auto other = base;
    other.run_id = "run-B";
    auto res = run_pair(base, other, o, o);
    for (auto& r : res) {
      CHECK(r.channel_error);
      CHECK_MESSAGE(contains(r.error, "run id mismatch"), r.error);
      CHECK_MESSAGE(contains(r.error, "run-B"), r.error);
      CHECK(r.seconds < 4.0);
    }
    CHECK_MESSAGE(contains(res[0].error, "rejected by 'p1'"), res[0].error);
  }
  SUBCASE("player list") {
    auto other = base;
    other.players[0].name = "q0";
    auto res = run_players(2, [&](std::size_t me) {
      tfe::tcp_channel ch(me == 0 ? base : other, me == 0 ? "p0" : "p1", o, short_recv());
    });
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "player list mismatch"), res[0].error);
    CHECK_MESSAGE(contains(res[0].error, "[q0, p1]"), res[0].error);
  }
  SUBCASE("program") {
    auto o0 = o, o1 = o;
    o0.program = "pond<ring64>";
    o1.program = "plain<ring64>";
    auto res = run_pair(base, base, o0, o1);
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "program mismatch"), res[0].error);
  }
  SUBCASE("a stale process of an earlier run is turned away, and the right one still joins") {
    auto stale = base;
    stale.run_id = "run-0";
    std::vector<outcome> good1, stale0;
    // p1 waits (3 s); a p0 of an earlier run knocks and is rejected until it gives up; then the right p0
    std::thread p1([&] {
      good1 = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(base, "p1", fast(false, 3s), short_recv()); });
    });
    stale0 = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(stale, "p0", fast(false, 800ms), short_recv()); });
    auto good0 = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(base, "p0", fast(false, 2s), short_recv()); });
    p1.join();
    CHECK_MESSAGE(good0[0].ok, good0[0].error);
    REQUIRE(good1.size() == 1);
    CHECK_MESSAGE(good1[0].ok, good1[0].error);
    CHECK(stale0[0].channel_error);
    CHECK_MESSAGE(contains(stale0[0].error, "rejected by 'p1' at 127.0.0.1"), stale0[0].error);
    CHECK_MESSAGE(contains(stale0[0].error, "run id mismatch: 'p1' is in run 'run-A' but 'p0' is in run 'run-0'"),
                  stale0[0].error);
  }
}

TEST_CASE("tcp: a peer that never connects makes the others fail within the connect timeout, naming it") {
  auto hosts = make_hosts(names3, certs());
  auto res = run_players(2, [&](std::size_t me) { tfe::tcp_channel ch(hosts, names3[me], fast(false, 1500ms)); });
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    CHECK(res[i].channel_error);
    CHECK_MESSAGE(contains(res[i].error, "no connection to 'p2'"), res[i].error);
    CHECK_MESSAGE(contains(res[i].error, "within 1500 ms"), res[i].error);
    CHECK(res[i].seconds >= 1.4);
    CHECK(res[i].seconds < 3.5);
  }
}

TEST_CASE("tcp: strays on a listening port (silent, garbage, oversized) are rejected and do not stop the real peer") {
  for (bool plain : {false, true}) {
    CAPTURE(plain);
    auto hosts = make_hosts(names2, plain ? std::filesystem::path() : certs());
    asio::io_context io;
    std::vector<asio::ip::tcp::socket> strays;
    std::vector<outcome> res;
    std::thread p1([&] {
      res = run_players(1, [&](std::size_t) {
        tfe::tcp_channel ch(hosts, "p1", fast(plain, 4s), short_recv());
        CHECK(ch.recv<ring64>(0)(0) == 42);
      });
    });
    strays.push_back(raw_connect(io, hosts.players[1].port));  // connects and says nothing
    strays.push_back(raw_connect(io, hosts.players[1].port));
    write_bytes(strays.back(), std::vector<std::uint8_t>(100, 0xab));  // garbage
    strays.push_back(raw_connect(io, hosts.players[1].port));
    auto hello_of_a_lie = std::vector<std::uint8_t>(8);
    tfe::detail::wire::encode_header(hello_of_a_lie.data(), tfe::detail::wire::msg::hello, std::uint64_t(1) << 50);
    write_bytes(strays.back(), hello_of_a_lie);  // an oversized hello: refused before allocating
    std::this_thread::sleep_for(200ms);
    auto p0 = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p0", fast(plain, 4s), short_recv());
      ch.send<ring64>(1, tfe::ring_tensor<ring64>{42});
    });
    p1.join();
    CHECK_MESSAGE(p0[0].ok, p0[0].error);
    REQUIRE(res.size() == 1);
    CHECK_MESSAGE(res[0].ok, res[0].error);
  }
}

TEST_CASE("tcp: rejected strays are reported when the real peer never comes") {
  for (bool plain : {false, true}) {
    CAPTURE(plain);
    auto hosts = make_hosts(names2, plain ? std::filesystem::path() : certs());
    asio::io_context io;
    std::vector<outcome> res;
    std::thread p1([&] {
      res = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(hosts, "p1", fast(plain, 1500ms), short_recv()); });
    });
    auto garbage = raw_connect(io, hosts.players[1].port);
    write_bytes(garbage, std::vector<std::uint8_t>(64, 0x17));
    auto big = raw_connect(io, hosts.players[1].port);
    auto h = std::vector<std::uint8_t>(8);
    tfe::detail::wire::encode_header(h.data(), tfe::detail::wire::msg::hello, std::uint64_t(1) << 50);
    write_bytes(big, h);
    p1.join();
    REQUIRE(res.size() == 1);
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "no connection from 'p0'"), res[0].error);
    CHECK_MESSAGE(contains(res[0].error, "rejected 2 incoming connection(s)"), res[0].error);
    if (plain) {
      CHECK_MESSAGE(contains(res[0].error, "exceeds the limit of 65536 bytes"), res[0].error);
      CHECK_MESSAGE(contains(res[0].error, "not a tfe player?"), res[0].error);
    } else {
      CHECK_MESSAGE(contains(res[0].error, "TLS handshake failed"), res[0].error);
    }
    CHECK(res[0].seconds < 3.5);
  }
}

TEST_CASE("tcp: oversized and malformed frames from an authenticated peer end in channel_error") {
  auto hosts = make_hosts(names2, {});
  tfe::channel_options small = short_recv(10s);  // a refusal is at once: far below this timeout
  small.max_frame_bytes = 1 << 20;
  SUBCASE("a frame longer than max_frame_bytes is refused before allocating") {
    fake_peer fake(hosts.players[1].port);
    std::thread t([&] {
      fake.accept_and_handshake(hosts, 1);
      write_bytes(fake.sock, data_header(std::uint64_t(1) << 40));  // announces a TiB
    });
    auto res = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p0", fast(true), small);
      ch.recv<ring64>(1);
    });
    t.join();
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(
        contains(res[0].error, "frame of 1099511627776 bytes from 'p1' exceeds the maximum frame size of 1048576"),
        res[0].error);
    CHECK(res[0].seconds < 6.0);
  }
  SUBCASE("a frame whose content is garbage fails to parse") {
    fake_peer fake(hosts.players[1].port);
    std::thread t([&] {
      fake.accept_and_handshake(hosts, 1);
      auto m = data_header(20);
      m.resize(28, 0x5a);
      write_bytes(fake.sock, m);
    });
    auto res = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p0", fast(true), small);
      ch.recv<ring64>(1);
    });
    t.join();
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "malformed frame from 'p1'"), res[0].error);
  }
  SUBCASE("a connection that ends in the middle of a frame, or without a goodbye") {
    fake_peer fake(hosts.players[1].port);
    std::thread t([&] {
      fake.accept_and_handshake(hosts, 1);
      auto m = data_header(1000);
      m.resize(108, 0);
      write_bytes(fake.sock, m);
      fake.sock.close();
    });
    auto res = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p0", fast(true), small);
      ch.recv<ring64>(1);
    });
    t.join();
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "'p0' lost its connection to 'p1'"), res[0].error);
    CHECK_MESSAGE(contains(res[0].error, "middle of a message"), res[0].error);
  }
}

TEST_CASE("tcp: a send to a peer that stopped reading fails at send_timeout, or at once on abort") {
  auto hosts = make_hosts(names2, {});
  const std::size_t n = std::size_t(1) << 23;  // 64 MiB: far more than the socket buffers hold
  for (bool abort_it : {false, true}) {
    CAPTURE(abort_it);
    fake_peer fake(hosts.players[1].port);  // completes the handshake, then never reads
    std::thread t([&] { fake.accept_and_handshake(hosts, 1); });
    auto o = fast(true);
    // Bounds far apart, so that a slow machine under TSan (3.5-6 s to push 64 MiB into a full socket
    // on a 2-core VM) cannot blur them: the abort must end the send long before its 30 s timeout.
    o.send_timeout = abort_it ? 30s : 600ms;
    std::string error;
    double seconds = 0;
    {
      tfe::tcp_channel ch(hosts, "p0", o, short_recv(10s));
      t.join();
      // Made before the clock and the aborter start: only the send is timed (64 MiB of zeros take
      // seconds under TSan).
      const tfe::ring_tensor<ring64> payload = xt::zeros<ring64>({n});
      std::thread aborter;
      if (abort_it)
        aborter = std::thread([&] {
          std::this_thread::sleep_for(300ms);
          ch.abort("operator pressed stop");
        });
      const auto t0 = clock_type::now();
      try {
        ch.send<ring64>(1, payload);
      } catch (const tfe::channel_error& e) {
        error = e.what();
      }
      seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
      if (aborter.joinable()) aborter.join();
    }
    if (abort_it) {
      // blocked in the send ("...: the computation was aborted (...)"), or, on a slow machine, not yet
      // in it: either way the abort's reason
      CHECK_MESSAGE(contains(error, "operator pressed stop"), error);
      CHECK(seconds < 15.0);
    } else {
      CHECK_MESSAGE(contains(error, "timeout: 'p0' sending to 'p1'"), error);
      CHECK(seconds >= 0.5);
      CHECK(seconds < 15.0);
    }
  }
}

TEST_CASE("tcp: a client with a wrong certificate is rejected") {
  const auto& dir = certs();
  SUBCASE("signed by another CA") {
    auto hosts = make_hosts(names2, dir);
    auto bad = hosts;
    bad.players[0].cert = (dir / "other-ca" / "p0.pem").string();
    bad.players[0].key = (dir / "other-ca" / "p0.key").string();
    auto res = run_players(2, [&](std::size_t me) {
      tfe::tcp_channel ch(me == 0 ? bad : hosts, names2[me], fast(false, 1500ms), short_recv());
    });
    CHECK(res[0].channel_error);
    CHECK(res[1].channel_error);
    CHECK_MESSAGE(contains(res[1].error, "incoming connection(s)"), res[1].error);
    CHECK_MESSAGE(contains(res[1].error, "TLS handshake failed"), res[1].error);
    CHECK_MESSAGE(contains(res[1].error, "unable to get local issuer certificate"), res[1].error);
    CHECK_MESSAGE(contains(res[0].error, "no connection to 'p1'"), res[0].error);
  }
  SUBCASE("a valid certificate of another name (impersonation)") {
    auto hosts = make_hosts(names2, dir);
    std::vector<outcome> res(1);
    std::thread p1([&] {
      res = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(hosts, "p1", fast(false, 1500ms), short_recv()); });
    });
    // mallory holds a certificate from the right CA and claims to be p0 (below the channel's own check)
    tfe::tls_context mallory(
        {(dir / "ca.pem").string(), (dir / "mallory.pem").string(), (dir / "mallory.key").string()});
    auto opts = fast(false, 1200ms);
    opts.run_id = hosts.run_id;
    std::string mallory_error;
    try {
      tfe::detail::mesh_builder(hosts, 0, opts, &mallory).build();
    } catch (const tfe::channel_error& e) {
      mallory_error = e.what();
    }
    p1.join();
    CHECK_MESSAGE(contains(mallory_error, "rejected by 'p1'"), mallory_error);
    CHECK_MESSAGE(
        contains(res[0].error, "the peer claims to be 'p0' but its certificate (/CN=mallory) names 'mallory'"),
        res[0].error);
  }
  SUBCASE("a pinned fingerprint that does not match") {
    auto hosts = make_hosts(names2, dir);
    auto pinned = hosts;
    // p1 pins p0 to p2's certificate
    auto p2 = tfe::tls_context({(dir / "ca.pem").string(), (dir / "p2.pem").string(), (dir / "p2.key").string()});
    pinned.players[0].fingerprint = p2.own_certificate().fingerprint;
    auto res = run_players(2, [&](std::size_t me) {
      tfe::tcp_channel ch(me == 0 ? hosts : pinned, names2[me], fast(false, 1500ms), short_recv());
    });
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[1].error, "but the hosts file pins " + p2.own_certificate().fingerprint), res[1].error);
  }
  SUBCASE("a certificate that does not name the local player is a configuration error") {
    auto hosts = make_hosts(names2, dir);
    hosts.players[0].cert = (dir / "mallory.pem").string();
    hosts.players[0].key = (dir / "mallory.key").string();
    CHECK_THROWS_WITH_AS(tfe::tcp_channel(hosts, "p0", fast(false, 500ms)),
                         doctest::Contains("names 'mallory', not the player 'p0'"), tfe::config_error);
  }
}

TEST_CASE("tcp: after set-up, a leaving, aborting or failing peer ends in channel_error naming it") {
  auto hosts = make_hosts(names3, certs());
  SUBCASE("leaving: a peer that closes while another waits for it") {
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(false), short_recv(5s));
      if (me == 0) ch.recv<ring64>(1);
    });
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "'p1' finished its program and closed its connection"), res[0].error);
    CHECK(res[0].seconds < 4.0);
  }
  SUBCASE("aborting: every pending receive fails at once with the reason") {
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(false), short_recv(5s));
      if (me == 2) {
        std::this_thread::sleep_for(100ms);
        ch.abort("the disk is on fire");
      } else {
        ch.recv<ring64>(1 - me);  // p0 and p1 wait for each other: only the abort frees them
      }
    });
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(res[i].channel_error);
      CHECK_MESSAGE(contains(res[i].error, "player 'p2' aborted the computation: the disk is on fire"), res[i].error);
      CHECK(res[i].seconds < 4.0);
    }
  }
  SUBCASE("failing: a channel destroyed by an exception aborts") {
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(false), short_recv(5s));
      if (me == 1) throw std::runtime_error("p1 broke");
      ch.recv<ring64>(me == 0 ? 2 : 0);
    });
    for (std::size_t i : {0, 2}) {
      CHECK(res[i].channel_error);
      CHECK_MESSAGE(
          contains(res[i].error, "player 'p1' aborted the computation: 'p1' left the computation with an exception"),
          res[i].error);
      CHECK(res[i].seconds < 4.0);
    }
  }
}

TEST_CASE("run_player: the sample program over TLS in threads equals run_local; a failing player aborts all") {
  using P = tfe::pond<ring64>;
  const auto names = sample_players<P>();
  const auto dir = scratch_dir("tcp-run-player");
  make_certs(dir, names);
  auto hosts = make_hosts(names, dir);
  tfe::launch_options opts;
  opts.session.insecure_deterministic_seed = 11;
  opts.tcp.connect_timeout = 10s;
  opts.channel.recv_timeout = 10s;
  SUBCASE("results") {
    std::vector<sample_result> got(names.size());
    auto res = run_players(names.size(), [&](std::size_t me) {
      got[me] = tfe::run_player<P>(
          hosts, names[me], [](auto& s) { return sample_program(s); }, opts);
    });
    tfe::run_options ro;
    ro.session.insecure_deterministic_seed = 11;
    auto ref = tfe::run_local<P>(
        names, [](auto& s) { return sample_program(s); }, ro);
    const auto expected = sample_expected();
    for (std::size_t i = 0; i < names.size(); ++i) {
      CAPTURE(names[i]);
      REQUIRE_MESSAGE(res[i].ok, res[i].error);
      CHECK(got[i].at_alice.size() == (names[i] == "alice" ? 5u : 0u));
      CHECK(got[i].public_matmul == ref[i].public_matmul);
    }
    const auto& alice = got[3].at_alice;
    REQUIRE(alice.size() == expected.size());
    for (std::size_t k = 0; k < alice.size(); ++k) {
      CAPTURE(k);
      CHECK(alice[k] == ref[3].at_alice[k]);  // bit for bit: same seeds, same protocol, another transport
      const double err = xt::amax(xt::abs(alice[k] - expected[k]))();
      CHECK(err < 1e-3);
    }
  }
  SUBCASE("bob fails after giving his input: everybody else fails at once naming bob") {
    auto res = run_players(names.size(), [&](std::size_t me) {
      tfe::run_player<P>(
          hosts, names[me],
          [](auto& s) {
            sample_inputs in;
            auto Y = s.define_private_input("bob", [&] { return in.y; });
            if (s.name() == "bob") throw std::runtime_error("bob ran out of memory");
            // bob's second input never comes: a server holding a share of it must hear of bob's failure
            auto Z = s.define_private_input("bob", [&] { return in.y; });
            (void)s.reveal_to("alice", Y * Z);
          },
          opts);
    });
    for (std::size_t i = 0; i < names.size(); ++i) {
      CAPTURE(names[i]);
      if (names[i] == "bob") {
        CHECK(res[i].error == "bob ran out of memory");
        continue;
      }
      if (res[i].ok) continue;  // a player with nothing left to receive from bob may finish
      CHECK(res[i].channel_error);
      CHECK_MESSAGE(contains(res[i].error, "'bob'"), res[i].error);
      CHECK(res[i].seconds < 8.0);
    }
    // Nothing after bob's first input is bound to fail by timing alone (no player must hear from bob
    // again), so the program asks for a second input: a server that waits for its share fails, and
    // alice, whose reveal needs both servers, fails with it.
    CHECK_MESSAGE(!res[names.size() - 2].ok, "alice finished although a server could not have her result");
  }
}

TEST_CASE("tcp: a hello's integers are checked before they are converted (fuzzing found 1e300)") {
  namespace wire = tfe::detail::wire;
  wire::hello h;
  h.run_id = "r";
  h.players = names3;
  h.players_digest = tfe::players_digest(names3);
  h.from = 1;
  h.to = 2;
  const std::string good = wire::encode_hello(h);
  CHECK(wire::parse_hello(good, "x").from == 1);
  for (const auto& [field, bad] : std::vector<std::pair<std::string, std::string>>{
           {"from", "1e300"}, {"from", "-1"}, {"to", "1.5"}, {"tfe", "4294967297"}, {"tfe", "\"2\""}}) {
    CAPTURE(field);
    CAPTURE(bad);
    auto j = nlohmann::json::parse(good);
    j[field] = nlohmann::json::parse(bad);
    const std::string expected = "malformed hello from 127.0.0.1:9: field '" + field + "'";
    CHECK_THROWS_WITH_AS(wire::parse_hello(j.dump(), "127.0.0.1:9"), doctest::Contains(expected.c_str()),
                         tfe::channel_error);
  }
}

}  // namespace test_tcp_channel
