// tfe/net/channel.hpp: the injected channel interface every protocol talks through.
//
// A channel connects one player to every other player of a program. Its public operations
// (send/recv/exchange of ring tensors and bytes) are non-virtual: they check the peer, enforce the
// maximum frame size, count bytes, messages and rounds per op tag, and then call the protected
// virtual transport hooks do_send / do_recv / do_close. A transport (the in-memory network, TCP, a
// user's own) implements only those three hooks:
//
//   do_send(to, frame&&)         deliver the frame to player `to`, in order per (sender, receiver) pair;
//                                may return before delivery, must not block forever.
//   do_recv(from, timeout)       the next frame from player `from`, waiting at most `timeout`;
//                                throws channel_error naming the peer on timeout or when closed.
//   do_close()                   wake every receiver waiting on this player (they throw channel_error);
//                                the in-memory network closes all mailboxes, which run_local relies on.
//
// Receiving from different peers may happen in any order: frames wait in one FIFO per ordered pair.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/frame.hpp"
#include "tfe/net/statistics.hpp"
#include "tfe/net/trace.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tfe {

struct channel_options {
  /// Every blocking receive gives up after this long with a channel_error naming the peer.
  std::chrono::milliseconds recv_timeout{std::chrono::seconds(60)};
  /// Frames larger than this are refused at send and at receive.
  std::size_t max_frame_bytes = std::size_t(1) << 32;
};

class channel {
 public:
  channel(std::size_t self, std::vector<std::string> names, channel_options options = {})
      : m_self(self), m_names(std::move(names)), m_options(options) {
    TFE_ENFORCE(!m_names.empty(), config_error, "a channel needs at least one player");
    TFE_ENFORCE(m_self < m_names.size(), config_error, "player index ", m_self, " out of range for ", m_names.size(),
                " players");
  }
  virtual ~channel() = default;
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  std::size_t self() const { return m_self; }
  std::size_t num_players() const { return m_names.size(); }
  const std::vector<std::string>& names() const { return m_names; }
  const std::string& name(std::size_t id) const {
    check_peer(id, "name");
    return m_names[id];
  }
  /// Index of a player by name; throws protocol_error listing the known players.
  std::size_t id_of(const std::string& player) const {
    for (std::size_t i = 0; i < m_names.size(); ++i)
      if (m_names[i] == player) return i;
    std::string known;
    for (const auto& n : m_names) known += (known.empty() ? "" : ", ") + n;
    throw protocol_error(detail::concat("unknown player '", player, "' (players are: ", known, ")"));
  }
  const channel_options& options() const { return m_options; }
  void set_recv_timeout(std::chrono::milliseconds t) { m_options.recv_timeout = t; }

  // ---- counted operations -------------------------------------------------------------------

  template <class R>
  void send(std::size_t to, const xt::xarray<R>& t) {
    const std::size_t payload = t.size() * ring_traits<R>::bytes;
    frame f = spare_frame(payload);
    serialize_tensor_into(f, t);
    send_frame(to, std::move(f), payload);
  }
  template <class R>
  xt::xarray<R> recv(std::size_t from) {
    frame f = recv_frame(from);
    auto t = deserialize_tensor<R>(f, m_names[from]);
    count_recv(t.size() * ring_traits<R>::bytes);
    keep_spare(std::move(f));
    return t;
  }
  /// Sends `t` to `peer` and receives the peer's tensor: one round when both sides call it.
  template <class R>
  xt::xarray<R> exchange(std::size_t peer, const xt::xarray<R>& t) {
    send(peer, t);
    return recv<R>(peer);
  }
  void send_bytes(std::size_t to, const std::vector<std::uint8_t>& bytes) {
    send_frame(to, serialize_bytes(bytes.data(), bytes.size()), bytes.size());
  }
  std::vector<std::uint8_t> recv_bytes(std::size_t from) {
    auto b = deserialize_bytes(recv_frame(from), m_names[from]);
    count_recv(b.size());
    return b;
  }

  /// Closes this player's side: every receiver blocked on a message from this player wakes up with a
  /// channel_error. Idempotent.
  void close() { do_close(); }

  const statistics& stats() const { return m_stats; }
  /// Attaches a trace recorder (not owned; nullptr detaches). Spans are recorded for op scopes.
  void set_trace(trace_recorder* recorder) { m_trace = recorder; }
  void reset_stats() {
    m_stats = {};
    m_last_was_send = false;
  }

  /// RAII scope: everything sent or received while it lives is also counted under `tag`; with a
  /// trace recorder attached, closing the scope records one span (duration, bytes, rounds).
  class scope {
   public:
    scope(channel& ch, std::string tag) : m_ch(&ch) {
      m_ch->m_scopes.push_back({std::move(tag), false});
      auto& st = m_ch->m_stats.by_tag[m_ch->m_scopes.back().tag];
      ++st.calls;
      if (m_ch->m_trace) {
        m_start_us = m_ch->m_trace->now_us();
        m_before = st;
      }
    }
    ~scope() {
      if (m_ch->m_trace) {
        const auto& tag = m_ch->m_scopes.back().tag;
        trace_event e;
        e.name = tag;
        e.player = m_ch->m_names[m_ch->m_self];
        e.player_id = m_ch->m_self;
        e.start_us = m_start_us;
        e.duration_us = m_ch->m_trace->now_us() - m_start_us;
        e.stats = m_ch->m_stats.by_tag[tag] - m_before;
        m_ch->m_trace->record(std::move(e));
      }
      m_ch->m_scopes.pop_back();
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    channel* m_ch;
    double m_start_us = 0;
    op_stats m_before;
  };
  scope op_scope(std::string tag) { return scope(*this, std::move(tag)); }
  /// The open op scopes' tags, outermost first, joined by '/'.
  std::string scope_path() const {
    std::string p;
    for (const auto& sc : m_scopes) p += (p.empty() ? "" : "/") + sc.tag;
    return p;
  }

 protected:
  virtual void do_send(std::size_t to, frame&& f) = 0;
  virtual frame do_recv(std::size_t from, std::chrono::milliseconds timeout) = 0;
  virtual void do_close() = 0;

  /// For decorators: call another channel's transport hooks directly (no second count).
  static void forward_send(channel& inner, std::size_t to, frame&& f) { inner.do_send(to, std::move(f)); }
  static frame forward_recv(channel& inner, std::size_t from, std::chrono::milliseconds timeout) {
    return inner.do_recv(from, timeout);
  }

  void check_peer(std::size_t id, const char* what) const {
    TFE_ENFORCE(id < m_names.size(), protocol_error, what, ": unknown player index ", id, " (", m_names.size(),
                " players)");
  }

 private:
  struct open_scope {
    std::string tag;
    bool has_sent;
  };

  void send_frame(std::size_t to, frame&& f, std::size_t payload) {
    check_peer(to, "send");
    TFE_ENFORCE(to != m_self, protocol_error, "player '", m_names[m_self], "' tried to send to itself");
    TFE_ENFORCE(f.size() <= m_options.max_frame_bytes, channel_error, "frame of ", f.size(), " bytes to '", m_names[to],
                "' exceeds the maximum frame size of ", m_options.max_frame_bytes, " bytes");
    const std::size_t frame_bytes = f.size();
    do_send(to, std::move(f));
    const bool new_round = !m_last_was_send;
    m_last_was_send = true;
    auto add = [&](op_stats& s, bool round) {
      s.bytes_sent += payload;
      s.frame_bytes_sent += frame_bytes;
      s.messages_sent += 1;
      if (round) s.rounds += 1;
    };
    add(m_stats.total, new_round);
    for (auto& sc : m_scopes) {
      add(m_stats.by_tag[sc.tag], new_round || !sc.has_sent);
      sc.has_sent = true;
    }
  }

  frame recv_frame(std::size_t from) {
    check_peer(from, "recv");
    TFE_ENFORCE(from != m_self, protocol_error, "player '", m_names[m_self], "' tried to receive from itself");
    frame f = do_recv(from, m_options.recv_timeout);
    TFE_ENFORCE(f.size() <= m_options.max_frame_bytes, channel_error, "frame of ", f.size(), " bytes from '",
                m_names[from], "' exceeds the maximum frame size of ", m_options.max_frame_bytes, " bytes");
    m_last_was_send = false;
    return f;
  }

  /// Received tensor frames are kept (up to spare_frames of at least 64 KiB, spare_bytes in all) and
  /// reused by the next sends: a player that receives as much as it sends allocates no new frames
  /// (and maps no new pages) in a steady state. The smallest spare that fits is taken.
  static constexpr std::size_t spare_frames = 4, spare_bytes = std::size_t(128) << 20, spare_min = 64 << 10;
  frame spare_frame(std::size_t payload) {
    std::size_t best = m_spare.size();
    for (std::size_t i = 0; i < m_spare.size(); ++i)
      if (m_spare[i].capacity() >= payload + detail::frame_fixed_header &&
          (best == m_spare.size() || m_spare[i].capacity() < m_spare[best].capacity()))
        best = i;
    if (best == m_spare.size()) return {};
    frame f = std::move(m_spare[best]);
    m_spare.erase(m_spare.begin() + static_cast<std::ptrdiff_t>(best));
    m_spare_bytes -= f.capacity();
    return f;
  }
  void keep_spare(frame&& f) {
    if (f.capacity() < spare_min || f.capacity() > spare_bytes) return;
    while (!m_spare.empty() && (m_spare.size() >= spare_frames || m_spare_bytes + f.capacity() > spare_bytes)) {
      m_spare_bytes -= m_spare.front().capacity();  // the oldest goes
      m_spare.erase(m_spare.begin());
    }
    m_spare_bytes += f.capacity();
    m_spare.push_back(std::move(f));
  }

  void count_recv(std::size_t payload) {
    m_stats.total.bytes_received += payload;
    m_stats.total.messages_received += 1;
    for (auto& sc : m_scopes) {
      auto& s = m_stats.by_tag[sc.tag];
      s.bytes_received += payload;
      s.messages_received += 1;
    }
  }

  std::size_t m_self;
  std::vector<std::string> m_names;
  channel_options m_options;
  statistics m_stats;
  std::vector<open_scope> m_scopes;
  std::vector<frame> m_spare;  // received frames kept for reuse (spare_frame, keep_spare)
  std::size_t m_spare_bytes = 0;
  bool m_last_was_send = false;
  trace_recorder* m_trace = nullptr;
};

}  // namespace tfe
