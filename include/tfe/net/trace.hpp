// tfe/net/trace.hpp: Chrome trace-event recording of protocol ops, one span per op scope per player.
//
// A trace_recorder attached to channels (channel::set_trace) receives one event for every op scope
// (channel::op_scope / session::op_scope) when the scope closes: its tag, the player, start and
// duration, and the bytes, messages and rounds the player spent inside it. write_chrome_json writes
// the Trace Event Format ("X" complete events, one track per player), which opens in Perfetto or
// chrome://tracing. Recording is thread-safe so every player of run_local can share one recorder.
#pragma once

#include "tfe/net/statistics.hpp"

#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace tfe {

struct trace_event {
  std::string name;
  std::string player;
  std::size_t player_id = 0;
  double start_us = 0, duration_us = 0;
  op_stats stats;
};

class trace_recorder {
 public:
  using clock = std::chrono::steady_clock;
  trace_recorder() : m_origin(clock::now()) {}

  double now_us() const { return std::chrono::duration<double, std::micro>(clock::now() - m_origin).count(); }

  void record(trace_event e) {
    std::lock_guard lock(m_mutex);
    m_events.push_back(std::move(e));
  }
  std::vector<trace_event> events() const {
    std::lock_guard lock(m_mutex);
    return m_events;
  }

  /// Writes the Chrome trace-event JSON; throws tfe::error (via std::runtime_error) if the file fails.
  void write_chrome_json(const std::string& path) const {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("cannot write trace file '" + path + "'");
    auto events = this->events();
    out << "{\"traceEvents\":[\n";
    bool first = true;
    std::vector<std::pair<std::size_t, std::string>> players;
    for (const auto& e : events) {
      bool known = false;
      for (auto& p : players) known |= p.first == e.player_id;
      if (!known) players.emplace_back(e.player_id, e.player);
    }
    for (const auto& [id, name] : players) {
      out << (first ? "" : ",\n") << R"({"name":"thread_name","ph":"M","pid":1,"tid":)" << id << R"(,"args":{"name":")"
          << escape(name) << "\"}}";
      first = false;
    }
    for (const auto& e : events) {
      out << (first ? "" : ",\n") << R"({"name":")" << escape(e.name) << R"(","ph":"X","pid":1,"tid":)" << e.player_id
          << ",\"ts\":" << e.start_us << ",\"dur\":" << e.duration_us << R"(,"args":{"bytes_sent":)"
          << e.stats.bytes_sent << ",\"bytes_received\":" << e.stats.bytes_received
          << ",\"messages_sent\":" << e.stats.messages_sent << ",\"rounds\":" << e.stats.rounds << "}}";
      first = false;
    }
    out << "\n]}\n";
  }

 private:
  static std::string escape(const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) o += c;
    }
    return o;
  }

  clock::time_point m_origin;
  mutable std::mutex m_mutex;
  std::vector<trace_event> m_events;
};

}  // namespace tfe
