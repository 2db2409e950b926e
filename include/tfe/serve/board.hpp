// tfe/serve/board.hpp: one server's requests between its client listener (serve/listener.hpp) and the
// thread that runs the batches (serve/batch_loop.hpp), and the checks a request must pass to get there.
//
// A request is keyed by (client name from its certificate, the client's 64-bit random id), so a
// client can never get another's answer: the answer goes back on the connection that brought the
// request. The listener submits a request and goes on with its other connections; the batch thread takes
// requests (the leader: the next batch; the others: those the leader proposed), puts back those that
// are not yet at every server, and answers each one exactly once (a result, or a refusal with the
// reason) through the request's on_answer, which hands it to the listener's event loop. close()
// refuses everything waiting and every later submission, so no request waits forever.
#pragma once

#include "tfe/config.hpp"
#include "tfe/serve/shares.hpp"
#include "tfe/serve/wire.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tfe::serve {

using serve_clock = std::chrono::steady_clock;

struct request {
  std::string client;
  std::uint64_t id = 0;
  shape_t shape;                  ///< the input's shape (axis 0: rows, one example each)
  std::vector<ring_array> parts;  ///< this server's components of the client's input
  serve_clock::time_point arrived = serve_clock::now();

  std::size_t rows() const { return shape.empty() ? 0 : shape[0]; }

  /// Where the answer goes: set by the listener before the request is submitted; called exactly
  /// once, on the answering thread (the batch loop's, or the one that closes the board), outside any
  /// lock of the board or the request.
  std::function<void(message)> on_answer;

  /// Answers once (later answers are ignored).
  void respond(message m) {
    {
      std::lock_guard lock(m_mutex);
      if (m_answered) return;
      m_answered = true;
    }
    if (on_answer) on_answer(std::move(m));
  }
  void refuse(const std::string& why) { respond(message{{{"type", "error"}, {"id", id}, {"error", why}}, {}}); }

 private:
  std::mutex m_mutex;
  bool m_answered = false;
};
using request_ptr = std::shared_ptr<request>;

/// What a predict request must match (the server's model and protocol).
struct request_rules {
  std::string protocol, ring;
  unsigned frac_bits = 0;
  std::size_t parts = 0;
  std::vector<std::int64_t> dims;  ///< the graph input's dims (axis 0: any, −1)
  std::size_t max_rows = 1024;
};

/// Which of a predict's components are seeds (serve/shares.hpp): its "seeded" list, one bool per
/// component; none without the field; nothing when the field is malformed.
inline std::optional<std::vector<bool>> seeded_components(const nlohmann::json& h, std::size_t parts) {
  if (!h.contains("seeded")) return std::vector<bool>(parts, false);
  const auto& f = h["seeded"];
  if (!f.is_array() || f.size() != parts) return std::nullopt;
  std::vector<bool> out;
  for (const auto& e : f) {
    if (!e.is_boolean()) return std::nullopt;
    out.push_back(e.get<bool>());
  }
  return out;
}

/// Why a predict header (with a body of `body_bytes`) breaks the rules, or nothing when it is fine.
inline std::optional<std::string> check_request(const nlohmann::json& h, std::size_t body_bytes,
                                                const request_rules& r) {
  auto str = [&](const char* k) { return h.contains(k) && h[k].is_string() ? h[k].get<std::string>() : "(none)"; };
  if (!h.contains("id") || !h["id"].is_number_unsigned()) return "the request has no unsigned \"id\"";
  if (str("protocol") != r.protocol)
    return "protocol " + str("protocol") + " requested, but these servers run " + r.protocol;
  if (str("ring") != r.ring) return "ring " + str("ring") + " requested, but these servers compute in " + r.ring;
  if (!h.contains("frac_bits") || h["frac_bits"] != r.frac_bits)
    return tfe::detail::concat("fixed point with ", h.value("frac_bits", nlohmann::json()).dump(),
                               " fractional bits, but these servers use ", r.frac_bits);
  if (!h.contains("parts") || h["parts"] != r.parts)
    return tfe::detail::concat(h.value("parts", nlohmann::json()).dump(), " share components per server, but ",
                               r.protocol, " takes ", r.parts);
  shape_t shape;
  try {
    shape = h.at("shape").get<shape_t>();
  } catch (const nlohmann::json::exception&) {
    return "the request has no \"shape\" (a list of non-negative integers)";
  }
  std::string want = "(";
  for (std::size_t i = 0; i < r.dims.size(); ++i)
    want += (i ? ", " : "") + (r.dims[i] < 0 ? std::string("N") : std::to_string(r.dims[i]));
  want += ")";
  bool ok = shape.size() == r.dims.size();
  for (std::size_t i = 1; ok && i < shape.size(); ++i) ok = r.dims[i] < 0 || shape[i] == std::size_t(r.dims[i]);
  if (!ok) return "input of shape " + shape_str(shape) + ", but the model takes " + want;
  if (shape[0] == 0 || shape[0] > r.max_rows)
    return tfe::detail::concat("input of ", shape[0], " rows; a request holds 1 to ", r.max_rows, " rows");
  const auto seeded = seeded_components(h, r.parts);
  if (!seeded)
    return tfe::detail::concat("\"seeded\" must list true or false for each of the ", r.parts, " components");
  std::size_t need = 0;
  for (bool sd : *seeded) need += sd ? sizeof(seed_t) : shape_size(shape) * sizeof(ring);
  if (body_bytes != need)
    return tfe::detail::concat("the request carries ", body_bytes, " bytes of shares; shape ", shape_str(shape),
                               " and ", r.parts, " components need ", need);
  return std::nullopt;
}

/// A request as the leader names it in a proposal.
struct request_ref {
  std::string client;
  std::uint64_t id = 0;
  std::size_t rows = 0;
};

class request_board {
 public:
  /// Queues a request; the reason when it is refused (the board is closed, or the key is taken).
  std::optional<std::string> submit(const request_ptr& r) {
    {
      std::lock_guard lock(m_mutex);
      if (m_closed) return m_closed_why;
      for (const auto& q : m_queue)
        if (q->client == r->client && q->id == r->id)
          return tfe::detail::concat("request id ", r->id, " of client '", r->client, "' is already waiting");
      m_queue.push_back(r);
      m_queued_rows += r->rows();
      // Wake the leader only when it has something new to decide: the first request (its delay
      // starts) or a full batch. Every other arrival would be a thread switch for nothing.
      if (m_queue.size() > 1 && m_queued_rows < m_wanted_rows) return std::nullopt;
    }
    m_changed.notify_all();
    return std::nullopt;
  }

  /// The leader's next batch, taken out of the queue in arrival order: as soon as `max_rows` rows
  /// wait or the oldest request has waited `max_delay`, at most `max_rows` rows (at least one request).
  /// Empty when `tick` passes with nothing to do, or after wake().
  std::vector<request_ptr> next_batch(std::size_t max_rows, serve_clock::duration max_delay,
                                      serve_clock::duration tick) {
    std::unique_lock lock(m_mutex);
    m_wanted_rows = max_rows;
    const auto tick_end = serve_clock::now() + tick;
    const std::uint64_t woken = m_wakes;
    for (;;) {
      if (m_wakes != woken || m_closed) return {};
      const auto now = serve_clock::now();
      if (!m_queue.empty()) {
        const auto due = m_queue.front()->arrived + max_delay;
        if (m_queued_rows >= max_rows || now >= due) break;
        m_changed.wait_until(lock, std::min(due, tick_end));
      } else {
        if (now >= tick_end) return {};
        m_changed.wait_until(lock, tick_end);
      }
    }
    std::vector<request_ptr> out;
    std::size_t rows = 0;
    while (!m_queue.empty() && (out.empty() || rows + m_queue.front()->rows() <= max_rows)) {
      rows += m_queue.front()->rows();
      out.push_back(std::move(m_queue.front()));
      m_queue.pop_front();
    }
    m_queued_rows -= rows;
    return out;
  }

  /// Takes the requests with these keys and row counts (a follower, for the leader's proposal);
  /// null where this server has no such request.
  std::vector<request_ptr> take(const std::vector<request_ref>& wanted) {
    std::lock_guard lock(m_mutex);
    std::vector<request_ptr> out;
    for (const auto& w : wanted) {
      auto it = std::find_if(m_queue.begin(), m_queue.end(),
                             [&](const request_ptr& q) { return q->id == w.id && q->client == w.client; });
      if (it == m_queue.end() || (*it)->rows() != w.rows) {
        out.push_back(nullptr);
        continue;
      }
      m_queued_rows -= (*it)->rows();
      out.push_back(std::move(*it));
      m_queue.erase(it);
    }
    return out;
  }

  /// Returns requests that did not make the batch to the front of the queue, in their order.
  void put_back(const std::vector<request_ptr>& rs) {
    std::lock_guard lock(m_mutex);
    for (auto it = rs.rbegin(); it != rs.rend(); ++it)
      if (*it) {
        if (m_closed)
          (*it)->refuse(m_closed_why);
        else
          m_queue.push_front(*it), m_queued_rows += (*it)->rows();
      }
  }

  /// Refuses the requests that have waited longer than `age`.
  void expire(serve_clock::duration age, const std::string& why) {
    std::lock_guard lock(m_mutex);
    const auto now = serve_clock::now();
    std::erase_if(m_queue, [&](const request_ptr& q) {
      if (now - q->arrived < age) return false;
      m_queued_rows -= q->rows();
      q->refuse(why);
      return true;
    });
  }

  /// Ends next_batch's wait now (a signal came).
  void wake() {
    {
      std::lock_guard lock(m_mutex);
      ++m_wakes;
    }
    m_changed.notify_all();
  }

  /// Refuses every waiting request and every later submission with `why`. Idempotent (first reason kept).
  void close(const std::string& why) {
    {
      std::lock_guard lock(m_mutex);
      if (!m_closed) m_closed_why = why;
      m_closed = true;
      for (auto& q : m_queue) q->refuse(m_closed_why);
      m_queue.clear();
      m_queued_rows = 0;
    }
    m_changed.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<request_ptr> m_queue;
  bool m_closed = false;
  std::string m_closed_why;
  std::uint64_t m_wakes = 0;
  std::size_t m_queued_rows = 0;  // the rows of m_queue's requests
  std::size_t m_wanted_rows = 1;  // the leader's batch size (its last next_batch)
};

}  // namespace tfe::serve
