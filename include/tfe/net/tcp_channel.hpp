// tfe/net/tcp_channel.hpp: one player's channel over TCP, TLS 1.3 by default: one process per player.
//
//   tfe::hosts_config hosts = tfe::load_hosts("hosts.json");
//   tfe::tcp_channel ch(hosts, "server1", tcp_opts, channel_opts);   // connects to every player
//   tfe::session<tfe::pond<tfe::ring64>> s(ch);                       // then as with any channel
//
// (tfe::run_player in runtime/launch.hpp does this and more.) The constructor builds the full mesh
// (tcp_mesh.hpp: retries until tcp_options::connect_timeout, TLS with mutual authentication, a
// handshake that checks run id, player list and program) and throws channel_error listing what is
// missing when it cannot. After that:
//   - sends are synchronous writes from the caller's thread (no thread hand-off); a send waits while
//     the peer is alive (or fails when it makes no progress for tcp_options::send_timeout, if set);
//   - every peer has a reader thread that reads frames into that peer's FIFO mailbox as they arrive,
//     so two players sending each other large tensors cannot deadlock, and receiving from peers in any
//     order works as with the in-memory network; a mailbox holds tcp_options::max_queued_bytes at
//     most (then its reader pauses and TCP's flow control slows the sender);
//   - every peer has a heartbeat thread: every heartbeat_interval it sends a heartbeat (this player's
//     activity: whom it waits for, frames moved) and checks the peer's silence. A peer from which
//     nothing came (no data, no heartbeat, no unread byte on the socket) for recv_timeout is gone
//     (stopped, hung, cut off): the computation ends for this player with "'me' heard nothing from
//     'X' ... for N ms", and its abort tells the others. A busy peer keeps sending heartbeats, so a
//     receive waits for it as long as it computes (and a deadlock is reported, see channel.hpp);
//   - the u64 length of every incoming frame is checked against channel_options::max_frame_bytes
//     before any allocation, and the buffer grows only as bytes actually arrive (beyond 64 MiB);
//   - closing sends a goodbye to every peer; a receive from a peer that said goodbye fails ("'X'
//     finished its program ...") once its queued frames are consumed;
//   - abort(reason), and a destructor running during stack unwinding, send an abort instead: every
//     pending and future receive (and a send blocked on a full socket) of every peer fails at once
//     with "player 'X' aborted the computation: reason"; a player that aborts because of a peer's
//     abort passes the original words on, so all players report the root cause;
//   - a connection that ends without a goodbye (the peer died or was killed), breaks, or brings an
//     oversized or unexpected message ends the computation the same way, with "'me' lost its
//     connection to 'X' (address): ...". Every error is a tfe::channel_error.
// Latency: a receive that finds its mailbox empty polls it for tcp_options::spin_wait (50 us, yielding
// the core) before sleeping, which saves a thread wake-up per message on a fast link.
#pragma once

#include "tfe/net/channel.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/net/tcp_mesh.hpp"
#include "tfe/net/tcp_wire.hpp"
#include "tfe/net/tls.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tfe {

class tcp_channel final : public channel {
 public:
  /// Connects `player` (a name in `hosts`) to every other player of `hosts`.
  tcp_channel(const hosts_config& hosts, const std::string& player, tcp_options tcp = {}, channel_options options = {})
      : channel(hosts.index_of(player), hosts.names(), options),
        m_tcp(std::move(tcp)),
        m_max_frame(options.max_frame_bytes),
        m_boxes(hosts.players.size()),
        m_uncaught(std::uncaught_exceptions()) {
    if (m_tcp.run_id.empty()) m_tcp.run_id = hosts.run_id;
    if (!m_tcp.insecure_plaintext) {
      const auto& me = hosts.players[self()];
      tls_files files{m_tcp.ca_file.empty() ? hosts.ca : m_tcp.ca_file,
                      m_tcp.cert_file.empty() ? me.cert : m_tcp.cert_file,
                      m_tcp.key_file.empty() ? me.key : m_tcp.key_file};
      m_tls = std::make_unique<tls_context>(files);
      TFE_ENFORCE(m_tls->own_certificate().names_player(player), config_error, "TLS: the certificate '", files.cert,
                  "' names ", m_tls->own_certificate().names_str(), ", not the player '", player, "'");
    }
    m_links = detail::mesh_builder(hosts, self(), m_tcp, m_tls.get()).build();
    for (auto& b : m_boxes) b = std::make_unique<mailbox>();
    m_send_what.resize(num_players());
    for (std::size_t p = 0; p < num_players(); ++p)
      if (p != self())
        m_send_what[p] = detail::concat("'", name(self()), "' sending to '", name(p), "' (", m_links[p]->address, ")");
    m_readers.reserve(2 * num_players());
    try {
      for (std::size_t p = 0; p < num_players(); ++p)
        if (p != self()) {
          m_boxes[p]->heard_ns.store(now_ns());
          m_readers_running.fetch_add(1);
          m_readers.emplace_back([this, p] {
            reader_loop(p);
            m_readers_running.fetch_sub(1);
          });
          m_readers.emplace_back([this, p] { heartbeat_loop(p); });
        }
    } catch (...) {
      shutdown(false, "could not start its reader threads");
      throw;
    }
  }

  ~tcp_channel() override {
    if (std::uncaught_exceptions() > m_uncaught)
      shutdown(false, detail::concat("'", name(self()), "' left the computation with an exception"));
    else
      shutdown(true, "");
  }

  /// Ends the computation for everybody: sends `reason` to every peer (their receives fail at once
  /// with it), then closes. Idempotent; close() after abort() does nothing.
  void abort(const std::string& reason) { shutdown(false, reason); }

  /// The peer's address as connected ("host:port").
  const std::string& peer_address(std::size_t peer) const {
    check_peer(peer, "peer_address");
    TFE_ENFORCE(peer != self(), protocol_error, "no connection to itself");
    return m_links[peer]->address;
  }
  /// Whether the connections use TLS.
  bool encrypted() const { return m_tls != nullptr; }

 protected:
  void do_send(std::size_t to, frame&& f) override {
    throw_if_doomed();
    TFE_ENFORCE(!m_closed.load(), channel_error, "the channel of '", name(self()), "' is closed");
    auto& link = *m_links[to];
    std::uint8_t h[8];
    detail::wire::encode_header(h, detail::wire::msg::data, f.size());
    iovec parts[2] = {{h, 8}, {f.data(), f.size()}};
    const auto deadline = m_tcp.send_timeout.count() > 0 ? detail::wire::clock::now() + m_tcp.send_timeout
                                                         : detail::wire::clock::time_point::max();
    try {
      link.send(parts, f.empty() ? 1 : 2, deadline, m_send_what[to], &m_doomed);
    } catch (const channel_error& e) {
      // A broken connection usually has a reason on its way (the peer's abort, passed on by it):
      // give the reader a moment to bring it, and report the root cause first.
      {
        auto& b = *m_boxes[to];
        std::unique_lock lock(b.mutex);
        b.ready.wait_for(lock, std::chrono::milliseconds(250),
                         [&] { return b.state != peer_state::open || m_doomed.load(); });
      }
      if (m_doomed.load() && m_doomed_by_peer.load())
        throw channel_error(detail::concat(doom_reason(), " (then: ", e.what(), ")"));
      throw channel_error(e.what() + peer_status(to));
    }
  }

  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    auto& b = *m_boxes[from];
    if (b.queued.load(std::memory_order_acquire) == 0 && m_tcp.spin_wait.count() > 0) {
      const auto until = std::chrono::steady_clock::now() + m_tcp.spin_wait;
      while (b.queued.load(std::memory_order_acquire) == 0 && !b.ended.load() && !m_doomed.load() &&
             std::chrono::steady_clock::now() < until)
        std::this_thread::yield();  // cooperative: a reader thread waiting for a core gets it
    }
    std::unique_lock lock(b.mutex);
    auto ready = [&] { return !b.frames.empty() || b.state != peer_state::open || m_doomed.load(); };
    if (!ready()) b.ready.wait_for(lock, wait, ready);
    if (m_doomed.load()) throw channel_error(doom_reason());
    if (!b.frames.empty()) {
      frame f = std::move(b.frames.front());
      b.frames.pop_front();
      b.queued.fetch_sub(1, std::memory_order_relaxed);
      const bool was_full = b.queued_bytes > m_tcp.max_queued_bytes;
      b.queued_bytes -= f.size();
      if (was_full && b.queued_bytes <= m_tcp.max_queued_bytes) b.drained.notify_one();
      return f;
    }
    if (b.state == peer_state::finished)
      throw channel_error(detail::concat("'", name(from), "' finished its program and closed its connection while '",
                                         name(self()), "' was waiting for a message from it"));
    if (b.state == peer_state::lost) throw channel_error(b.reason);
    return std::nullopt;
  }

  void do_close() override { shutdown(true, ""); }

  /// The peer's activity as its last heartbeat told it; its progress also counts the bytes that came
  /// from it, so a large frame still arriving over a slow link is never taken for a deadlock.
  /// What the peer's last heartbeat said. A peer not heard from for two heartbeat intervals is not
  /// reported as waiting: it may be stopped or cut off (the silence check names it once recv_timeout
  /// has passed), and a stopped peer that was waiting for this player when it stopped is no deadlock.
  peer_activity do_liveness(std::size_t peer) const override {
    const auto& b = *m_boxes[peer];
    const bool beats = m_tcp.heartbeat_interval.count() >= 0;
    const auto quiet = std::chrono::nanoseconds(now_ns() - b.heard_ns.load(std::memory_order_relaxed));
    const bool silent = beats && quiet > 2 * beat_interval();
    return {true, silent ? -1 : b.peer_waiting.load(std::memory_order_relaxed),
            b.peer_progress.load(std::memory_order_relaxed) + b.bytes_in.load(std::memory_order_relaxed)};
  }

 private:
  enum class peer_state { open, finished, lost };
  struct mailbox {
    std::mutex mutex;
    std::condition_variable ready, drained;
    std::deque<frame> frames;
    std::size_t queued_bytes = 0;  // the frames' bytes (max_queued_bytes)
    peer_state state = peer_state::open;
    std::string reason;
    std::atomic<std::size_t> queued{0};  // frames.size(), readable without the lock (spin_wait)
    std::atomic<bool> ended{false};      // state != open
    // liveness: when bytes last came (steady clock, ns), whether the reader waits for room in the
    // mailbox, and the activity the peer's last heartbeat reported
    std::atomic<std::int64_t> heard_ns{0};
    std::atomic<bool> paused{false};
    std::atomic<std::int64_t> peer_waiting{-1};
    std::atomic<std::uint64_t> peer_progress{0};
    std::atomic<std::uint64_t> bytes_in{0};  // the bytes of data frames read from the peer
  };

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  /// How often heartbeats go out and silences are checked (tcp_options::heartbeat_interval).
  std::chrono::milliseconds beat_interval() const {
    using std::chrono::milliseconds;
    if (m_tcp.heartbeat_interval.count() > 0) return m_tcp.heartbeat_interval;
    return std::clamp<milliseconds>(options().recv_timeout / 4, milliseconds(5), milliseconds(1000));
  }

  // ---- failure bookkeeping --------------------------------------------------------------------------

  /// Ends every pending and future receive with `reason` (by_peer: a peer's abort said so).
  void doom(const std::string& reason, bool by_peer = true) {
    {
      std::lock_guard lock(m_doom_mutex);
      if (m_doomed.load()) return;
      m_doom_reason = reason;
      m_doomed_by_peer.store(by_peer);
      m_doomed.store(true);
    }
    for (auto& b : m_boxes) {
      if (!b) continue;
      { std::lock_guard lock(b->mutex); }  // a waiter between its check and its wait sees the flag
      b->ready.notify_all();
      b->drained.notify_all();
    }
  }
  std::string doom_reason() const {
    std::lock_guard lock(m_doom_mutex);
    return m_doom_reason;
  }
  void throw_if_doomed() const {
    if (m_doomed.load()) throw channel_error(doom_reason());
  }
  void set_state(std::size_t peer, peer_state s, std::string reason) {
    auto& b = *m_boxes[peer];
    {
      std::lock_guard lock(b.mutex);
      if (b.state != peer_state::open) return;
      b.state = s;
      b.reason = std::move(reason);
      b.ended.store(true);
    }
    b.ready.notify_all();
  }
  /// The connection to `peer` broke (no goodbye, oversized or unexpected message): the computation
  /// cannot go on, so every receive fails with the reason, which names the peer.
  void lose(std::size_t peer, std::string reason) {
    set_state(peer, peer_state::lost, reason);
    doom(reason);
  }
  std::string peer_status(std::size_t peer) const {
    if (m_doomed.load()) return " (" + doom_reason() + ")";
    auto& b = *m_boxes[peer];
    std::lock_guard lock(b.mutex);
    if (b.state == peer_state::lost) return " (" + b.reason + ")";
    if (b.state == peer_state::finished) return detail::concat(" ('", name(peer), "' had finished its program)");
    return "";
  }

  // ---- the reader thread of one peer ----------------------------------------------------------------

  struct staged_reader {
    detail::tcp_link& link;
    const std::string& what;
    std::atomic<std::int64_t>& heard_ns;
    std::atomic<std::uint64_t>* count = nullptr;  // when set, counts the bytes delivered
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(64 * 1024);
    std::size_t pos = 0, end = 0;

    /// Reads exactly n bytes; false when the stream ends before the first byte and `eof_ok`.
    bool read_exact(std::uint8_t* dst, std::size_t n, bool eof_ok) {
      std::size_t got = 0;
      while (got < n) {
        if (pos < end) {
          const std::size_t k = std::min(n - got, end - pos);
          std::memcpy(dst + got, buf.data() + pos, k);
          pos += k;
          got += k;
          if (count) count->fetch_add(k, std::memory_order_relaxed);
          continue;
        }
        const bool direct = n - got >= buf.size() / 4;  // large remainder: straight into the frame
        const std::size_t r =
            direct ? link.read_some(dst + got, n - got, what) : link.read_some(buf.data(), buf.size(), what);
        heard_ns.store(now_ns(), std::memory_order_relaxed);
        if (r == 0) {
          if (got == 0 && eof_ok) return false;
          throw channel_error("the connection ended in the middle of a message");
        }
        if (direct) {
          got += r;
          if (count) count->fetch_add(r, std::memory_order_relaxed);
        } else {
          pos = 0;
          end = r;
        }
      }
      return true;
    }
  };

  void reader_loop(std::size_t peer) {
    auto& link = *m_links[peer];
    const std::string& peer_name = name(peer);
    const std::string what;  // errors are wrapped below with who and where
    auto& b = *m_boxes[peer];
    staged_reader in{link, what, b.heard_ns};
    try {
      for (;;) {
        std::uint8_t h[8];
        if (!in.read_exact(h, 8, true)) {
          if (!m_closing.load())
            lose(peer,
                 detail::concat("'", name(self()), "' lost its connection to '", peer_name, "' (", link.address,
                                "): it closed without a goodbye: its process died, was killed, or lost the network"));
          return;
        }
        const auto hd = detail::wire::decode_header(h);
        if (hd.type == std::uint8_t(detail::wire::msg::data)) {
          if (hd.length > m_max_frame) {
            lose(peer, detail::concat("frame of ", hd.length, " bytes from '", peer_name,
                                      "' exceeds the maximum frame size of ", m_max_frame,
                                      " bytes (refused before allocating; connection dropped)"));
            return;
          }
          frame f(static_cast<std::size_t>(std::min<std::uint64_t>(hd.length, std::uint64_t(64) << 20)));
          std::size_t got = 0;
          in.count = &b.bytes_in;  // a frame's body is progress (channel.hpp's deadlock check)
          while (got < hd.length) {
            if (got == f.size()) f.resize(static_cast<std::size_t>(std::min<std::uint64_t>(hd.length, 2 * f.size())));
            in.read_exact(f.data() + got, f.size() - got, false);
            got = f.size();
          }
          in.count = nullptr;
          const std::size_t bytes = f.size();
          {
            std::unique_lock lock(b.mutex);
            b.frames.push_back(std::move(f));
            b.queued_bytes += bytes;
            b.queued.fetch_add(1, std::memory_order_release);
            b.ready.notify_one();
            if (b.queued_bytes > m_tcp.max_queued_bytes) {  // wait for room; the watchdog knows why
              b.paused.store(true);
              b.drained.wait(lock, [&] {
                return b.queued_bytes <= m_tcp.max_queued_bytes || m_closing.load() || m_doomed.load();
              });
              b.paused.store(false);
              b.heard_ns.store(now_ns(), std::memory_order_relaxed);
            }
          }
        } else if (hd.type == std::uint8_t(detail::wire::msg::heartbeat)) {
          if (hd.length != detail::wire::heartbeat_bytes) {
            lose(peer, detail::concat("malformed heartbeat of ", hd.length, " bytes from '", peer_name,
                                      "'; connection dropped"));
            return;
          }
          std::uint8_t body[detail::wire::heartbeat_bytes];
          in.read_exact(body, sizeof body, false);
          const auto beat = detail::wire::decode_heartbeat(body);
          b.peer_waiting.store(beat.waiting_for, std::memory_order_relaxed);
          b.peer_progress.store(beat.progress, std::memory_order_relaxed);
        } else if (hd.type == std::uint8_t(detail::wire::msg::goodbye)) {
          set_state(peer, peer_state::finished, "");
          // Nothing more goes to a peer that said goodbye; half-closing tells its closing channel
          // (shutdown(): it reads until every peer has) that all this player sent has arrived.
          ::shutdown(link.fd, SHUT_WR);
          return;
        } else if (hd.type == std::uint8_t(detail::wire::msg::abort)) {
          std::string reason(std::min<std::uint64_t>(hd.length, detail::wire::max_control_bytes), '\0');
          if (hd.length <= detail::wire::max_control_bytes)
            in.read_exact(reinterpret_cast<std::uint8_t*>(reason.data()), reason.size(), false);
          else
            reason = "(reason too long)";
          if (!reason.empty() && reason[0] == forwarded_marker)  // passed on: keep the original words
            doom(reason.substr(1));
          else
            doom(detail::concat("player '", peer_name, "' aborted the computation: ", reason));
          return;
        } else {
          lose(peer, detail::concat("unexpected message type ", int(hd.type), " (", detail::wire::msg_name(hd.type),
                                    ") from '", peer_name, "' after the set-up; connection dropped"));
          return;
        }
      }
    } catch (const std::exception& e) {
      if (!m_closing.load())
        lose(peer, detail::concat("'", name(self()), "' lost its connection to '", peer_name, "' (", link.address,
                                  "): ", e.what()));
    }
  }

  // ---- the heartbeat thread of one peer: beats out, silence in ------------------------------------

  void heartbeat_loop(std::size_t peer) {
    auto& link = *m_links[peer];
    auto& b = *m_boxes[peer];
    const auto interval = beat_interval();
    const bool beat = m_tcp.heartbeat_interval.count() >= 0;
    const std::string what = detail::concat("'", name(self()), "' sending a heartbeat to '", name(peer), "'");
    std::unique_lock lock(m_beat_mutex);
    while (!m_beat_stop) {
      m_beat_wake.wait_for(lock, interval, [&] { return m_beat_stop; });
      if (m_beat_stop) return;
      lock.unlock();
      check_silence(peer, b, link);
      if (beat && !m_doomed.load()) {
        const peer_activity mine = activity();
        auto msg = detail::wire::encode_heartbeat(mine.waiting_for, mine.progress);
        iovec part{msg.data(), msg.size()};
        try {  // a peer that is gone is reported by its reader, or by the silence check
          link.send(&part, 1, detail::wire::clock::now() + options().recv_timeout, what, &m_beat_stop_flag);
        } catch (const std::exception&) {}
      }
      lock.lock();
    }
  }

  /// Ends the computation when nothing at all came from `peer` for recv_timeout: no data, no
  /// heartbeat, and no unread byte waiting on the socket (a reader thread that did not get a core).
  void check_silence(std::size_t peer, mailbox& b, detail::tcp_link& link) {
    if (m_doomed.load() || b.ended.load() || b.paused.load()) return;
    const auto silent = std::chrono::nanoseconds(now_ns() - b.heard_ns.load(std::memory_order_relaxed));
    if (silent < options().recv_timeout) return;
    int unread = 0;
    if (::ioctl(link.fd, FIONREAD, &unread) == 0 && unread > 0) return;
    lose(peer, detail::concat("'", name(self()), "' heard nothing from '", name(peer), "' (", link.address, ") for ",
                              std::chrono::duration_cast<std::chrono::milliseconds>(silent).count(),
                              " ms, not even a heartbeat: '", name(peer),
                              "' is stopped, hung or cut off (a busy player still sends heartbeats)"));
  }

  // ---- closing ---------------------------------------------------------------------------------------

  void shutdown(bool graceful, const std::string& reason) {
    if (m_closed.exchange(true)) return;
    {  // heartbeats end before the goodbye or abort goes out
      std::lock_guard lock(m_beat_mutex);
      m_beat_stop = true;
      m_beat_stop_flag.store(true);
    }
    m_beat_wake.notify_all();
    // When a peer's abort already ended the computation, pass its words on unchanged, so that every
    // player reports the original cause whichever abort reaches it first.
    std::string body = reason;
    if (m_doomed.load() && m_doomed_by_peer.load()) body = forwarded_marker + doom_reason();
    body = body.substr(0, detail::wire::max_control_bytes);
    // First end every local wait (a send blocked on a full socket included), then tell the peers
    // (best effort: a peer that is gone or not reading is skipped after 200 ms).
    doom(graceful ? detail::concat("the channel of '", name(self()), "' is closed")
                  : detail::concat("'", name(self()), "' aborted the computation: ", reason),
         false);
    const auto msg = graceful ? detail::wire::encode_message(detail::wire::msg::goodbye, "")
                              : detail::wire::encode_message(detail::wire::msg::abort, body);
    for (auto& link : m_links) {
      if (!link) continue;
      iovec part{const_cast<std::uint8_t*>(msg.data()), msg.size()};
      try {
        link->send(&part, 1, detail::wire::clock::now() + std::chrono::milliseconds(200), "closing");
      } catch (const std::exception&) {}
    }
    m_closing.store(true);
    for (auto& b : m_boxes) {  // a reader waiting for room in its mailbox
      if (!b) continue;
      { std::lock_guard lock(b->mutex); }
      b->drained.notify_all();
    }
    // A lingering close, so that the goodbye or abort reaches the peers: closing a socket with unread
    // bytes (a peer's heartbeat that came after this player's reader stopped) makes the kernel send a
    // reset and drop what it has not transmitted yet, the goodbye or abort included; the peer would
    // then report a lost connection (for a goodbye: a computation that fails for no reason). So: the
    // goodbye or abort, then a FIN, and the readers keep reading until every peer has closed its
    // side (it does once it has read the goodbye, or once the abort doomed it) or the linger has
    // passed (a stopped peer never closes).
    for (auto& l : m_links)
      if (l) ::shutdown(l->fd, SHUT_WR);
    const auto until = std::chrono::steady_clock::now() + close_linger;
    while (m_readers_running.load() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (auto& l : m_links)
      if (l) ::shutdown(l->fd, SHUT_RDWR);  // wakes the reader threads
    for (auto& t : m_readers)
      if (t.joinable()) t.join();
  }

  tcp_options m_tcp;
  std::size_t m_max_frame;
  std::unique_ptr<tls_context> m_tls;
  std::vector<std::unique_ptr<detail::tcp_link>> m_links;
  std::vector<std::unique_ptr<mailbox>> m_boxes;
  std::vector<std::string> m_send_what;  // per peer: the context of a send error
  std::vector<std::thread> m_readers;    // per peer: its reader and its heartbeat thread
  std::mutex m_beat_mutex;
  std::condition_variable m_beat_wake;
  bool m_beat_stop = false;
  std::atomic<bool> m_beat_stop_flag{false};  // the same, for a heartbeat send blocked on the socket
  static constexpr char forwarded_marker = '\x01';
  static constexpr std::chrono::milliseconds close_linger{500};  // see shutdown()
  std::atomic<std::size_t> m_readers_running{0};
  std::atomic<bool> m_closed{false}, m_closing{false}, m_doomed{false}, m_doomed_by_peer{false};
  mutable std::mutex m_doom_mutex;
  std::string m_doom_reason;
  int m_uncaught;
};

}  // namespace tfe
