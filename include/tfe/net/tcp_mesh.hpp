// tfe/net/tcp_mesh.hpp: setting up the full mesh of TCP (TLS) connections among the players of a program.
//
// Rule: every player connects to every player with a higher index and accepts connections from every
// player with a lower index (player 0 never listens, the last player never connects). All of it runs
// on a private io_context (C++20 coroutines) until every connection is up or the deadline passes:
//   - connecting retries (20 ms, doubling up to 500 ms) until the deadline: a peer may start later;
//   - every accepted connection gets its own handshake, so a stray client that connects and sends
//     nothing (or garbage) cannot hold up the real peers; it is rejected, recorded and ignored;
//   - each attempt (TCP connect + TLS handshake + hello) must finish within handshake_timeout;
//   - at most max_pending_handshakes incoming handshakes are pending at once: when a new connection
//     comes in beyond that, the oldest pending one is closed, so a flood of silent or slow clients
//     can exhaust neither descriptors nor memory, and a real peer's (fast) handshake still finishes.
// The listener binds the local player's host and port from the hosts file (tcp_options::
// listen_address overrides the host), nothing wider, and is closed as soon as the mesh is complete.
// Plain TCP (insecure_plaintext) prints "INSECURE: plain TCP without TLS ..." on stderr at every player.
// Per connection: TCP_NODELAY, then (unless insecure_plaintext) a TLS 1.3 handshake with mutual
// authentication, then the tfe handshake (tcp_wire.hpp):
//   connector -> acceptor   hello
//   acceptor  -> connector  hello + verdict, or a negative verdict alone
//   connector -> acceptor   verdict
// A hello is checked for protocol version, run id, player list (and its digest), program, and that
// sender and receiver are who they should be; with TLS the peer's certificate must name the player
// it claims to be (and match the hosts file's pinned fingerprint, if any): the connector checks the
// certificate right after TLS, before it sends its hello (then it sends only a negative verdict), the
// acceptor as soon as the hello says who the peer claims to be, before it sends anything. A side that rejects says
// why in its verdict, so both ends can report a clear error. When the deadline passes, the error lists
// every missing peer with the last failure seen for it, and the incoming attempts that were rejected.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/asio.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/net/tcp_wire.hpp"
#include "tfe/net/tls.hpp"

#include <fcntl.h>

#include <chrono>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tfe {

struct tcp_options {
  /// INSECURE: plain TCP, no encryption and no authentication of the peers. For loopback benchmarks
  /// and tests only; TLS 1.3 with mutual authentication is the default.
  bool insecure_plaintext = false;
  /// Identifies this computation: every player must use the same run id, so a stale or stray process
  /// (an earlier launch, another program on the same ports) is rejected. Empty: the hosts file's.
  std::string run_id;
  /// Names the program (run_player uses the protocol's name); every player must agree.
  std::string program;
  /// Deadline for setting up every connection (connect with retries, TLS, handshake).
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  /// One connection attempt (TCP connect, TLS and hello) must finish within this.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  /// First delay between connection attempts; doubles up to max_retry_interval.
  std::chrono::milliseconds retry_interval{20};
  std::chrono::milliseconds max_retry_interval{500};
  /// A send that cannot make progress for this long fails (the peer stopped reading); 0: no limit of
  /// its own, the send waits while the peer is alive (a peer silent for recv_timeout ends it).
  std::chrono::milliseconds send_timeout{0};
  /// How often a heartbeat goes to every peer (and the silence of each peer is checked); 0: the
  /// channel's recv_timeout / 4, between 5 ms and 1 s. Negative: send none (tests of a silent peer).
  std::chrono::milliseconds heartbeat_interval{0};
  /// Frames from one peer that wait to be received may hold this many bytes; beyond it the peer's
  /// reader stops reading (TCP flow control then slows the peer) until the program catches up.
  std::size_t max_queued_bytes = std::size_t(1) << 31;
  /// A receive that finds its mailbox empty first polls it this long before sleeping: on a fast link
  /// the answer usually comes within a few microseconds, and waking a sleeping thread costs about
  /// as much as the loopback round trip itself. 0: sleep at once (frees the core for other work).
  std::chrono::microseconds spin_wait{50};
  /// Address to listen on; empty: the local player's host from the hosts file ("0.0.0.0": all).
  std::string listen_address;
  /// TLS files; empty: the hosts file's CA, and the local player's cert and key.
  std::string ca_file, cert_file, key_file;
};

namespace detail {

/// One established connection: a blocking socket descriptor and, with TLS, its session.
struct tcp_link {
  int fd = -1;
  std::unique_ptr<tls_session> tls;
  std::string address;    ///< the peer's address, "host:port"
  std::mutex send_mutex;  ///< plaintext: one writer at a time (TLS has its own)

  tcp_link() = default;
  tcp_link(const tcp_link&) = delete;
  tcp_link& operator=(const tcp_link&) = delete;
  ~tcp_link() {
    if (fd < 0) return;
    // Bytes a peer sent after this player stopped reading (the heartbeats of a peer still computing)
    // would make close() answer with a reset, and a reset can cost the peer this player's last frames
    // and goodbye (it then reports a lost connection): read them away first.
    std::uint8_t sink[4096];
    while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {}
    ::close(fd);
  }
  /// Sends whole messages; one writer at a time, so messages never interleave on the socket.
  void send(iovec* parts, int count, wire::clock::time_point deadline, const std::string& what,
            const std::atomic<bool>* cancel = nullptr) {
    if (tls) {
      tls->write_all(fd, parts, count, deadline, what, cancel);  // serialized inside
    } else {
      std::lock_guard lock(send_mutex);
      wire::send_all(fd, parts, count, deadline, what, cancel);
    }
  }
  std::size_t read_some(std::uint8_t* dst, std::size_t n, const std::string& what) {
    return tls ? tls->read_some(fd, dst, n, what) : wire::recv_some(fd, dst, n, what);
  }
};

inline std::string endpoint_str(const asio::ip::tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "(unknown address)";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

/// Closes a socket when an attempt's time is up (shared state: the timer may outlive the attempt).
class attempt_guard {
 public:
  attempt_guard(const asio::any_io_executor& ex, asio::ip::tcp::socket& s, wire::clock::time_point at)
      : m_state(std::make_shared<state>(state{&s, true, false})), m_timer(ex) {
    m_timer.expires_at(at);
    m_timer.async_wait([st = m_state](const asio::error_code& ec) {
      if (ec || !st->active) return;
      st->fired = true;
      asio::error_code ignored;
      st->socket->close(ignored);
    });
  }
  ~attempt_guard() {
    m_state->active = false;
    m_timer.cancel();
  }
  attempt_guard(const attempt_guard&) = delete;
  attempt_guard& operator=(const attempt_guard&) = delete;
  bool fired() const { return m_state->fired; }

 private:
  struct state {
    asio::ip::tcp::socket* socket;
    bool active;
    bool fired;
  };
  std::shared_ptr<state> m_state;
  asio::steady_timer m_timer;
};

// GCC 12 reports -Wmismatched-new-delete where a coroutine frame of Asio is freed: a false positive
// (asio::detail::awaitable_frame_base pairs its own operator new and delete), which shows up or not
// with inlining. Silenced for the coroutine code only.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
/// Builds the mesh for one player (see the top of this header). Use once: build() runs the set-up.
class mesh_builder {
 public:
  mesh_builder(const hosts_config& hosts, std::size_t self, const tcp_options& opts, tls_context* tls)
      : m_hosts(hosts),
        m_self(self),
        m_opts(opts),
        m_tls(tls),
        m_links(hosts.players.size()),
        m_reserved(hosts.players.size(), 0),
        m_last_error(hosts.players.size()),
        m_last_rejection(hosts.players.size()) {
    m_hello.run_id = opts.run_id;
    m_hello.program = opts.program;
    m_hello.players = hosts.names();
    m_hello.players_digest = players_digest(m_hello.players);
    m_hello.from = self;
  }

  /// Incoming handshakes pending at once, at most (see the top of this header).
  static constexpr std::size_t max_pending_handshakes = 256;

  /// Connects to every peer; returns one link per peer (null at the own index). Throws
  /// channel_error when the deadline passes first.
  std::vector<std::unique_ptr<tcp_link>> build() {
    const std::size_t n = m_hosts.players.size();
    m_deadline = wire::clock::now() + m_opts.connect_timeout;
    m_missing = n - 1;
    if (m_missing == 0) return std::move(m_links);
    if (!m_tls)
      std::cerr << "INSECURE: plain TCP without TLS (--insecure-plaintext): '" << me()
                << "' exchanges every message with the other players unencrypted and unauthenticated; anyone on "
                   "the network can read or change them (loopback tests and benchmarks only)"
                << std::endl;
    if (m_self > 0) listen();
    for (std::size_t j = m_self + 1; j < n; ++j) asio::co_spawn(m_io, connect_loop(j), asio::detached);
    m_io.run_until(m_deadline);
    if (m_missing > 0) {
      // Tell the peers we did reach why we give up (they see it once their own set-up is done).
      const std::string report = failure_report();
      const auto msg = wire::encode_message(wire::msg::abort, report.substr(0, wire::max_control_bytes));
      for (auto& link : m_links) {
        if (!link) continue;
        iovec part{const_cast<std::uint8_t*>(msg.data()), msg.size()};
        try {
          link->send(&part, 1, wire::clock::now() + std::chrono::milliseconds(200), "set-up failed");
        } catch (const std::exception&) {}
      }
      throw channel_error(report);
    }
    return std::move(m_links);
  }

 private:
  const std::string& me() const { return m_hosts.players[m_self].name; }

  void listen() {
    const auto& self = m_hosts.players[m_self];
    const std::string host = m_opts.listen_address.empty() ? self.host : m_opts.listen_address;
    // An empty host would resolve to the wildcard: every interface only when asked for by address.
    TFE_ENFORCE(!host.empty(), config_error, "'", me(), "' has no host to listen on (the hosts entry is empty); ",
                "set tcp_options::listen_address (\"0.0.0.0\" for every interface) to choose one");
    try {
      asio::ip::tcp::resolver resolver(m_io);
      auto eps = resolver.resolve(host, std::to_string(self.port), asio::ip::resolver_base::passive);
      const asio::ip::tcp::endpoint ep = *eps.begin();
      m_acceptor.emplace(m_io);
      m_acceptor->open(ep.protocol());
      m_acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true));
      m_acceptor->bind(ep);
      m_acceptor->listen();
    } catch (const asio::system_error& e) {
      throw channel_error(concat("'", me(), "' cannot listen on ", host, ":", self.port, ": ", e.code().message()));
    }
    asio::co_spawn(m_io, accept_loop(), asio::detached);
  }

  void established(std::size_t peer, std::unique_ptr<tcp_link> link) {
    m_links[peer] = std::move(link);
    if (--m_missing == 0) m_io.stop();
  }

  asio::awaitable<void> accept_loop() {
    auto ex = co_await asio::this_coro::executor;
    for (;;) {
      asio::ip::tcp::socket sock(ex);
      asio::error_code ec;
      co_await m_acceptor->async_accept(sock, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !m_acceptor->is_open()) co_return;
      if (ec) {
        reject("(accept)", ec.message());
        asio::steady_timer t(ex);
        t.expires_after(std::chrono::milliseconds(10));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (m_pending_live >= max_pending_handshakes) evict_oldest_pending();
      asio::co_spawn(ex, incoming(std::move(sock)), asio::detached);
    }
  }

  /// An incoming connection whose handshake is under way (incoming() registers and removes it).
  struct pending_incoming {
    asio::ip::tcp::socket* socket;
    bool evicted = false;
  };

  void evict_oldest_pending() {
    for (auto& p : m_pending)
      if (!p.evicted) {
        p.evicted = true;
        --m_pending_live;
        asio::error_code ignored;
        p.socket->close(ignored);  // its handshake fails at once and is recorded as evicted
        return;
      }
  }

  asio::awaitable<void> incoming(asio::ip::tcp::socket sock) {
    auto ex = co_await asio::this_coro::executor;
    const std::string addr = endpoint_str(sock);
    attempt_guard guard(ex, sock, std::min(m_deadline, wire::clock::now() + m_opts.handshake_timeout));
    const auto me_pending = m_pending.insert(m_pending.end(), pending_incoming{&sock});
    ++m_pending_live;
    struct unregister {
      mesh_builder& b;
      std::list<pending_incoming>::iterator it;
      ~unregister() {
        if (!it->evicted) --b.m_pending_live;
        b.m_pending.erase(it);
      }
    } unregister_on_exit{*this, me_pending};
    std::string err;
    try {
      std::size_t peer = 0;
      auto link = co_await handshake(sock, std::nullopt, addr, peer);
      established(peer, std::move(link));
      co_return;
    } catch (const std::exception& e) {
      err = me_pending->evicted
                ? concat("closed unfinished: more than ", max_pending_handshakes, " handshakes were pending at once")
            : guard.fired() ? std::string("the handshake did not finish in time")
                            : std::string(e.what());
    }
    reject(addr, err);
  }

  asio::awaitable<void> connect_loop(std::size_t j) {
    auto ex = co_await asio::this_coro::executor;
    const auto& peer = m_hosts.players[j];
    auto backoff = m_opts.retry_interval;
    for (;;) {
      std::string err;
      {
        asio::ip::tcp::socket sock(ex);
        attempt_guard guard(ex, sock, std::min(m_deadline, wire::clock::now() + m_opts.handshake_timeout));
        try {
          asio::ip::tcp::resolver resolver(ex);
          auto eps = co_await resolver.async_resolve(peer.host, std::to_string(peer.port), asio::use_awaitable);
          co_await asio::async_connect(sock, eps, asio::use_awaitable);
          std::size_t ignored = 0;
          auto link = co_await handshake(sock, j, endpoint_str(sock), ignored);
          established(j, std::move(link));
          co_return;
        } catch (const asio::system_error& e) {
          err = guard.fired() ? "the attempt did not finish in time" : e.code().message();
        } catch (const channel_error& e) {  // got through to a peer that then failed or refused us
          err = guard.fired() ? "the attempt did not finish in time" : e.what();
          if (!guard.fired()) m_last_rejection[j] = err;
        } catch (const std::exception& e) {
          err = guard.fired() ? "the attempt did not finish in time" : e.what();
        }
      }
      m_last_error[j] = err;
      asio::steady_timer t(ex);
      t.expires_after(backoff);
      asio::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min(backoff * 2, m_opts.max_retry_interval);
    }
  }

  // ---- one connection's handshake ------------------------------------------------------------------

  struct setup_io {
    asio::ip::tcp::socket& s;
    tls_session* tls;

    asio::awaitable<void> write(const std::vector<std::uint8_t>& bytes) {
      if (tls)
        co_await tls->async_write_all(s, bytes.data(), bytes.size());
      else
        co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
    }
    asio::awaitable<void> read_exact(std::uint8_t* p, std::size_t n) {
      if (tls)
        co_await tls->async_read_exact(s, p, n);
      else
        co_await asio::async_read(s, asio::buffer(p, n), asio::use_awaitable);
    }
    /// One control message; its size is checked before anything is allocated.
    asio::awaitable<std::pair<std::uint8_t, std::string>> read_message(const std::string& who) {
      std::uint8_t h[8];
      co_await read_exact(h, 8);
      const auto hd = wire::decode_header(h);
      if (hd.type != std::uint8_t(wire::msg::hello) && hd.type != std::uint8_t(wire::msg::verdict) &&
          hd.type != std::uint8_t(wire::msg::abort))
        throw channel_error(concat("unexpected message from ", who, " during the handshake: type ", int(hd.type), " (",
                                   wire::msg_name(hd.type), "): not a tfe player?"));
      if (hd.length > wire::max_control_bytes)
        throw channel_error(concat(wire::msg_name(hd.type), " of ", hd.length, " bytes from ", who,
                                   " exceeds the limit of ", wire::max_control_bytes, " bytes; refused"));
      std::string body(hd.length, '\0');
      co_await read_exact(reinterpret_cast<std::uint8_t*>(body.data()), body.size());
      if (hd.type == std::uint8_t(wire::msg::abort)) throw channel_error(concat(who, " aborted: ", body));
      co_return std::pair<std::uint8_t, std::string>{hd.type, std::move(body)};
    }
  };

  /// The certificate check: the peer's certificate must name `player` (and match its pin).
  std::string check_certificate(const tls_session& tls, std::size_t player) const {
    certificate_info cert;
    try {
      cert = tls.peer_certificate();
    } catch (const std::exception& e) {
      return e.what();
    }
    const auto& entry = m_hosts.players[player];
    if (!cert.names_player(entry.name))
      return concat("certificate mismatch: the peer claims to be '", entry.name, "' but its certificate (",
                    cert.subject, ") names ", cert.names_str());
    if (!entry.fingerprint.empty() && entry.fingerprint != cert.fingerprint)
      return concat("certificate mismatch: '", entry.name, "' presented a certificate with SHA-256 fingerprint ",
                    cert.fingerprint, " but the hosts file pins ", entry.fingerprint);
    return {};
  }

  /// Runs TLS and the tfe handshake on a connected socket. `expected`: the peer we connected to
  /// (connector), or empty (acceptor: `peer` receives who it is). Throws channel_error on rejection.
  asio::awaitable<std::unique_ptr<tcp_link>> handshake(asio::ip::tcp::socket& sock, std::optional<std::size_t> expected,
                                                       const std::string& addr, std::size_t& peer) {
    sock.set_option(asio::ip::tcp::no_delay(true));
    auto link = std::make_unique<tcp_link>();
    link->address = addr;
    if (m_tls) {
      link->tls = std::make_unique<tls_session>(*m_tls, !expected.has_value());
      co_await link->tls->async_handshake(sock);
    }
    setup_io io{sock, link->tls.get()};
    const bool connector = expected.has_value();
    const std::string who = connector ? concat("'", m_hosts.players[*expected].name, "' at ", addr) : addr;
    wire::hello mine = m_hello;

    if (connector) {
      if (link->tls) {  // the certificate must name the player we dialled before we say anything
        const std::string problem = check_certificate(*link->tls, *expected);
        if (!problem.empty()) {
          co_await io.write(wire::encode_message(wire::msg::verdict, wire::encode_verdict(problem)));
          throw channel_error(concat("'", me(), "' refused ", who, " before sending anything: ", problem));
        }
      }
      mine.to = *expected;
      co_await io.write(wire::encode_message(wire::msg::hello, wire::encode_hello(mine)));
      auto [type, body] = co_await io.read_message(who);
      if (type == std::uint8_t(wire::msg::verdict))
        throw channel_error(concat("rejected by ", who, ": ", wire::parse_verdict(body, who)));
      const wire::hello theirs = wire::parse_hello(body, who);
      const std::string problem = wire::check_hello(mine, theirs, true);
      auto [vtype, vbody] = co_await io.read_message(who);
      if (vtype != std::uint8_t(wire::msg::verdict))
        throw channel_error(concat("handshake with ", who, ": a verdict was expected"));
      const std::string theirs_verdict = wire::parse_verdict(vbody, who);
      co_await io.write(wire::encode_message(wire::msg::verdict, wire::encode_verdict(problem)));
      if (!theirs_verdict.empty()) throw channel_error(concat("rejected by ", who, ": ", theirs_verdict));
      if (!problem.empty()) throw channel_error(concat("'", me(), "' rejected ", who, ": ", problem));
      peer = *expected;
    } else {
      auto [type, body] = co_await io.read_message(who);
      if (type == std::uint8_t(wire::msg::verdict))  // the connector refused our certificate
        throw channel_error(concat("rejected by ", who, ": ", wire::parse_verdict(body, who)));
      if (type != std::uint8_t(wire::msg::hello))
        throw channel_error(concat("handshake with ", who, ": a hello was expected"));
      const wire::hello theirs = wire::parse_hello(body, who);
      std::string problem = wire::check_hello(mine, theirs, false);
      if (problem.empty() && link->tls) problem = check_certificate(*link->tls, theirs.from);
      if (problem.empty() && (m_reserved[theirs.from] || m_links[theirs.from]))
        problem = concat("'", theirs.players[theirs.from], "' is already connected (a duplicate or stale process?)");
      if (!problem.empty()) {
        co_await io.write(wire::encode_message(wire::msg::verdict, wire::encode_verdict(problem)));
        throw channel_error(problem);
      }
      m_reserved[theirs.from] = 1;
      struct unreserve {
        std::vector<char>& r;
        std::size_t i;
        ~unreserve() { r[i] = 0; }
      } release_slot{m_reserved, theirs.from};
      mine.to = theirs.from;
      auto out = wire::encode_message(wire::msg::hello, wire::encode_hello(mine));
      auto verdict = wire::encode_message(wire::msg::verdict, wire::encode_verdict(""));
      out.insert(out.end(), verdict.begin(), verdict.end());
      co_await io.write(out);
      const std::string peer_who = concat("'", theirs.players[theirs.from], "' at ", addr);
      auto [vtype, vbody] = co_await io.read_message(peer_who);
      if (vtype != std::uint8_t(wire::msg::verdict))
        throw channel_error(concat("handshake with ", peer_who, ": a verdict was expected"));
      const std::string theirs_verdict = wire::parse_verdict(vbody, peer_who);
      if (!theirs_verdict.empty()) throw channel_error(concat("rejected by ", peer_who, ": ", theirs_verdict));
      peer = theirs.from;
    }
    // Hand the descriptor over to the data path: blocking mode, owned by the link.
    link->fd = sock.release();
    const int flags = ::fcntl(link->fd, F_GETFL, 0);
    if (flags >= 0) ::fcntl(link->fd, F_SETFL, flags & ~O_NONBLOCK);
    co_return link;
  }

  void reject(const std::string& addr, const std::string& why) {
    ++m_rejected_count;
    const std::string host = addr.substr(0, addr.rfind(':'));  // without the client's port
    const std::string entry = "from " + host + ": " + why;
    for (auto& r : m_rejected)
      if (r.first == entry) {
        ++r.second;
        return;
      }
    if (m_rejected.size() < 8) m_rejected.emplace_back(entry, 1);
  }

  std::string failure_report() const {
    std::string s = concat("'", me(), "' could not connect to every player within ", m_opts.connect_timeout.count(),
                           " ms (run '", m_opts.run_id, "'):");
    for (std::size_t j = 0; j < m_links.size(); ++j) {
      if (j == m_self || m_links[j]) continue;
      const auto& p = m_hosts.players[j];
      if (j > m_self) {
        s += concat("\n  no connection to '", p.name, "' at ", p.host, ":", p.port, ": ",
                    m_last_error[j].empty() ? std::string("no attempt finished") : m_last_error[j]);
        if (!m_last_rejection[j].empty() && m_last_rejection[j] != m_last_error[j])
          s += " (earlier: " + m_last_rejection[j] + ")";
      } else
        s += concat("\n  no connection from '", p.name, "' (it connects to '", me(), "' at ",
                    m_hosts.players[m_self].host, ":", m_hosts.players[m_self].port, ")");
    }
    if (m_rejected_count > 0) {
      s += concat("\n  rejected ", m_rejected_count, " incoming connection(s):");
      for (const auto& [r, times] : m_rejected)
        s += "\n    " + r + (times > 1 ? concat(" (", times, " times)") : std::string());
    }
    return s;
  }

  const hosts_config& m_hosts;
  std::size_t m_self;
  tcp_options m_opts;
  tls_context* m_tls;
  wire::hello m_hello;
  wire::clock::time_point m_deadline{};
  std::vector<std::unique_ptr<tcp_link>> m_links;
  std::vector<char> m_reserved;
  std::vector<std::string> m_last_error, m_last_rejection;
  std::vector<std::pair<std::string, std::size_t>> m_rejected;  // distinct reasons, how often
  std::size_t m_rejected_count = 0;
  std::size_t m_missing = 0;
  std::list<pending_incoming> m_pending;  // incoming handshakes under way, oldest first
  std::size_t m_pending_live = 0;         // those of them not evicted
  // Destroyed first (reverse order): the acceptor, then the io_context with every pending coroutine.
  asio::io_context m_io{1};
  std::optional<asio::ip::tcp::acceptor> m_acceptor;
};
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic pop
#endif

}  // namespace detail
}  // namespace tfe
