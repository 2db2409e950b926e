// tfe/runtime/simulated_network.hpp: a channel decorator that simulates a network's latency and bandwidth,
// over any channel (the in-memory network, TCP), so a program can report its time on a LAN or a WAN.
//
//   tfe::simulated_channel sim(inner, {tfe::network_model::wan()});
//   tfe::session<P> s(sim);  ...;  sim.elapsed_seconds();         // this player's simulated time
//
// Model. Every ordered pair of players is a link with a one-way latency L and a bandwidth B. A
// message of b bytes (the frame plus the 8-byte length prefix TCP would add) leaves when both the
// sender is there and the link is free, occupies the link for b/B, and arrives L later:
//   depart  = max(sender's clock, link free),   link free = depart + b/B,   arrival = link free + L.
// Sending does not advance the sender's clock (sends are asynchronous); a receive advances the
// receiver's clock to max(own clock, arrival). Presets: LAN = 10 Gbit/s, 0.2 ms round trip; WAN =
// 100 Mbit/s, 40 ms round trip.
//
// Modes.
//   virtual_clock (default): nothing sleeps. Each player keeps a virtual clock; every message carries
//     its arrival time in a 12-byte trailer (f64 seconds + a marker), which the receiver strips. With
//     count_compute (default on) the clock also advances by the CPU time of the player's thread
//     between channel operations (CLOCK_THREAD_CPUTIME_ID: its local computation, unaffected by other
//     threads sharing the cores), so elapsed = computation + network waiting. Turn it off for a
//     network-only, deterministic clock.
//   real_delay: the receiver really waits until the arrival time on the steady clock (same host only:
//     the clock is CLOCK_MONOTONIC), for demos that should feel like the real network.
// Every player of a program must use the simulation (the marker catches a player that does not); the
// statistics of the decorator count the payload as usual, without the trailer.
#pragma once

#include "tfe/detail/thread_clock.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/net/memory_network.hpp"
#include "tfe/runtime/runner.hpp"
#include "tfe/session.hpp"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tfe {

/// One link's latency and bandwidth.
struct network_model {
  std::string name = "custom";
  double one_way_latency = 0;  ///< seconds
  double bandwidth = 0;        ///< bits per second per link; 0: unlimited

  /// 10 Gbit/s, 0.2 ms round trip.
  static network_model lan() { return {"LAN", 0.1e-3, 10e9}; }
  /// 100 Mbit/s, 40 ms round trip.
  static network_model wan() { return {"WAN", 20e-3, 100e6}; }
  double rtt() const { return 2 * one_way_latency; }
  /// Seconds a message of `bytes` occupies the link.
  double transfer_time(double bytes) const { return bandwidth > 0 ? bytes * 8.0 / bandwidth : 0.0; }

  /// "lan", "wan", or "RTT_MS:MBITS" (e.g. "10:1000" = 10 ms round trip, 1 Gbit/s); config_error else.
  static network_model parse(const std::string& s) {
    std::string l;
    for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "lan") return lan();
    if (l == "wan") return wan();
    const auto colon = l.find(':');
    try {
      if (colon != std::string::npos) {
        std::size_t a = 0, b = 0;
        const double rtt_ms = std::stod(l.substr(0, colon), &a);
        const double mbit = std::stod(l.substr(colon + 1), &b);
        if (a == colon && b == l.size() - colon - 1 && rtt_ms >= 0 && mbit >= 0)
          return {s, rtt_ms * 1e-3 / 2, mbit * 1e6};
      }
    } catch (const std::exception&) {}
    throw config_error("unknown network '" + s + "' (use lan, wan, or RTT_MS:MBITS such as 10:1000)");
  }
};

enum class simulation_mode { virtual_clock, real_delay };

struct simulation_options {
  network_model model = network_model::lan();
  simulation_mode mode = simulation_mode::virtual_clock;
  /// virtual_clock: also advance the clock by this thread's CPU time between channel operations.
  bool count_compute = true;
  /// Optional per-link model (from, to), overriding `model`.
  std::function<network_model(std::size_t from, std::size_t to)> link;
};

class simulated_channel final : public channel {
 public:
  static constexpr std::size_t trailer_bytes = 12;
  static constexpr std::uint32_t trailer_marker = 0x4d495354;  // "TSIM"

  /// Decorates `inner` (which must outlive this); use this channel, not `inner`, for the session.
  simulated_channel(channel& inner, simulation_options options)
      : channel(inner.self(), inner.names(), reduced(inner.options())),
        m_inner(&inner),
        m_opts(std::move(options)),
        m_link_free(inner.num_players(), 0.0) {
    if (m_opts.mode == simulation_mode::real_delay) std::fill(m_link_free.begin(), m_link_free.end(), real_now());
    m_cpu_mark = thread_cpu();
  }

  /// This player's simulated time since the decorator was made (virtual mode; in real-delay mode the
  /// steady-clock time since then). With count_compute, call it from the player's thread.
  double elapsed_seconds() const {
    if (m_opts.mode == simulation_mode::real_delay) return real_now() - m_start_real;
    return m_now + (m_opts.count_compute ? thread_cpu() - m_cpu_mark : 0.0);
  }
  std::chrono::nanoseconds elapsed() const {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(elapsed_seconds() * 1e9));
  }
  /// Of the elapsed time, how much this player spent waiting for messages (virtual mode).
  double network_wait_seconds() const { return m_wait; }
  /// Of the elapsed time, the CPU time counted for local computation (virtual mode, count_compute).
  double compute_seconds() const { return m_compute; }
  const simulation_options& simulation() const { return m_opts; }
  channel& inner() { return *m_inner; }

 protected:
  void do_send(std::size_t to, frame&& f) override {
    const bool real = m_opts.mode == simulation_mode::real_delay;
    if (!real) account_compute();
    const network_model m = model(self(), to);
    const double now = real ? real_now() : m_now;
    const double depart = std::max(now, m_link_free[to]);
    m_link_free[to] = depart + m.transfer_time(static_cast<double>(f.size() + 8));
    const double arrival = m_link_free[to] + m.one_way_latency;
    const std::size_t n = f.size();
    f.resize(n + trailer_bytes);
    std::memcpy(f.data() + n, &arrival, 8);
    std::memcpy(f.data() + n + 8, &trailer_marker, 4);
    forward_send(*m_inner, to, std::move(f));
    if (!real) m_cpu_mark = thread_cpu();
  }

  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    const bool real = m_opts.mode == simulation_mode::real_delay;
    if (!real) account_compute();
    std::optional<frame> received = forward_recv(*m_inner, from, wait);
    if (!received) return received;
    frame& f = *received;
    std::uint32_t marker = 0;
    if (f.size() >= trailer_bytes) std::memcpy(&marker, f.data() + f.size() - 4, 4);
    TFE_ENFORCE(marker == trailer_marker, channel_error, "frame from '", name(from),
                "' carries no simulated-network timestamp: every player must use the same network simulation");
    double arrival = 0;
    std::memcpy(&arrival, f.data() + f.size() - trailer_bytes, 8);
    f.resize(f.size() - trailer_bytes);
    if (real) {
      const double delay = arrival - real_now();
      if (delay > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    } else {
      if (arrival > m_now) {
        m_wait += arrival - m_now;
        m_now = arrival;
      }
      m_cpu_mark = thread_cpu();
    }
    return received;
  }

  void do_close() override { m_inner->close(); }
  peer_activity do_liveness(std::size_t peer) const override { return forward_liveness(*m_inner, peer); }

 private:
  static channel_options reduced(channel_options o) {
    if (o.max_frame_bytes > trailer_bytes) o.max_frame_bytes -= trailer_bytes;
    return o;
  }
  network_model model(std::size_t from, std::size_t to) const {
    return m_opts.link ? m_opts.link(from, to) : m_opts.model;
  }
  static double thread_cpu() { return detail::thread_cpu_seconds(); }
  static double real_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  void account_compute() {
    if (!m_opts.count_compute) return;
    const double c = thread_cpu();
    m_now += c - m_cpu_mark;
    m_compute += c - m_cpu_mark;
    m_cpu_mark = c;
  }

  channel* m_inner;
  simulation_options m_opts;
  std::vector<double> m_link_free;  // per destination: when the link from this player is free again
  double m_now = 0, m_wait = 0, m_compute = 0, m_cpu_mark = 0;
  double m_start_real = real_now();
};

/// The simulated time of a session's player, when its channel is a simulated_channel.
template <class S>
std::optional<double> simulated_seconds(S& s) {
  if (auto* sim = dynamic_cast<simulated_channel*>(&s.net())) return sim->elapsed_seconds();
  return std::nullopt;
}

/// run_local over a simulated network: every player on its own thread over the in-memory network,
/// each channel decorated with `sim`. Failures are reported as by run_local (player_error).
template <class P, class F>
auto run_local_simulated(const std::vector<std::string>& players, F&& program, const simulation_options& sim,
                         const run_options& options = {}) {
  return detail::run_players<P>(players, std::forward<F>(program), options, [&](memory_channel& inner, auto&& run) {
    simulated_channel ch(inner, sim);
    run(ch);
  });
}

}  // namespace tfe
