// benchmarks/bench_tcp_roundtrip.cpp: the loopback cost of one protocol round over tfe's TCP channel
// against the transport's own round trip (a raw TCP ping-pong), both players on threads of this process.
//
//   raw_tcp             blocking asio sockets, TCP_NODELAY: write N bytes, the peer reads them and writes
//                       them back (the transport's round trip)
//   channel_plaintext   tfe::tcp_channel, tcp_options::insecure_plaintext (spin_wait 50 us, and 0)
//   channel_tls         tfe::tcp_channel over TLS 1.3 (certificates made at run time in a temp dir by
//                       scripts/make_certs.sh)
//   memory              tfe::memory_channel (threads of one process), for reference
//
// Patterns: ping_pong (p0 sends, p1 answers: the raw pattern) and exchange (both send, then both receive:
// channel::exchange, one protocol round). Messages: a 1-element ring64 tensor (8 bytes) and 64 KiB
// (8192 elements). Best of 5 batches of 1000 rounds (the machine may be shared).
//
// Output: one JSON line per measurement on stdout,
//   {"bench":"tcp_roundtrip","protocol":"transport","workload":"channel_tls","params":{"pattern":"exchange",
//    "bytes":8,"spin_wait_us":50},"wall_s":<seconds per round>,"us_per_round":...,"ratio_to_raw":...,
//    "rounds":1000,"batches":5,"players":[]}
// where ratio_to_raw divides by the raw TCP ping-pong of the same size; a human summary goes to stderr.
#include "check_build.hpp"

#include <tfe/net/memory_network.hpp>
#include <tfe/runtime/launch.hpp>

#include <CLI/CLI.hpp>

#include <tfe/net/asio.hpp>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using tfe::ring64;

const std::vector<std::string> names2 = {"p0", "p1"};

struct config {
  int batch = 1000, batches = 5, warmup = 50;
  std::string source_dir;
};

/// Best of `c.batches` runs of `run_batch` (each `c.batch` rounds): seconds per round.
double best_of(const config& c, const std::function<void()>& run_batch) {
  double best = 1e300;
  for (int b = 0; b < c.batches; ++b) {
    const auto t0 = clock_type::now();
    run_batch();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count() / c.batch);
  }
  return best;
}

/// Runs fn(0) and fn(1) on two threads; rethrows the first exception.
void run_two(const std::function<void(std::size_t)>& fn) {
  std::exception_ptr err[2];
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      try {
        fn(i);
      } catch (...) {
        err[i] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : err)
    if (e) std::rethrow_exception(e);
}

/// Raw TCP ping-pong of `bytes` bytes: blocking asio sockets, TCP_NODELAY. Seconds per round trip.
double raw_ping_pong(const config& c, std::size_t bytes) {
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket a(io), b(io);
  std::thread t([&] { acc.accept(b); });
  a.connect(acc.local_endpoint());
  t.join();
  a.set_option(asio::ip::tcp::no_delay(true));
  b.set_option(asio::ip::tcp::no_delay(true));
  const int total = c.warmup + c.batch * c.batches;
  std::thread echo([&] {
    std::vector<std::uint8_t> v(bytes);
    for (int i = 0; i < total; ++i) {
      asio::read(b, asio::buffer(v));
      asio::write(b, asio::buffer(v));
    }
  });
  std::vector<std::uint8_t> v(bytes, 1);
  auto round = [&] {
    asio::write(a, asio::buffer(v));
    asio::read(a, asio::buffer(v));
  };
  for (int i = 0; i < c.warmup; ++i) round();
  const double s = best_of(c, [&] {
    for (int i = 0; i < c.batch; ++i) round();
  });
  echo.join();
  return s;
}

struct costs {
  double ping = 0, exchange = 0;  // seconds per round
};

/// Ping-pong and exchange of `elements` ring64 elements over the channels made by make_channel(me).
template <class Make>
costs channel_costs(const config& c, std::size_t elements, Make make_channel) {
  costs out;
  run_two([&](std::size_t me) {
    auto ch = make_channel(me);
    tfe::ring_tensor<ring64> x = tfe::ring_tensor<ring64>::from_shape({elements});
    std::fill(x.begin(), x.end(), ring64(me));
    for (int i = 0; i < c.warmup; ++i) x = ch->template exchange<ring64>(1 - me, x);
    const double ping = best_of(c, [&] {
      for (int i = 0; i < c.batch; ++i) {
        if (me == 0) {
          ch->send(1, x);
          x = ch->template recv<ring64>(1);
        } else {
          x = ch->template recv<ring64>(0);
          ch->send(0, x);
        }
      }
    });
    const double ex = best_of(c, [&] {
      for (int i = 0; i < c.batch; ++i) x = ch->template exchange<ring64>(1 - me, x);
    });
    ch->close();
    if (me == 0) out = {ping, ex};
  });
  return out;
}

/// A temp directory with a CA and certificates for p0 and p1 (scripts/make_certs.sh), removed at the end.
struct cert_dir {
  std::filesystem::path path;
  explicit cert_dir(const std::string& source_dir) {
    if (source_dir.empty())
      throw std::invalid_argument("TLS needs scripts/make_certs.sh: pass --source-dir (the tfe source tree)");
    const auto script = std::filesystem::path(source_dir) / "scripts" / "make_certs.sh";
    if (!std::filesystem::exists(script))
      throw std::invalid_argument("no " + script.string() + " (pass --source-dir: the tfe source tree)");
    std::string tmpl = (std::filesystem::temp_directory_path() / "tfe-bench-certs-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    std::string cmd = "bash '" + script.string() + "' '" + path.string() + "'";
    for (const auto& n : names2) cmd += " '" + n + "'";
    cmd += " >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      remove();
      throw std::runtime_error("make_certs.sh failed: " + cmd);
    }
  }
  void remove() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ~cert_dir() { remove(); }
};

costs over_tcp(const config& c, std::size_t elements, const std::filesystem::path& certs,
               std::chrono::microseconds spin) {
  const auto hosts = tfe::loopback_hosts(names2, certs, "bench-tcp-roundtrip", "<bench_tcp_roundtrip>");
  tfe::tcp_options o;
  o.insecure_plaintext = certs.empty();
  o.connect_timeout = 10s;
  o.spin_wait = spin;
  tfe::channel_options co;
  co.recv_timeout = 30s;
  return channel_costs(c, elements,
                       [&](std::size_t me) { return std::make_unique<tfe::tcp_channel>(hosts, names2[me], o, co); });
}

costs over_memory(const config& c, std::size_t elements) {
  tfe::memory_network net(2);
  return channel_costs(c, elements,
                       [&](std::size_t me) { return std::make_unique<tfe::memory_channel>(net, me, names2); });
}

void report(const config& c, const std::string& workload, const std::string& pattern, std::size_t bytes, long spin_us,
            double seconds, double raw_seconds) {
  std::ostringstream os;
  os.precision(6);
  os << "{\"bench\":\"tcp_roundtrip\",\"protocol\":\"transport\",\"workload\":\"" << workload
     << "\",\"params\":{\"pattern\":\"" << pattern << "\",\"bytes\":" << bytes;
  if (spin_us >= 0) os << ",\"spin_wait_us\":" << spin_us;
  os << "},\"wall_s\":" << seconds << ",\"us_per_round\":" << seconds * 1e6
     << ",\"ratio_to_raw\":" << seconds / raw_seconds << ",\"rounds\":" << c.batch << ",\"batches\":" << c.batches
     << ",\"players\":[]}";
  std::cout << os.str() << std::endl;
  char line[256];
  std::string what = workload + (spin_us == 0 ? " (spin_wait 0)" : "");
  std::snprintf(line, sizeof line, "%-32s %-9s %6zu B: %8.1f us/round (x%.2f raw)", what.c_str(), pattern.c_str(),
                bytes, seconds * 1e6, seconds / raw_seconds);
  std::cerr << line << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
#ifdef TFE_SOURCE_DIR
  c.source_dir = TFE_SOURCE_DIR;
#endif
  bool quick = false;
  CLI::App app{
      "Loopback round-trip cost of a protocol round over tfe::tcp_channel (plaintext and TLS) and "
      "memory_channel against a raw TCP ping-pong; one JSON line per measurement on stdout."};
  app.add_flag("--quick", quick, "fewer rounds (3 batches of 200): a smoke run");
  app.add_option("--source-dir", c.source_dir, "the tfe source tree (for scripts/make_certs.sh, TLS)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  bench::warn_if_check_build();
  if (quick) {
    c.batch = 200;
    c.batches = 3;
    c.warmup = 20;
  }
  try {
    const cert_dir certs(c.source_dir);
    std::cerr << "loopback, best of " << c.batches << " x " << c.batch << " rounds, both players on threads\n";
    double target_worst = 0;  // largest ratio of a protocol round (8 bytes, tcp_channel) to the raw round trip
    for (const std::size_t bytes : {std::size_t(8), std::size_t(64) * 1024}) {
      const std::size_t elements = bytes / sizeof(ring64);
      const double raw = raw_ping_pong(c, bytes);
      report(c, "raw_tcp", "ping_pong", bytes, -1, raw, raw);
      auto both = [&](const std::string& workload, long spin_us, const costs& k) {
        report(c, workload, "ping_pong", bytes, spin_us, k.ping, raw);
        report(c, workload, "exchange", bytes, spin_us, k.exchange, raw);
        if (bytes == 8 && spin_us != 0 && workload != "memory")
          target_worst = std::max({target_worst, k.ping / raw, k.exchange / raw});
      };
      both("channel_plaintext", 50, over_tcp(c, elements, {}, 50us));
      if (bytes == 8) both("channel_plaintext", 0, over_tcp(c, elements, {}, 0us));
      both("channel_tls", 50, over_tcp(c, elements, certs.path, 50us));
      both("memory", -1, over_memory(c, elements));
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "target (a protocol round over loopback TCP costs at most 2x the raw round trip, 8 bytes): "
                  "worst x%.2f -> %s",
                  target_worst, target_worst <= 2.0 ? "met" : "NOT met");
    std::cerr << line << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_tcp_roundtrip: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
