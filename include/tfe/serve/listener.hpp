// tfe/serve/listener.hpp: a server's TLS listener for clients, and the thread that turns SIGTERM and
// SIGINT into a clean stop.
//
// client_listener: one acceptor thread (poll every 100 ms, so stop() never waits on accept) and one
// thread per connection, at most max_connections at once (a connection beyond is closed at once).
// Per connection: TCP_NODELAY, the TLS 1.3 handshake with the server's certificate, the client's
// certificate required and verified against the CA (tls_context), within handshake_timeout (else the
// socket is shut); the client's name is its certificate's CN (or first DNS SAN), and with an allow list
// ("clients" in the hosts file) it must be on it, else the connection is refused with the reason.
// Then messages in order (serve/wire.hpp): a hello gets the server's info; a predict is checked
// (check_request: protocol, ring, fixed point, shape, size) and either refused at once with the
// reason or queued on the board; the thread waits for its answer and sends it. A client that
// disconnects only ends its own thread (its queued request is computed and the answer dropped).
// stop() closes the acceptor, shuts every connection's socket (a blocked read fails at once) and
// joins every thread; close the board first, so that no thread still waits for an answer.
//
// signal_watch: blocks SIGTERM and SIGINT in the calling thread, so construct it first in main()
// before any thread starts (threads inherit the mask); its own thread waits for them and calls
// on_signal (once per signal). No handler, no global: the state lives in the object.
#pragma once

#include "tfe/net/tls.hpp"
#include "tfe/serve/board.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <asio/ssl.hpp>

#include <atomic>
#include <functional>
#include <iostream>
#include <list>
#include <thread>

namespace tfe::serve {

struct listener_options {
  std::string host;  ///< address to bind (the server's host in the hosts file)
  std::uint16_t port = 0;
  tls_files tls;
  std::vector<std::string> allowed;  ///< client names allowed; empty: any certificate the CA signed
  std::size_t max_connections = 1024;
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::string server_name;  ///< for log lines and messages
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
    m_accept_thread = std::thread([this] { accept_loop(); });
  }
  ~client_listener() { stop(); }
  client_listener(const client_listener&) = delete;
  client_listener& operator=(const client_listener&) = delete;

  void stop() {
    if (m_stopping.exchange(true)) return;
    if (m_accept_thread.joinable()) m_accept_thread.join();
    std::list<connection> all;
    {
      std::lock_guard lock(m_mutex);
      for (auto& c : m_conns) ::shutdown(c.fd, SHUT_RDWR);
      all.splice(all.end(), m_conns);
    }
    for (auto& c : all) c.thread.join();
  }

 private:
  struct connection {
    int fd = -1;
    std::atomic<bool> done{false};
    std::atomic<std::int64_t> handshake_deadline_ns{0};
    std::thread thread;
  };
  using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

  static std::int64_t now_ns() { return serve_clock::now().time_since_epoch() / std::chrono::nanoseconds(1); }
  void log(const std::string& line) const { std::cerr << "tfe_serve " << m_o.server_name << ": " << line << std::endl; }

  void accept_loop() {
    const int lfd = m_acceptor.native_handle();
    while (!m_stopping.load()) {
      pollfd p{lfd, POLLIN, 0};
      const int r = ::poll(&p, 1, 100);
      reap();
      if (r <= 0) continue;
      asio::error_code ec;
      asio::ip::tcp::socket sock(m_io);
      m_acceptor.accept(sock, ec);
      if (ec) continue;
      std::lock_guard lock(m_mutex);
      if (m_conns.size() >= m_o.max_connections) {
        log(tfe::detail::concat("connection refused: ", m_o.max_connections, " clients are connected already"));
        continue;  // the socket closes here
      }
      auto& c = m_conns.emplace_back();
      c.fd = sock.native_handle();
      c.handshake_deadline_ns = now_ns() + m_o.handshake_timeout / std::chrono::nanoseconds(1);
      c.thread = std::thread([this, &c, s = std::move(sock)]() mutable {
        serve_connection(c, std::move(s));
        c.done = true;
      });
    }
    asio::error_code ignored;
    m_acceptor.close(ignored);
  }

  /// Joins finished connection threads; shuts sockets whose handshake is late.
  void reap() {
    std::lock_guard lock(m_mutex);
    const auto now = now_ns();
    for (auto it = m_conns.begin(); it != m_conns.end();) {
      const auto d = it->handshake_deadline_ns.load();
      if (d != 0 && now > d) ::shutdown(it->fd, SHUT_RDWR);
      if (it->done.load()) {
        it->thread.join();
        it = m_conns.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve_connection(connection& c, asio::ip::tcp::socket sock) {
    const std::string addr = [&] {
      asio::error_code ec;
      auto ep = sock.remote_endpoint(ec);
      return ec ? std::string("(unknown address)") : ep.address().to_string() + ":" + std::to_string(ep.port());
    }();
    std::string who = "client at " + addr;
    try {
      asio::error_code ignored;
      sock.set_option(asio::ip::tcp::no_delay(true), ignored);
      tls_stream s(std::move(sock), m_tls.asio_context());
      try {
        s.handshake(asio::ssl::stream_base::server);
      } catch (const asio::system_error& e) {
        if (!m_stopping.load()) log("TLS handshake with the " + who + " failed: " + e.what());
        return;
      }
      X509* x = SSL_get1_peer_certificate(s.native_handle());
      TFE_ENFORCE(x != nullptr, serve_error, who, " presented no certificate");
      const certificate_info cert = tfe::detail::inspect_certificate(x);
      X509_free(x);
      c.handshake_deadline_ns = 0;
      TFE_ENFORCE(!cert.names.empty(), serve_error, who, "'s certificate ", cert.subject, " names nobody");
      const std::string name = cert.names[0];
      who = "client '" + name + "' (" + addr + ")";
      if (!m_o.allowed.empty() && std::find(m_o.allowed.begin(), m_o.allowed.end(), name) == m_o.allowed.end()) {
        const std::string why = "client '" + name + "' is not on the servers' list of clients";
        log("connection refused: " + why);
        write_message(s, message{{{"type", "error"}, {"error", why}}, {}});
        return;
      }
      for (;;) {
        message m = read_message(s, max_body(), who);
        const std::string type = m.head["type"].get<std::string>();
        if (type == "hello") {
          nlohmann::json info = m_info;
          info["client"] = name;
          write_message(s, message{std::move(info), {}});
        } else if (type == "predict") {
          write_message(s, handle_predict(name, std::move(m)));
        } else {
          write_message(s, message{{{"type", "error"}, {"error", "unknown message type '" + type + "'"}}, {}});
        }
      }
    } catch (const asio::system_error&) {
      // the client left (or stop() shut the socket): nothing to answer
    } catch (const std::exception& e) {
      if (!m_stopping.load()) log(tfe::detail::concat("connection of ", who, " dropped: ", e.what()));
    }
  }

  std::size_t max_body() const {
    std::size_t per_row = m_rules.parts * sizeof(ring);
    for (std::size_t i = 1; i < m_rules.dims.size(); ++i)
      per_row *= static_cast<std::size_t>(std::max<std::int64_t>(m_rules.dims[i], 1));
    return per_row * m_rules.max_rows;
  }

  message handle_predict(const std::string& client, message m) {
    const std::uint64_t id =
        m.head.contains("id") && m.head["id"].is_number_unsigned() ? m.head["id"].get<std::uint64_t>() : 0;
    auto refuse = [&](const std::string& why) {
      log("request " + std::to_string(id) + " of client '" + client + "' refused: " + why);
      return message{{{"type", "error"}, {"id", id}, {"error", why}}, {}};
    };
    if (auto bad = check_request(m.head, m.body.size(), m_rules)) return refuse(*bad);
    auto r = std::make_shared<request>();
    r->client = client;
    r->id = id;
    r->shape = m.head["shape"].get<shape_t>();
    const std::size_t n = shape_size(r->shape);
    for (std::size_t k = 0; k < m_rules.parts; ++k) {
      ring_array part = ring_array::from_shape(r->shape);
      std::memcpy(part.data(), m.body.data() + k * n * sizeof(ring), n * sizeof(ring));
      r->parts.push_back(std::move(part));
    }
    secure_wipe(m.body.data(), m.body.size());
    if (auto full = m_board.submit(r)) return refuse(*full);
    return r->wait();
  }

  listener_options m_o;
  request_board& m_board;
  request_rules m_rules;
  nlohmann::json m_info;
  tls_context m_tls;
  asio::io_context m_io;
  asio::ip::tcp::acceptor m_acceptor{m_io};
  std::atomic<bool> m_stopping{false};
  std::mutex m_mutex;
  std::list<connection> m_conns;
  std::thread m_accept_thread;
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
