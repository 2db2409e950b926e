// tfe/serve/listener.hpp: a server's TLS listener for clients, and the thread that turns SIGTERM and
// SIGINT into a clean stop.
//
// client_listener: one event loop (an asio::io_context on one thread) for the acceptor and every
// connection, at most max_connections at once (a connection beyond is closed at once). A thread per
// connection, blocked in its reads and woken for each answer, cost two thread switches per request
// and per server and about 45 µs of CPU per prediction and server (64 clients, docs/serving.md); the
// loop's thread wakes once for all the sockets that are ready, and the batch thread hands it the
// answers without waking anyone else.
// Per connection: TCP_NODELAY, the TLS 1.3 handshake with the server's certificate, the client's
// certificate required and verified against the CA (tls_context), within handshake_timeout (else the
// connection is closed); the client's name is its certificate's CN (or first DNS SAN), and with an
// allow list ("clients" in the hosts file) it must be on it, else the connection is refused with the
// reason. Then messages in order (serve/wire.hpp), one at a time: a hello gets the server's info; a
// predict is checked (check_request: protocol, ring, fixed point, shape, size) and either refused at
// once with the reason or queued on the board, and its answer (request::on_answer, called on the
// batch thread, posts it to the loop) is written before the connection's next message is read. A
// client that disconnects only closes its own connection (its queued request is computed and the
// answer dropped); a malformed message closes it with a log line naming the client.
// stop(): close the board first (every queued request is answered, a refusal at least); the answers
// already handed over are written, then the acceptor and every connection are closed (after at most
// stop_grace for a client that does not read) and the loop's thread is joined.
//
// signal_watch: blocks SIGTERM and SIGINT in the calling thread, so construct it first in main()
// before any thread starts (threads inherit the mask); its own thread waits for them and calls
// on_signal (once per signal). No handler, no global: the state lives in the object.
#pragma once

#include "tfe/net/asio.hpp"
#include "tfe/net/tls.hpp"
#include "tfe/serve/board.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace tfe::serve {

struct listener_options {
  std::string host;  ///< address to bind (the server's host in the hosts file)
  std::uint16_t port = 0;
  tls_files tls;
  std::vector<std::string> allowed;  ///< client names allowed; empty: any certificate the CA signed
  std::size_t max_connections = 1024;
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(2)};  ///< longest wait for answers being written at stop
  std::string server_name;                                        ///< for log lines and messages
};

class client_listener {
 public:
  client_listener(listener_options o, request_board& board, request_rules rules, nlohmann::json info)
      : m_o(std::move(o)), m_board(board), m_rules(std::move(rules)), m_info(std::move(info)), m_tls(m_o.tls) {
    try {
      asio::ip::tcp::resolver resolver(m_io);
      const asio::ip::tcp::endpoint ep = *resolver.resolve(m_o.host, std::to_string(m_o.port)).begin();
      m_acceptor.open(ep.protocol());
      m_acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
      m_acceptor.bind(ep);
      m_acceptor.listen();
    } catch (const asio::system_error& e) {
      throw config_error(tfe::detail::concat("'", m_o.server_name, "' cannot listen for clients on ", m_o.host, ":",
                                             m_o.port, ": ", e.code().message()));
    }
    accept_next();
    m_thread = std::thread([this] { run(); });
  }
  ~client_listener() { stop(); }
  client_listener(const client_listener&) = delete;
  client_listener& operator=(const client_listener&) = delete;

  void stop() {
    if (m_stopping.exchange(true)) return;
    asio::post(m_io, [this] { shut_down(); });
    if (m_thread.joinable()) m_thread.join();
    m_sink->detach();  // answers computed from now on have nowhere to go
  }

 private:
  using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

  /// The loop as the batch thread sees it: answers are posted to it until the listener stops.
  class answer_sink {
   public:
    explicit answer_sink(asio::io_context& io) : m_io(&io) {}
    void post(std::function<void()> f) {
      std::lock_guard lock(m_mutex);
      if (m_io) asio::post(*m_io, std::move(f));
    }
    void detach() {
      std::lock_guard lock(m_mutex);
      m_io = nullptr;
    }

   private:
    std::mutex m_mutex;
    asio::io_context* m_io;
  };

  struct connection {
    connection(asio::ip::tcp::socket sock, asio::ssl::context& ctx, asio::io_context& io)
        : stream(std::move(sock), ctx), timer(io) {}
    tls_stream stream;
    asio::steady_timer timer;     // the handshake's deadline, then stop's grace
    std::string addr, who, name;  // who: "client at <addr>", then "client '<name>' (<addr>)"
    std::array<std::uint8_t, 16> prefix{};
    std::string head;
    message in;
    std::vector<std::uint8_t> out;
    bool writing = false, closed = false;
  };
  using conn_ptr = std::shared_ptr<connection>;

  void log(const std::string& line) const { std::cerr << "tfe_serve " << m_o.server_name << ": " << line << std::endl; }

  void run() {
    for (;;) {
      try {
        m_io.run();
        return;
      } catch (const std::exception& e) {  // a handler's bug must not end the server's listening
        log(tfe::detail::concat("client listener: ", e.what()));
      }
    }
  }

  void accept_next() {
    m_acceptor.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket sock) {
      if (m_stopping.load() || ec == asio::error::operation_aborted) return;
      if (!ec) admit(std::move(sock));
      accept_next();
    });
  }

  void admit(asio::ip::tcp::socket sock) {
    if (m_conns.size() >= m_o.max_connections) {
      log(tfe::detail::concat("connection refused: ", m_o.max_connections, " clients are connected already"));
      return;  // the socket closes here
    }
    asio::error_code ec, ignored;
    const auto ep = sock.remote_endpoint(ec);
    sock.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto c = std::make_shared<connection>(std::move(sock), m_tls.asio_context(), m_io);
    c->addr = ec ? std::string("(unknown address)") : ep.address().to_string() + ":" + std::to_string(ep.port());
    c->who = "client at " + c->addr;
    m_conns.insert(c);
    c->timer.expires_after(m_o.handshake_timeout);
    c->timer.async_wait([this, c](const asio::error_code& e) {
      if (!e) close(c);  // late handshake
    });
    c->stream.async_handshake(asio::ssl::stream_base::server, [this, c](const asio::error_code& e) {
      c->timer.cancel();
      if (c->closed) return;
      if (e) {
        if (!m_stopping.load()) log("TLS handshake with the " + c->who + " failed: " + e.message());
        close(c);
        return;
      }
      guarded(c, [&] { greet(c); });
    });
  }

  /// After the handshake: the client's name from its certificate, checked against the allow list.
  void greet(const conn_ptr& c) {
    X509* x = SSL_get1_peer_certificate(c->stream.native_handle());
    TFE_ENFORCE(x != nullptr, serve_error, c->who, " presented no certificate");
    const certificate_info cert = tfe::detail::inspect_certificate(x);
    X509_free(x);
    TFE_ENFORCE(!cert.names.empty(), serve_error, c->who, "'s certificate ", cert.subject, " names nobody");
    c->name = cert.names[0];
    c->who = "client '" + c->name + "' (" + c->addr + ")";
    if (!m_o.allowed.empty() && std::find(m_o.allowed.begin(), m_o.allowed.end(), c->name) == m_o.allowed.end()) {
      const std::string why = "client '" + c->name + "' is not on the servers' list of clients";
      log("connection refused: " + why);
      write(c, message{{{"type", "error"}, {"error", why}}, {}}, [this, c] { close(c); });
      return;
    }
    read_next(c);
  }

  /// Runs f; a serve_error or other exception closes the connection with a log line naming the client.
  template <class F>
  void guarded(const conn_ptr& c, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      if (!m_stopping.load()) log(tfe::detail::concat("connection of ", c->who, " dropped: ", e.what()));
      close(c);
    }
  }

  void read_next(const conn_ptr& c) {
    if (c->closed || m_stopping.load()) return;
    asio::async_read(c->stream, asio::buffer(c->prefix), [this, c](const asio::error_code& e, std::size_t) {
      if (e) return close(c);  // the client left (or stop closed the socket): nothing to answer
      guarded(c, [&] {
        const auto [head_bytes, body_bytes] = parse_prefix(c->prefix, max_body(), c->who);
        c->head.assign(head_bytes, '\0');
        c->in.body.resize(body_bytes);
        const std::array<asio::mutable_buffer, 2> bufs{asio::buffer(c->head), asio::buffer(c->in.body)};
        asio::async_read(c->stream, bufs, [this, c](const asio::error_code& e2, std::size_t) {
          if (e2) return close(c);
          guarded(c, [&] {
            c->in.head = parse_header(c->head, c->who);
            dispatch(c);
          });
        });
      });
    });
  }

  void dispatch(const conn_ptr& c) {
    message m = std::move(c->in);
    c->in = message{};
    const std::string type = m.head["type"].get<std::string>();
    auto then_read = [this, c] { read_next(c); };
    if (type == "hello") {
      nlohmann::json info = m_info;
      info["client"] = c->name;
      write(c, message{std::move(info), {}}, then_read);
    } else if (type == "predict") {
      predict(c, std::move(m));
    } else {
      write(c, message{{{"type", "error"}, {"error", "unknown message type '" + type + "'"}}, {}}, then_read);
    }
  }

  std::size_t max_body() const {
    std::size_t per_row = m_rules.parts * sizeof(ring);
    for (std::size_t i = 1; i < m_rules.dims.size(); ++i)
      per_row *= static_cast<std::size_t>(std::max<std::int64_t>(m_rules.dims[i], 1));
    return per_row * m_rules.max_rows;
  }

  /// A predict: refused at once, or queued; its answer comes back through the sink to this loop.
  void predict(const conn_ptr& c, message m) {
    const std::uint64_t id =
        m.head.contains("id") && m.head["id"].is_number_unsigned() ? m.head["id"].get<std::uint64_t>() : 0;
    auto then_read = [this, c] { read_next(c); };
    auto refuse = [&](const std::string& why) {
      log("request " + std::to_string(id) + " of client '" + c->name + "' refused: " + why);
      write(c, message{{{"type", "error"}, {"id", id}, {"error", why}}, {}}, then_read);
    };
    if (auto bad = check_request(m.head, m.body.size(), m_rules)) return refuse(*bad);
    auto r = std::make_shared<request>();
    r->client = c->name;
    r->id = id;
    r->shape = m.head["shape"].get<shape_t>();
    const std::size_t n = shape_size(r->shape);
    const std::vector<bool> seeded = *seeded_components(m.head, m_rules.parts);  // checked by check_request
    const std::uint8_t* at = m.body.data();
    for (bool sd : seeded) {
      if (sd) {
        seed_t seed;
        std::memcpy(seed.data(), at, seed.size());
        wipe_on_exit wipe(seed);
        r->parts.push_back(expand_component(seed, r->shape));
        at += seed.size();
      } else {
        ring_array part = ring_array::from_shape(r->shape);
        std::memcpy(part.data(), at, n * sizeof(ring));
        r->parts.push_back(std::move(part));
        at += n * sizeof(ring);
      }
    }
    secure_wipe(m.body.data(), m.body.size());
    r->on_answer = [this, sink = m_sink, w = std::weak_ptr<connection>(c)](message a) {
      sink->post([this, w, a = std::move(a)]() mutable {
        if (auto c = w.lock()) write(c, std::move(a), [this, c] { read_next(c); });
      });
    };
    if (auto full = m_board.submit(r)) return refuse(*full);
  }

  /// Writes m, then runs `then` (a failed write closes the connection instead).
  void write(const conn_ptr& c, message m, std::function<void()> then) {
    if (c->closed) return;
    c->out = message_prefix(m);
    c->out.insert(c->out.end(), m.body.begin(), m.body.end());
    c->writing = true;
    asio::async_write(c->stream, asio::buffer(c->out),
                      [this, c, then = std::move(then)](const asio::error_code& e, std::size_t) {
                        c->writing = false;
                        if (e || m_stopping.load()) return close(c);
                        then();
                      });
  }

  void close(const conn_ptr& c) {
    if (c->closed) return;
    c->closed = true;
    c->timer.cancel();
    asio::error_code ignored;
    c->stream.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    c->stream.lowest_layer().close(ignored);
    m_conns.erase(c);
  }

  /// On the loop, at stop: no new connections; a connection writing an answer (a refusal, at stop)
  /// keeps stop_grace to finish it, every other one closes now. The loop ends with the last one.
  void shut_down() {
    asio::error_code ignored;
    m_acceptor.close(ignored);
    for (const conn_ptr& c : std::vector<conn_ptr>(m_conns.begin(), m_conns.end())) {
      if (!c->writing) {
        close(c);
        continue;
      }
      c->timer.expires_after(m_o.stop_grace);
      c->timer.async_wait([this, c](const asio::error_code&) { close(c); });
    }
  }

  listener_options m_o;
  request_board& m_board;
  request_rules m_rules;
  nlohmann::json m_info;
  tls_context m_tls;
  asio::io_context m_io{1};
  asio::ip::tcp::acceptor m_acceptor{m_io};
  std::shared_ptr<answer_sink> m_sink = std::make_shared<answer_sink>(m_io);
  std::atomic<bool> m_stopping{false};
  std::set<conn_ptr> m_conns;  // the loop's thread only
  std::thread m_thread;
};

/// Turns SIGTERM and SIGINT into on_signal(signal) calls on its own thread (see the top).
class signal_watch {
 public:
  explicit signal_watch(std::function<void(int)> on_signal) : m_on_signal(std::move(on_signal)) {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGTERM);
    sigaddset(&m_set, SIGINT);
    TFE_ENFORCE(pthread_sigmask(SIG_BLOCK, &m_set, nullptr) == 0, config_error, "cannot block SIGTERM and SIGINT");
    m_thread = std::thread([this] {
      while (!m_stop.load()) {
        timespec t{0, 100 * 1000 * 1000};
        const int sig = sigtimedwait(&m_set, nullptr, &t);
        if (sig > 0) m_on_signal(sig);
      }
    });
  }
  ~signal_watch() {
    m_stop = true;
    m_thread.join();
  }
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

 private:
  sigset_t m_set{};
  std::function<void(int)> m_on_signal;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace tfe::serve
