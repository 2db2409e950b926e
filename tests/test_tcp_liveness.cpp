// tests/test_tcp_liveness.cpp: liveness over TCP with every player a thread of this process: a peer
// busy for many receive timeouts is waited for (heartbeats), a peer that sends nothing at all is gone
// after recv_timeout, players waiting for each other are told of the deadlock, a full mailbox pauses
// its reader without the sender being taken for silent, and a second connection in the name of a
// connected player is turned away while the run goes on. (Processes: test_tcp_processes.)
// The receive timeouts are 0.5-1 s and every bound leaves a second or more: ctest runs two tests at
// once on two cores, and a heartbeat thread starved for 300 ms once made a busy peer look dead.
#include <doctest/doctest.h>

#include "tcp_thread_players.hpp"

#include <thread>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_tcp_liveness {

using namespace tfe_tcp_threads;

TEST_CASE("tcp: liveness: a busy peer is waited for, a silent one is gone, a deadlock is named") {
  auto hosts = make_hosts(names3, certs());
  SUBCASE("busy: a peer computing for four receive timeouts is waited for (its heartbeats say it lives)") {
    std::uint64_t got = 0;
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(false), short_recv(1000ms));
      if (me == 0) got = ch.recv<ring64>(2)(0);
      if (me == 2) {
        std::this_thread::sleep_for(4000ms);  // "computing": connected, sends no data
        ch.send(0, tfe::ring_tensor<ring64>{99});
      }
    });
    for (const auto& r : res) CHECK_MESSAGE(r.ok, r.error);
    CHECK(got == 99);
    CHECK(res[0].seconds >= 3.9);
  }
  SUBCASE("silent: a peer that sends nothing, not even heartbeats, is gone after recv_timeout") {
    auto res = run_players(3, [&](std::size_t me) {
      auto o = fast(false);
      if (me == 2) o.heartbeat_interval = -1ms;  // alive and connected, but says nothing at all
      tfe::tcp_channel ch(hosts, names3[me], o, short_recv(500ms));
      if (me == 0) ch.recv<ring64>(2);
      if (me == 2) std::this_thread::sleep_for(3500ms);  // still connected when p0 gives up
    });
    CHECK(res[0].channel_error);
    CHECK_MESSAGE(contains(res[0].error, "'p0' heard nothing from 'p2' (127.0.0.1:"), res[0].error);
    CHECK_MESSAGE(contains(res[0].error, "not even a heartbeat: 'p2' is stopped, hung or cut off"), res[0].error);
    CHECK_MESSAGE(contains(res[0].error, "[while 'p0' waited for 'p2']"), res[0].error);
    CHECK(res[0].seconds >= 0.45);
    CHECK(res[0].seconds < 3.0);
  }
  SUBCASE("deadlock: two players waiting for each other (different programs) are told, naming both") {
    auto res = run_players(3, [&](std::size_t me) {
      tfe::tcp_channel ch(hosts, names3[me], fast(false), short_recv(1000ms));
      if (me < 2) ch.recv<ring64>(1 - me);
      if (me == 2) std::this_thread::sleep_for(4500ms);  // busy elsewhere: not part of the cycle
    });
    std::size_t named = 0;
    for (std::size_t me = 0; me < 2; ++me) {
      CAPTURE(res[me].error);
      CHECK(res[me].channel_error);
      const std::string other = names3[1 - me];
      named += contains(res[me].error, "deadlock: '" + names3[me] + "' waits for '" + other + "', '" + other +
                                           "' waits for '" + names3[me] + "', and no frame has moved for 1000 ms");
      CHECK(res[me].seconds < 4.0);
    }
    CHECK(named >= 1);  // the other may learn it from the first one's abort
  }
}

TEST_CASE("tcp: a second connection in the name of a connected player is turned away; the run goes on") {
  namespace wire = tfe::detail::wire;
  auto hosts = make_hosts(names3, {});  // plaintext: the impostor needs no key (with TLS it would)
  std::vector<outcome> p2, p0;
  std::thread t2([&] {
    p2 = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p2", fast(true, 8s), short_recv());
      CHECK(ch.recv<ring64>(0)(0) == 5);
    });
  });
  std::thread t0([&] {
    p0 = run_players(1, [&](std::size_t) {
      tfe::tcp_channel ch(hosts, "p0", fast(true, 8s), short_recv());
      ch.send<ring64>(2, tfe::ring_tensor<ring64>{5});
    });
  });
  std::this_thread::sleep_for(1500ms);  // p0 has reached p2; p1 is not there yet, so the set-up goes on
  asio::io_context io;
  auto dup = raw_connect(io, hosts.players[2].port);
  wire::hello mine;
  mine.run_id = hosts.run_id;
  mine.program = "";
  mine.players = hosts.names();
  mine.players_digest = tfe::players_digest(mine.players);
  mine.from = 0;  // "I am p0", again
  mine.to = 2;
  write_bytes(dup, wire::encode_message(wire::msg::hello, wire::encode_hello(mine)));
  // The acceptor refuses before saying anything else: its first message is the verdict.
  std::string verdict = "<no verdict>";
  try {
    std::uint8_t h[8];
    asio::read(dup, asio::buffer(h, 8));
    const auto hd = wire::decode_header(h);
    if (hd.type == std::uint8_t(wire::msg::verdict) && hd.length < 65536) {
      std::string body(hd.length, '\0');
      asio::read(dup, asio::buffer(body.data(), body.size()));
      verdict = wire::parse_verdict(body, "p2");
    } else {
      verdict = tfe::detail::concat("<a ", wire::msg_name(hd.type), " message>");
    }
  } catch (const std::exception& e) {
    verdict = std::string("<") + e.what() + ">";
  }
  CHECK_MESSAGE(contains(verdict, "'p0' is already connected (a duplicate or stale process?)"), verdict);
  auto p1 = run_players(1, [&](std::size_t) { tfe::tcp_channel ch(hosts, "p1", fast(true, 8s), short_recv()); });
  t0.join();
  t2.join();
  CHECK_MESSAGE(p1[0].ok, p1[0].error);
  CHECK_MESSAGE(p0.at(0).ok, p0.at(0).error);
  CHECK_MESSAGE(p2.at(0).ok, p2.at(0).error);
}

TEST_CASE("tcp: a full mailbox pauses its reader (max_queued_bytes) without taking the sender for silent") {
  auto hosts = make_hosts(names2, {});
  constexpr std::size_t frames = 24, values = 128 * 1024;  // 24 frames of 1 MiB against a 2 MiB mailbox
  std::vector<std::uint64_t> firsts;
  auto res = run_players(2, [&](std::size_t me) {
    auto o = fast(true);
    o.max_queued_bytes = std::size_t(2) << 20;
    tfe::tcp_channel ch(hosts, names2[me], o, short_recv(1000ms));
    if (me == 0) {
      for (std::size_t k = 0; k < frames; ++k)
        ch.send<ring64>(1, tfe::ring_tensor<ring64>(xt::ones<ring64>({values}) * k));
    } else {
      std::this_thread::sleep_for(3000ms);  // three receive timeouts: the reader waits for room meanwhile
      for (std::size_t k = 0; k < frames; ++k) firsts.push_back(ch.recv<ring64>(0)(0));
    }
  });
  for (const auto& r : res) CHECK_MESSAGE(r.ok, r.error);
  REQUIRE(firsts.size() == frames);
  for (std::size_t k = 0; k < frames; ++k) CHECK(firsts[k] == k);  // all there, in order
  CHECK(res[0].seconds >= 2.5);  // the sender was held back until the receiver caught up
}

}  // namespace test_tcp_liveness
