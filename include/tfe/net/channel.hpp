// tfe/net/channel.hpp: the injected channel interface every protocol talks through.
//
// A channel connects one player to every other player of a program. Its public operations
// (send/recv/exchange of ring tensors and bytes) are non-virtual: they check the peer, enforce the
// maximum frame size, count bytes, messages and rounds per op tag, and then call the protected
// virtual transport hooks do_send / do_recv / do_close (and, optionally, do_liveness). A transport
// (the in-memory network, TCP, a user's own) implements:
//
//   do_send(to, frame&&)         deliver the frame to player `to`, in order per (sender, receiver) pair;
//                                may return before delivery, must not block forever.
//   do_recv(from, wait)          the next frame from player `from`, waiting at most `wait`; nullopt when
//                                none came in that time; throws channel_error naming the peer when the
//                                peer is gone (closed, lost, aborted) or the channel is closed.
//   do_close()                   wake every receiver waiting on this player (they throw channel_error);
//                                the in-memory network closes all mailboxes, which run_local relies on.
//   do_liveness(peer)            optional: what the transport knows of a peer's activity (below).
//
// Liveness, not fixed waits. A receive waits as long as the peer it waits for is alive and the
// computation can progress, so an idle player (a prediction client) outlasts any computation:
//   - a peer that is gone (process exited, connection reset, no heartbeat for recv_timeout over TCP)
//     makes do_recv throw, naming it; the base adds where the receive was (player and op scope);
//   - a deadlock (every player on a cycle waits for the next one, and none has sent or received a
//     frame for recv_timeout: typically players running different programs or arguments) ends the
//     receive with an error naming the cycle; this needs every player's activity, so do_liveness;
//   - channel_options::max_wait, when set, bounds any single receive however alive the peer is.
// A transport without do_liveness keeps the fixed wait: a receive fails after recv_timeout.
// Each channel publishes its own activity (which peer it waits for, frames moved so far) through
// activity(); the transports pass it on (TCP heartbeats, the in-memory network's registry).
//
// Receiving from different peers may happen in any order: frames wait in one FIFO per ordered pair.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/frame.hpp"
#include "tfe/net/statistics.hpp"
#include "tfe/net/trace.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tfe {

struct channel_options {
  /// How long a peer may be silent: over TCP a peer with no data and no heartbeat for this long is
  /// gone; any transport reports a deadlock (a cycle of waiting players with no frame moving) after
  /// this long. A busy peer is waited for however long it computes. Transports that do not report
  /// liveness (no do_liveness) use it as a fixed limit on every receive.
  std::chrono::milliseconds recv_timeout{std::chrono::seconds(60)};
  /// If positive, no single receive waits longer than this, even for a live, busy peer.
  std::chrono::milliseconds max_wait{0};
  /// Frames larger than this are refused at send and at receive (1 GiB: a ring128 share of 2^26
  /// values; a private input larger than a frame is refused at its owner, see session.hpp).
  std::size_t max_frame_bytes = std::size_t(1) << 30;
};

/// What a transport knows of a peer's activity (channel::do_liveness).
struct peer_activity {
  bool known = false;             ///< false: the transport does not track this peer
  std::int64_t waiting_for = -1;  ///< the player the peer waits for, -1 while it computes
  std::uint64_t progress = 0;     ///< frames the peer has sent and received so far
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
  void set_max_wait(std::chrono::milliseconds t) { m_options.max_wait = t; }

  /// This player's own activity, as transports report it to the peers (readable from any thread).
  peer_activity activity() const {
    return {true, m_waiting_for.load(std::memory_order_relaxed), m_progress.load(std::memory_order_relaxed)};
  }

  // ---- counted operations -------------------------------------------------------------------

  template <class R>
  void send(std::size_t to, const ring_tensor<R>& t) {
    const std::size_t payload = t.size() * ring_traits<R>::bytes;
    frame f = spare_frame(payload);
    serialize_tensor_into(f, t);
    send_frame(to, std::move(f), payload);
  }
  template <class R>
  ring_tensor<R> recv(std::size_t from) {
    frame f = recv_frame(from);
    auto t = deserialize_tensor<R>(f, m_names[from]);
    count_recv(t.size() * ring_traits<R>::bytes);
    keep_spare(std::move(f));
    return t;
  }
  /// Sends a 1-d tensor of `count` elements of R whose payload `fill(std::uint8_t* payload)` writes in
  /// place (count·ring_traits<R>::bytes bytes, little-endian elements): the same frame, bytes and counts
  /// as send() of that tensor, without building the tensor first (a kernel writes into a spare frame).
  template <class R, class F>
  void send_filled(std::size_t to, std::size_t count, F&& fill) {
    const std::size_t payload = count * ring_traits<R>::bytes;
    frame f = spare_frame(payload);
    const std::size_t head = frame_header_bytes(1);
    f.resize(head + payload);
    detail::write_header(f, detail::frame_kind_tensor, static_cast<std::uint8_t>(ring_traits<R>::bytes),
                         shape_t{count});
    std::forward<F>(fill)(f.data() + head);
    send_frame(to, std::move(f), payload);
  }
  /// A received tensor frame kept whole: its elements start at bytes.data() + head (see recv_kept).
  struct kept_tensor {
    frame bytes;
    std::size_t head = 0;
    shape_t shape;
  };
  /// Receives a tensor of R as its frame, checked and counted like recv() but not copied out.
  template <class R>
  kept_tensor recv_kept(std::size_t from) {
    kept_tensor t;
    t.bytes = recv_frame(from);
    auto [shape, head] = detail::parse_header(t.bytes, detail::frame_kind_tensor, ring_traits<R>::bytes, m_names[from]);
    count_recv(shape_size(shape) * ring_traits<R>::bytes);
    t.shape = std::move(shape);
    t.head = head;
    return t;
  }
  /// Receives a tensor of R and calls use(const std::uint8_t* payload, const shape_t& shape) while the
  /// frame lives, then keeps the frame for reuse: recv() without the tensor's copy. Returns use's result.
  template <class R, class F>
  decltype(auto) recv_viewed(std::size_t from, F&& use) {
    kept_tensor t = recv_kept<R>(from);
    struct recycle {
      channel& ch;
      frame& f;
      ~recycle() { ch.keep_spare(std::move(f)); }
    } r{*this, t.bytes};
    return std::forward<F>(use)(static_cast<const std::uint8_t*>(t.bytes.data() + t.head),
                                static_cast<const shape_t&>(t.shape));
  }
  /// Hands back a frame (e.g. a kept_tensor's) that is no longer needed, for reuse by the next sends.
  void recycle(frame&& f) { keep_spare(std::move(f)); }
  /// Sends `t` to `peer` and receives the peer's tensor: one round when both sides call it.
  template <class R>
  ring_tensor<R> exchange(std::size_t peer, const ring_tensor<R>& t) {
    send(peer, t);
    return recv<R>(peer);
  }
  /// Byte messages carry seeds and keys (session::send_seed): the frame is wiped once sent or read.
  void send_bytes(std::size_t to, const std::vector<std::uint8_t>& bytes) {
    frame f = serialize_bytes(bytes.data(), bytes.size());
    const wiped_when_done wipe{f};
    send_frame(to, std::move(f), bytes.size());  // a transport that keeps the frame leaves it empty
  }
  std::vector<std::uint8_t> recv_bytes(std::size_t from) {
    frame f = recv_frame(from);
    const wiped_when_done wipe{f};
    auto b = deserialize_bytes(f, m_names[from]);
    count_recv(b.size());
    return b;
  }

  /// What one op sends and receives at this player, as a cost model predicts it (tfe/plan/planning.hpp).
  struct predicted_traffic {
    std::uint64_t bytes_sent = 0, bytes_received = 0, messages_sent = 0, messages_received = 0;
    std::uint64_t rounds = 0;       // send runs, counted as in a scope of its own
    bool opens_with_send = false;   // its first message is a send (else a receive)
    bool closes_with_send = false;  // its last message is a send
  };
  /// Counts predicted traffic as if its messages had been sent and received (nothing is): a planner
  /// runs a program over a protocol that only predicts its messages, and reads the same statistics.
  /// The rounds follow the rule of send_frame: a run of sends that continues this player's last one
  /// (it ended on a send, the op opens with one) is no new round in the total nor in a scope that has
  /// sent before. Frame headers are not predicted (frame_bytes_sent is left alone).
  void count_predicted(const predicted_traffic& t) {
    if (t.messages_sent + t.messages_received == 0) return;
    const bool continues = m_last_was_send && t.opens_with_send && t.rounds > 0;
    auto add = [&](op_stats& s, bool merge) {
      s.bytes_sent += t.bytes_sent;
      s.bytes_received += t.bytes_received;
      s.messages_sent += t.messages_sent;
      s.messages_received += t.messages_received;
      s.rounds += t.rounds - (merge ? 1 : 0);
    };
    add(m_stats.total, continues);
    for (auto& sc : m_scopes) {
      add(m_stats.by_tag[sc.tag], continues && sc.has_sent);
      sc.has_sent = sc.has_sent || t.messages_sent > 0;
    }
    m_last_was_send = t.closes_with_send;
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
  virtual std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) = 0;
  virtual void do_close() = 0;
  virtual peer_activity do_liveness(std::size_t /*peer*/) const { return {}; }
  /// Optional frame recycling between the players of one transport: do_recycle takes a large frame
  /// this player's spares have no room for, do_reuse hands one back for a send of `bytes` bytes (empty
  /// when it has none). The in-memory network shares them between its players, so a player that sends
  /// more than it receives (SecureNN's servers, a crypto producer) reuses the frames its peers received
  /// instead of mapping fresh pages for every large message.
  virtual void do_recycle(frame&& /*f*/) {}
  virtual frame do_reuse(std::size_t /*bytes*/) { return {}; }

  /// For decorators: call another channel's transport hooks directly (no second count); the inner
  /// channel's activity follows, so its transport reports the decorated player's waits.
  static void forward_send(channel& inner, std::size_t to, frame&& f) {
    inner.do_send(to, std::move(f));
    inner.m_progress.fetch_add(1, std::memory_order_relaxed);
  }
  static std::optional<frame> forward_recv(channel& inner, std::size_t from, std::chrono::milliseconds wait) {
    inner.m_waiting_for.store(static_cast<std::int64_t>(from), std::memory_order_relaxed);
    auto f = inner.do_recv(from, wait);
    inner.m_waiting_for.store(-1, std::memory_order_relaxed);
    if (f) inner.m_progress.fetch_add(1, std::memory_order_relaxed);
    return f;
  }
  static peer_activity forward_liveness(const channel& inner, std::size_t peer) { return inner.do_liveness(peer); }

  void check_peer(std::size_t id, const char* what) const {
    TFE_ENFORCE(id < m_names.size(), protocol_error, what, ": unknown player index ", id, " (", m_names.size(),
                " players)");
  }

 private:
  struct open_scope {
    std::string tag;
    bool has_sent;
  };
  /// Overwrites the frame's bytes at the end of the scope (volatile stores: not removed as dead).
  struct wiped_when_done {
    frame& f;
    ~wiped_when_done() {
      volatile std::uint8_t* p = f.data();
      for (std::size_t i = 0; i < f.size(); ++i) p[i] = 0;
    }
  };

  void send_frame(std::size_t to, frame&& f, std::size_t payload) {
    check_peer(to, "send");
    TFE_ENFORCE(to != m_self, protocol_error, "player '", m_names[m_self], "' tried to send to itself");
    TFE_ENFORCE(f.size() <= m_options.max_frame_bytes, channel_error, "frame of ", f.size(), " bytes to '", m_names[to],
                "' exceeds the maximum frame size of ", m_options.max_frame_bytes, " bytes");
    const std::size_t frame_bytes = f.size();
    do_send(to, std::move(f));
    m_progress.fetch_add(1, std::memory_order_relaxed);
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
    frame f = wait_for_frame(from);
    TFE_ENFORCE(f.size() <= m_options.max_frame_bytes, channel_error, "frame of ", f.size(), " bytes from '",
                m_names[from], "' exceeds the maximum frame size of ", m_options.max_frame_bytes, " bytes");
    m_last_was_send = false;
    return f;
  }

  /// Waits for the next frame from `from` (see "Liveness" at the top): in slices, checking between
  /// them for a deadlock and for max_wait; a transport without liveness gets one recv_timeout wait.
  frame wait_for_frame(std::size_t from) {
    using clock = std::chrono::steady_clock;
    const auto timeout = m_options.recv_timeout;
    const bool tracked = do_liveness(from).known;
    const auto slice = tracked ? std::clamp<std::chrono::milliseconds>(timeout / 4, std::chrono::milliseconds(1),
                                                                       std::chrono::milliseconds(250))
                               : timeout;
    const auto start = clock::now();
    struct waiting_mark {
      std::atomic<std::int64_t>& w;
      ~waiting_mark() { w.store(-1, std::memory_order_relaxed); }
    } mark{m_waiting_for};
    m_waiting_for.store(static_cast<std::int64_t>(from), std::memory_order_relaxed);
    std::vector<std::uint64_t> cycle, seen;  // the deadlock candidate: members and their progress
    auto cycle_since = start;
    for (;;) {
      std::optional<frame> f;
      try {
        f = do_recv(from, slice);
      } catch (const channel_error& e) {
        throw channel_error(detail::concat(e.what(), where_waiting(from)));
      }
      if (f) {
        m_progress.fetch_add(1, std::memory_order_relaxed);
        return std::move(*f);
      }
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
      if (!tracked) {
        if (waited < timeout) continue;
        throw channel_error(detail::concat("timeout: '", m_names[m_self], "' received nothing from '", m_names[from],
                                           "' within ", timeout.count(), " ms (is '", m_names[from],
                                           "' still running?)", where_waiting(from)));
      }
      if (m_options.max_wait.count() > 0 && waited >= m_options.max_wait)
        throw channel_error(detail::concat("'", m_names[m_self], "' waited ", waited.count(), " ms for '",
                                           m_names[from], "', longer than max_wait (", m_options.max_wait.count(),
                                           " ms)", where_waiting(from)));
      seen = waiting_cycle(from);
      if (seen.empty() || seen != cycle) {
        cycle = std::move(seen);
        cycle_since = clock::now();
      } else if (clock::now() - cycle_since >= timeout) {
        throw channel_error(
            detail::concat("deadlock: ", describe_cycle(cycle), ", and no frame has moved for ", timeout.count(),
                           " ms: do the players run the same program with the same arguments?", where_waiting(from)));
      }
    }
  }

  /// The chain of waits starting at `from`, when it comes back to this player: the members (player,
  /// progress) in order, this player first; empty when some player on it computes, or is unknown.
  std::vector<std::uint64_t> waiting_cycle(std::size_t from) const {
    std::vector<std::uint64_t> out{m_self, m_progress.load(std::memory_order_relaxed)};
    std::size_t q = from;
    for (std::size_t hops = 0; hops < m_names.size(); ++hops) {
      if (q == m_self) return out;
      const peer_activity a = do_liveness(q);
      if (!a.known || a.waiting_for < 0 || static_cast<std::size_t>(a.waiting_for) >= m_names.size()) return {};
      out.push_back(q);
      out.push_back(a.progress);
      q = static_cast<std::size_t>(a.waiting_for);
    }
    return {};  // a cycle that does not pass through this player: its members report it
  }
  std::string describe_cycle(const std::vector<std::uint64_t>& cycle) const {
    std::string s;
    for (std::size_t i = 0; i < cycle.size(); i += 2) {
      const std::size_t next = i + 2 < cycle.size() ? static_cast<std::size_t>(cycle[i + 2]) : m_self;
      s += detail::concat(s.empty() ? "" : ", ", "'", m_names[static_cast<std::size_t>(cycle[i])], "' waits for '",
                          m_names[next], "'");
    }
    return s;
  }
  /// " (while 'me' waited for 'peer' in op a/b)": where a failed receive was.
  std::string where_waiting(std::size_t from) const {
    const std::string path = scope_path();
    return detail::concat(" [while '", m_names[m_self], "' waited for '", m_names[from], "'",
                          path.empty() ? std::string() : " in op " + path, "]");
  }

  /// Received tensor frames are kept (up to spare_frames of at least 64 KiB, spare_bytes in all) and
  /// reused by the next sends: a player that receives as much as it sends allocates no new frames
  /// (and maps no new pages) in a steady state. The smallest spare that fits is taken.
  static constexpr std::size_t spare_frames = 4, spare_bytes = std::size_t(128) << 20, spare_min = 64 << 10;
  frame spare_frame(std::size_t payload) {
    frame f = m_spare.take(payload + detail::frame_fixed_header);
    if (f.capacity() == 0 && payload >= spare_min) f = do_reuse(payload + frame_header_bytes(1));
    return f;
  }
  void keep_spare(frame&& f) {
    if (f.capacity() < spare_min) return;
    // the frames that go (the oldest, or f when it is too large) go to the transport, if it reuses them
    m_spare.put(std::move(f), [this](frame&& gone) { do_recycle(std::move(gone)); });
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
  frame_pool m_spare{spare_frames, spare_bytes};  // received frames kept for reuse (spare_frame, keep_spare)
  bool m_last_was_send = false;
  trace_recorder* m_trace = nullptr;
  std::atomic<std::int64_t> m_waiting_for{-1};  // activity(): the peer a receive waits for
  std::atomic<std::uint64_t> m_progress{0};     // activity(): frames sent and received
};

}  // namespace tfe
