// tests/test_simulated_network.cpp: the simulated network decorator: presets, the virtual clock
// (latency, bandwidth, queueing on a link, independent links), over the in-memory network and over TCP;
// the real-delay mode; counting local computation; statistics; and misconfiguration. The clock tests
// compare the simulated clock with the model's arithmetic, never with wall time.
#include <doctest/doctest.h>

#include "test_tcp_common.hpp"
#include "tfe/runtime/launch.hpp"
#include "tfe/runtime/simulated_network.hpp"

#include <time.h>

#include <chrono>
#include <functional>
#include <thread>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_simulated_network {

namespace {

using namespace std::chrono_literals;
using tfe::ring64;
using clock_type = std::chrono::steady_clock;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The bytes the model charges for a tensor of n ring64 elements in one dimension: frame header
/// (8 + 8 per dimension) + payload + the 8-byte length prefix.
double wire_bytes(std::size_t n) { return double(8 + 8 + 8 * n + 8); }

tfe::simulation_options net_only(tfe::network_model m) {
  tfe::simulation_options o;
  o.model = std::move(m);
  o.count_compute = false;  // network only: a deterministic clock
  return o;
}

/// Runs fn(channel, id) for every player over a memory network, each channel decorated.
void run_memory(std::size_t n, const tfe::simulation_options& sim,
                const std::function<void(tfe::simulated_channel&, std::size_t)>& fn) {
  const std::vector<std::string> names = {"p0", "p1", "p2", "p3"};
  std::vector<std::string> use(names.begin(), names.begin() + static_cast<long>(n));
  tfe::memory_network net(n);
  std::vector<std::thread> ts;
  std::vector<std::string> errors(n);
  for (std::size_t i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      try {
        tfe::memory_channel inner(net, i, use);
        tfe::simulated_channel ch(inner, sim);
        fn(ch, i);
      } catch (const std::exception& e) {
        errors[i] = e.what();
        net.close();
      }
    });
  for (auto& t : ts) t.join();
  for (std::size_t i = 0; i < n; ++i) CHECK_MESSAGE(errors[i].empty(), errors[i]);
}

/// k ping-pongs of n ring64 elements between players 0 (sends first) and 1.
void ping_pong(tfe::channel& ch, std::size_t me, std::size_t n, std::size_t k) {
  tfe::ring_tensor<ring64> x = xt::zeros<ring64>({n});
  for (std::size_t i = 0; i < k; ++i) {
    if (me == 0) {
      ch.send<ring64>(1, x);
      x = ch.recv<ring64>(1);
    } else {
      x = ch.recv<ring64>(0);
      ch.send<ring64>(0, x);
    }
  }
}

}  // namespace

TEST_CASE("simulated network: presets and parsing") {
  const auto lan = tfe::network_model::lan(), wan = tfe::network_model::wan();
  CHECK(lan.rtt() == doctest::Approx(0.2e-3));
  CHECK(lan.bandwidth == doctest::Approx(10e9));
  CHECK(wan.rtt() == doctest::Approx(40e-3));
  CHECK(wan.bandwidth == doctest::Approx(100e6));
  CHECK(wan.transfer_time(12.5e6) == doctest::Approx(1.0));  // 100 Mbit in one second
  CHECK(tfe::network_model::parse("WAN").name == "WAN");
  const auto custom = tfe::network_model::parse("10:1000");
  CHECK(custom.one_way_latency == doctest::Approx(5e-3));
  CHECK(custom.bandwidth == doctest::Approx(1e9));
  CHECK_THROWS_AS(tfe::network_model::parse("fast"), tfe::config_error);
  CHECK_THROWS_AS(tfe::network_model::parse("10:"), tfe::config_error);
}

TEST_CASE("simulated network: a ping-pong costs latency + size/bandwidth per message on the virtual clock") {
  for (const auto& model : {tfe::network_model::lan(), tfe::network_model::wan()}) {
    CAPTURE(model.name);
    const std::size_t n = 1000, k = 25;
    const double hop = model.one_way_latency + model.transfer_time(wire_bytes(n));
    std::vector<double> clock(2), wait(2);
    std::vector<tfe::op_stats> stats(2);
    const auto wall0 = clock_type::now();
    run_memory(2, net_only(model), [&](tfe::simulated_channel& ch, std::size_t me) {
      ping_pong(ch, me, n, k);
      clock[me] = ch.elapsed_seconds();
      wait[me] = ch.network_wait_seconds();
      stats[me] = ch.stats().total;
    });
    CHECK(clock[0] == doctest::Approx(2.0 * k * hop).epsilon(1e-9));
    CHECK(clock[1] == doctest::Approx((2.0 * k - 1) * hop).epsilon(1e-9));
    CHECK(wait[0] == doctest::Approx(clock[0]).epsilon(1e-9));  // nothing but waiting
    // the decorator counts like any channel, without its trailer
    CHECK(stats[0].messages_sent == k);
    CHECK(stats[0].bytes_sent == k * n * 8);
    CHECK(stats[0].frame_bytes_sent == k * (n * 8 + 16));
    CHECK(stats[0].rounds == k);
    // and nothing slept: 25 WAN round trips would take a second
    CHECK(std::chrono::duration<double>(clock_type::now() - wall0).count() < 0.9);
  }
}

TEST_CASE("simulated network: messages queue on a link; links are independent; an exchange is one hop") {
  const auto wan = tfe::network_model::wan();
  const std::size_t n = 125000;  // 1 MB: 80 ms on 100 Mbit/s
  const double t = wan.transfer_time(wire_bytes(n)), L = wan.one_way_latency;
  std::vector<double> clock(3), after_first(3);
  run_memory(3, net_only(wan), [&](tfe::simulated_channel& ch, std::size_t me) {
    tfe::ring_tensor<ring64> x = xt::zeros<ring64>({n});
    if (me == 0) {  // two back to back to p1, one to p2, all at time 0
      ch.send<ring64>(1, x);
      ch.send<ring64>(1, x);
      ch.send<ring64>(2, x);
    } else if (me == 1) {
      (void)ch.recv<ring64>(0);
      after_first[1] = ch.elapsed_seconds();
      (void)ch.recv<ring64>(0);
    } else {
      (void)ch.recv<ring64>(0);
    }
    clock[me] = ch.elapsed_seconds();
  });
  CHECK(after_first[1] == doctest::Approx(t + L).epsilon(1e-9));
  CHECK(clock[1] == doctest::Approx(2 * t + L).epsilon(1e-9));  // the second waited for the link
  CHECK(clock[2] == doctest::Approx(t + L).epsilon(1e-9));      // another link: no queueing
  CHECK(clock[0] == 0.0);                                       // sending does not advance the sender

  std::vector<double> ex(2);
  run_memory(2, net_only(wan), [&](tfe::simulated_channel& ch, std::size_t me) {
    tfe::ring_tensor<ring64> x = xt::zeros<ring64>({10});
    for (int i = 0; i < 3; ++i) x = ch.exchange<ring64>(1 - me, x);
    ex[me] = ch.elapsed_seconds();
  });
  const double hop = L + wan.transfer_time(wire_bytes(10));
  CHECK(ex[0] == doctest::Approx(3 * hop).epsilon(1e-9));
  CHECK(ex[1] == doctest::Approx(3 * hop).epsilon(1e-9));
}

TEST_CASE("simulated network: per-link models") {
  auto sim = net_only(tfe::network_model::lan());
  sim.link = [](std::size_t from, std::size_t to) {
    return (from == 0 && to == 2) ? tfe::network_model::wan() : tfe::network_model::lan();
  };
  std::vector<double> clock(3);
  run_memory(3, sim, [&](tfe::simulated_channel& ch, std::size_t me) {
    if (me == 0) {
      ch.send<ring64>(1, tfe::ring_tensor<ring64>{1});
      ch.send<ring64>(2, tfe::ring_tensor<ring64>{1});
    } else {
      (void)ch.recv<ring64>(0);
    }
    clock[me] = ch.elapsed_seconds();
  });
  CHECK(clock[1] == doctest::Approx(0.1e-3 + tfe::network_model::lan().transfer_time(wire_bytes(1))).epsilon(1e-9));
  CHECK(clock[2] == doctest::Approx(20e-3 + tfe::network_model::wan().transfer_time(wire_bytes(1))).epsilon(1e-9));
}

TEST_CASE("simulated network: over TCP the clock is the same, whatever the real loopback timing") {
  const std::vector<std::string> names = {"p0", "p1"};
  auto hosts = tfe_tcp_test::make_hosts(names, {});
  const auto wan = tfe::network_model::wan();
  const std::size_t n = 100, k = 10;
  const double hop = wan.one_way_latency + wan.transfer_time(wire_bytes(n));
  std::vector<double> clock(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> ts;
  for (std::size_t me = 0; me < 2; ++me)
    ts.emplace_back([&, me] {
      try {
        tfe::tcp_options o;
        o.insecure_plaintext = true;
        o.connect_timeout = 5s;
        tfe::tcp_channel inner(hosts, names[me], o);
        tfe::simulated_channel ch(inner, net_only(wan));
        ping_pong(ch, me, n, k);
        clock[me] = ch.elapsed_seconds();
      } catch (const std::exception& e) {
        errors[me] = e.what();
      }
    });
  for (auto& t : ts) t.join();
  CHECK_MESSAGE(errors[0].empty(), errors[0]);
  CHECK_MESSAGE(errors[1].empty(), errors[1]);
  CHECK(clock[0] == doctest::Approx(2.0 * k * hop).epsilon(1e-9));
}

TEST_CASE("simulated network: a Pond product on a WAN costs its rounds in latency (run_local_simulated)") {
  using P = tfe::pond<ring64>;
  const std::vector<std::string> players = {"server0", "server1", "crypto-producer", "alice"};
  const int products = 5;
  auto sim = net_only(tfe::network_model::wan());
  auto res = tfe::run_local_simulated<P>(
      players,
      [&](auto& s) {
        auto x = s.define_private_input("alice", [] { return xt::xarray<double>{0.5, 1.5}; });
        const double before = *tfe::simulated_seconds(s);
        const auto rounds_before = s.stats().total.rounds;
        for (int i = 0; i < products; ++i) x = x * x;  // dependent: one round each, in sequence
        (void)s.reveal_to("alice", x);
        return std::make_tuple(before, *tfe::simulated_seconds(s), s.stats().total.rounds - rounds_before);
      },
      sim);
  const double L = 20e-3;
  for (std::size_t i = 0; i < 2; ++i) {  // the servers
    CAPTURE(players[i]);
    const auto [before, after, rounds] = res[i];
    CHECK(rounds >= std::uint64_t(products));
    // each product waits at least one latency for the other server's message, at most a few
    CHECK(after - before >= products * L);
    CHECK(after - before < (products + 4) * (L + 0.01));
  }
  // alice waits for her reveal: she ends last
  CHECK(std::get<1>(res[3]) >= std::get<1>(res[0]));
}

TEST_CASE("simulated network: local computation counts when count_compute is on") {
  tfe::simulation_options sim;
  sim.model = tfe::network_model::lan();
  sim.count_compute = true;
  std::vector<double> clock(2), compute(2);
  run_memory(2, sim, [&](tfe::simulated_channel& ch, std::size_t me) {
    if (me == 0) {
      // burn 30 ms of this thread's CPU time before sending (however busy the machine is)
      auto cpu = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
      };
      const double until = cpu() + 0.030;
      volatile double sink = 0;
      while (cpu() < until) sink = sink + 1.0;
      ch.send<ring64>(1, tfe::ring_tensor<ring64>{1});
    } else {
      (void)ch.recv<ring64>(0);
    }
    clock[me] = ch.elapsed_seconds();
    compute[me] = ch.compute_seconds();
  });
  CHECK(compute[0] >= 0.030);      // the thread's CPU time, not the wall time
  CHECK(clock[1] >= compute[0]);   // the receiver could not get it before it was computed
  CHECK(compute[1] < compute[0]);  // the receiver only waited
}

TEST_CASE("simulated network: the real-delay mode sleeps") {
  tfe::simulation_options sim;
  sim.model = tfe::network_model::parse("10:0");  // 5 ms one way, unlimited bandwidth
  sim.mode = tfe::simulation_mode::real_delay;
  const auto t0 = clock_type::now();
  run_memory(2, sim, [&](tfe::simulated_channel& ch, std::size_t me) {
    for (int i = 0; i < 4; ++i) {
      if (me == 0) {
        ch.send<ring64>(1, tfe::ring_tensor<ring64>{1});
        (void)ch.recv<ring64>(1);
      } else {
        (void)ch.recv<ring64>(0);
        ch.send<ring64>(0, tfe::ring_tensor<ring64>{1});
      }
    }
  });
  CHECK(std::chrono::duration<double>(clock_type::now() - t0).count() >= 8 * 5e-3 * 0.95);
}

TEST_CASE("simulated network: a player without the simulation is detected") {
  tfe::memory_network net(2);
  const std::vector<std::string> names = {"p0", "p1"};
  std::string error;
  std::thread t([&] {
    tfe::memory_channel plain(net, 0, names);
    plain.send<ring64>(1, tfe::ring_tensor<ring64>{1});
  });
  try {
    tfe::memory_channel inner(net, 1, names);
    tfe::simulated_channel ch(inner, net_only(tfe::network_model::lan()));
    (void)ch.recv<ring64>(0);
  } catch (const tfe::channel_error& e) {
    error = e.what();
  }
  t.join();
  CHECK_MESSAGE(contains(error, "carries no simulated-network timestamp"), error);
}

TEST_CASE("launch flags: --simulate wan runs every player locally on the simulated network") {
  tfe::launch_flags flags;
  flags.simulate = "wan";
  CHECK_FALSE(flags.distributed());
  tfe::launch_options base;
  base.simulate = net_only(tfe::network_model::lan());  // the flag picks the model, keeps the rest
  auto res = tfe::run_program<tfe::plain<ring64>>(
      flags, {"server0", "alice"},
      [](auto& s) {
        auto x = s.define_private_input("alice", [] { return xt::xarray<double>{2.0}; });
        (void)s.reveal_to("alice", x * x);
        return tfe::simulated_seconds(s).value_or(-1.0);
      },
      base);
  REQUIRE(res.size() == 2);
  REQUIRE(res[1].has_value());
  CHECK(*res[1] >= 2 * 20e-3);  // alice: her input to server0 and the result back
  flags.hosts = "hosts.json";
  CHECK_THROWS_AS((void)flags.distributed(), tfe::config_error);  // --hosts without --player
}

}  // namespace test_simulated_network
