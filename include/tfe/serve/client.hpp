// tfe/serve/client.hpp: the C++ API of a serving client: secret-shares an input for the servers of
// tfe_serve and alone reconstructs the prediction (docs/serving.md).
//
//   tfe::serve::client_options o;
//   o.hosts = "hosts.json"; o.cert = "certs/alice.pem"; o.key = "certs/alice.key";
//   tfe::serve::client c(o);                      // one TLS connection per server, names checked
//   xt::xarray<double> logits = c.predict(images);   // (n, 1, 28, 28) -> (n, 10)
//
// The client connects to every server listed with a "client_port" in the hosts file (serve/
// endpoints.hpp), retrying until connect_timeout; each server's certificate must name that server
// and chain to the CA; the client's own certificate names the client (the servers check it). The
// servers' "info" must agree (protocol, ring, fixed point). predict() encodes the input with the
// servers' fixed point, shares it (serve/shares.hpp) with a PRG keyed from the OS, sends every
// server its components (the leader, server 0, last), waits for every server's answer, and adds the
// answering servers' shares. A refusal is a serve_error with the server's reason; no answer within
// `timeout` closes the connections and is a serve_error too. One request at a time per client
// object (predict is not reentrant); use one client per thread.
#pragma once

#include "tfe/net/asio.hpp"
#include "tfe/net/tls.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/serve/endpoints.hpp"
#include "tfe/serve/shares.hpp"
#include "tfe/serve/wire.hpp"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace tfe::serve {

struct client_options {
  std::string hosts;  ///< the servers' hosts file (with client_port per server)
  std::string cert;   ///< this client's certificate (its CN or DNS SAN is the client's name)
  std::string key;    ///< its private key
  std::string ca;     ///< the CA; empty: the hosts file's
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  /// Longest wait for the answers of one request (the servers may be busy with other batches).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  /// The ring the client says it encodes for; empty: the servers' (another one is refused by them).
  std::string ring;
  /// Largest answer accepted, in bytes.
  std::size_t max_answer_bytes = std::size_t(1) << 30;
};

class client {
 public:
  explicit client(const client_options& o)
      : m_opts(o),
        m_cfg(load_serving_config(o.hosts)),
        m_tls(tls_files{o.ca.empty() ? m_cfg.hosts.ca : o.ca, o.cert, o.key}) {
    m_watchdog = std::thread([this] { watch(); });
    try {
      const auto deadline = std::chrono::steady_clock::now() + o.connect_timeout;
      for (const auto& ep : m_cfg.servers) m_conns.push_back(connect(ep, deadline));
      const auto& first = m_conns[0]->info;
      m_layout = layout_of(field<std::string>(first, "protocol", m_conns[0]->ep.name));
      m_fp.frac_bits = field<unsigned>(first, "frac_bits", m_conns[0]->ep.name);
      m_fp.int_bits = field<unsigned>(first, "int_bits", m_conns[0]->ep.name);
      TFE_ENFORCE(m_conns.size() == m_layout.servers, config_error, "hosts file ", o.hosts, " lists ", m_conns.size(),
                  " servers with a client_port but ", m_layout.protocol, " has ", m_layout.servers);
      for (std::size_t i = 0; i < m_conns.size(); ++i) {
        const auto& in = m_conns[i]->info;
        for (const char* k : {"protocol", "ring", "frac_bits", "int_bits", "input", "output"})
          TFE_ENFORCE(in.at(k) == first.at(k), serve_error, "server '", m_conns[i]->ep.name, "' serves ", k, " ",
                      in.at(k).dump(), " but '", m_conns[0]->ep.name, "' serves ", first.at(k).dump());
        TFE_ENFORCE(field<std::size_t>(in, "server", m_conns[i]->ep.name) == i, serve_error, "server '",
                    m_conns[i]->ep.name, "' says it is server ", in.at("server").dump(),
                    " but the hosts file lists it as ", i);
      }
    } catch (...) {
      stop_watchdog();
      throw;
    }
  }
  ~client() { stop_watchdog(); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Server 0's description of what it serves (protocol, ring, input and output dims, ...).
  const nlohmann::json& info() const { return m_conns[0]->info; }
  /// The name the servers saw in this client's certificate.
  std::string name() const { return m_conns[0]->info.value("client", ""); }
  const share_layout& layout() const { return m_layout; }

  /// The model's output on x (one request; its rows are examples, axis 0 the batch axis).
  xt::xarray<double> predict(const xt::xarray<double>& x) {
    const ring_array enc = encode<ring>(x, m_fp);
    auto shares = share_input(m_layout, enc, m_prg);
    const std::uint64_t id = m_prg.uniform<std::uint64_t>(shape_t{1})(0);
    nlohmann::json head = {{"type", "predict"},
                           {"id", id},
                           {"protocol", m_layout.protocol},
                           {"ring", m_opts.ring.empty() ? info().at("ring").get<std::string>() : m_opts.ring},
                           {"frac_bits", m_fp.frac_bits},
                           {"shape", shape_of(x)},
                           {"parts", m_layout.parts}};
    arm(m_opts.timeout);
    std::vector<std::optional<ring_array>> answers(m_conns.size());
    std::string refused;
    try {
      for (std::size_t k = m_conns.size(); k-- > 0;) {  // the leader last: the others have it when it proposes
        message m{head, {}};
        std::vector<bool> seeded;
        for (auto& part : shares[k]) {
          seeded.push_back(part.seed.has_value());
          if (part.seed) {
            m.body.insert(m.body.end(), part.seed->begin(), part.seed->end());
            secure_wipe(part.seed->data(), part.seed->size());
          } else {
            const auto* p = reinterpret_cast<const std::uint8_t*>(part.values.data());
            m.body.insert(m.body.end(), p, p + part.values.size() * sizeof(ring));
            secure_wipe(part.values.data(), part.values.size() * sizeof(ring));
          }
        }
        m.head["seeded"] = seeded;
        write_message(m_conns[k]->s, m);
        secure_wipe(m.body.data(), m.body.size());
      }
      for (std::size_t k = 0; k < m_conns.size(); ++k) {
        auto& c = *m_conns[k];
        message a = read_message(c.s, m_opts.max_answer_bytes, "server '" + c.ep.name + "'");
        const auto type = a.head["type"].get<std::string>();
        if (type == "error") {
          refused += (refused.empty() ? "" : "; ") + concat_refusal(c.ep.name, a.head);
          continue;
        }
        TFE_ENFORCE(type == "result" && a.head.value("id", std::uint64_t(0)) == id, serve_error, "server '", c.ep.name,
                    "' answered ", a.head.dump(), " to request ", id);
        if (!a.head.value("share", false)) continue;
        const auto shape = field<shape_t>(a.head, "shape", c.ep.name);
        TFE_ENFORCE(a.body.size() == shape_size(shape) * sizeof(ring), serve_error, "server '", c.ep.name, "' sent ",
                    a.body.size(), " bytes for an output of shape ", shape_str(shape));
        ring_array y = ring_array::from_shape(shape);
        std::memcpy(y.data(), a.body.data(), a.body.size());
        answers[k] = std::move(y);
      }
    } catch (const asio::system_error& e) {
      disarm();
      throw serve_error(tfe::detail::concat(m_timed_out.load() ? "no answer from the servers within " : "",
                                            m_timed_out.load() ? std::to_string(m_opts.timeout.count()) + " ms: " : "",
                                            "the connection to a server failed: ", e.what()));
    }
    disarm();
    TFE_ENFORCE(refused.empty(), serve_error, "request refused: ", refused);
    return decode(reconstruct(m_layout, answers), m_fp);
  }

 private:
  struct connection {
    server_endpoint ep;
    asio::ssl::stream<asio::ip::tcp::socket> s;
    nlohmann::json info;
    connection(server_endpoint e, asio::io_context& io, asio::ssl::context& ctx) : ep(std::move(e)), s(io, ctx) {}
  };

  static std::string concat_refusal(const std::string& server, const nlohmann::json& head) {
    return "server '" + server + "': " + head.value("error", std::string("(no reason given)"));
  }

  /// Connects (retrying while the server is not up yet), then TLS and the hello: their failures
  /// (a certificate the other side does not accept, a refusal) do not go away and are not retried.
  std::unique_ptr<connection> connect(const server_endpoint& ep, std::chrono::steady_clock::time_point deadline) {
    auto c = std::make_unique<connection>(ep, m_io, m_tls.asio_context());
    for (;;) {
      try {
        asio::ip::tcp::resolver resolver(m_io);
        asio::connect(c->s.lowest_layer(), resolver.resolve(ep.host, std::to_string(ep.client_port)));
        break;
      } catch (const asio::system_error& e) {
        TFE_ENFORCE(std::chrono::steady_clock::now() < deadline, serve_error, "cannot reach server '", ep.name, "' at ",
                    ep.host, ":", ep.client_port, " within the connect timeout: ", e.what());
        asio::error_code ignored;
        c->s.lowest_layer().close(ignored);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    asio::error_code ignored;
    c->s.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    watch_fd(c->s.lowest_layer().native_handle(), true);
    arm(std::chrono::seconds(10) + m_opts.timeout);
    try {
      c->s.handshake(asio::ssl::stream_base::client);
      X509* x = SSL_get1_peer_certificate(c->s.native_handle());
      TFE_ENFORCE(x != nullptr, serve_error, "server '", ep.name, "' presented no certificate");
      const certificate_info who = tfe::detail::inspect_certificate(x);
      X509_free(x);
      TFE_ENFORCE(who.names_player(ep.name), serve_error, "the server at ", ep.host, ":", ep.client_port,
                  " presented a certificate for ", who.names_str(), ", not for '", ep.name, "'");
      write_message(c->s, message{{{"type", "hello"}}, {}});
      message m = read_message(c->s, max_header_bytes, "server '" + ep.name + "'");
      disarm();
      if (m.head["type"] == "error")
        throw serve_error(tfe::detail::concat(
            "server '", ep.name, "' refused the connection: ", m.head.value("error", std::string("(no reason)"))));
      TFE_ENFORCE(m.head["type"] == "info", serve_error, "server '", ep.name, "' answered the hello with ",
                  m.head.dump());
      c->info = std::move(m.head);
      return c;
    } catch (const asio::system_error& e) {
      disarm();
      throw serve_error(tfe::detail::concat(
          "TLS with server '", ep.name, "' at ", ep.host, ":", ep.client_port, " failed: ", e.what(),
          m_timed_out.load() ? " (no answer in time)"
                             : " (is each side's certificate signed by the CA the other trusts?)"));
    }
  }

  // ---- the watchdog: a blocking read or write that outlives its deadline has its sockets shut -----
  void arm(std::chrono::milliseconds within) {
    std::lock_guard lock(m_watch_mutex);
    m_deadline = std::chrono::steady_clock::now() + within;
    m_armed = true;
    m_timed_out = false;  // no wake-up: the watchdog looks every 100 ms (one thread switch less per request)
  }
  void watch_fd(int fd, bool add) {
    std::lock_guard lock(m_watch_mutex);
    if (add)
      m_fds.push_back(fd);
    else
      std::erase(m_fds, fd);
  }
  void disarm() {
    std::lock_guard lock(m_watch_mutex);
    m_armed = false;
  }
  void watch() {
    std::unique_lock lock(m_watch_mutex);
    while (!m_watch_stop) {
      if (m_armed && std::chrono::steady_clock::now() >= m_deadline) {
        m_timed_out = true;
        m_armed = false;
        for (int fd : m_fds) ::shutdown(fd, SHUT_RDWR);  // the blocked read fails at once
      }
      m_watch_wake.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  void stop_watchdog() {
    {
      std::lock_guard lock(m_watch_mutex);
      m_watch_stop = true;
    }
    m_watch_wake.notify_all();
    if (m_watchdog.joinable()) m_watchdog.join();
  }

  client_options m_opts;
  serving_config m_cfg;
  tls_context m_tls;
  asio::io_context m_io;
  std::vector<std::unique_ptr<connection>> m_conns;
  share_layout m_layout;
  fixed_point_config m_fp;
  prg m_prg;  // keyed from the OS
  std::vector<int> m_fds;
  std::mutex m_watch_mutex;
  std::condition_variable m_watch_wake;
  std::chrono::steady_clock::time_point m_deadline{};
  bool m_armed = false, m_watch_stop = false;
  std::atomic<bool> m_timed_out{false};
  std::thread m_watchdog;
};

}  // namespace tfe::serve
