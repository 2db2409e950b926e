// tfe/net/tls.hpp: TLS 1.3 with mutual authentication for the TCP channel (asio::ssl over OpenSSL).
//
// tls_context is an asio::ssl::context set up for one player: TLS 1.3 only, the player's certificate
// chain and private key, the CA that signed every player's certificate, and peer verification
// required in both directions (a connection without a valid peer certificate fails the handshake).
// Which player a certificate belongs to is its CN or a DNS subjectAltName equal to the player name;
// tcp_channel checks that name (and, when the hosts file pins one, the SHA-256 fingerprint) against
// the player the peer claims to be. scripts/make_certs.sh makes a CA and such certificates.
//
// tls_session is one connection's TLS state. It keeps OpenSSL's record layer on two memory BIOs and
// moves the bytes over the socket itself, so that one thread can read (decrypt) while another writes
// (encrypt) on the same connection: the SSL object is only touched under a mutex that is never held
// across a blocking socket call. (asio::ssl::stream does not allow a synchronous read and a
// synchronous write on two threads at once, and routing every send through an I/O thread would add a
// thread hand-off to every message.) Session tickets are disabled, so after the handshake reading
// never needs to write. The one plaintext copy it makes (small messages coalesced into one record)
// is wiped after each send.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/asio.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/net/tcp_wire.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace tfe {

/// The files of one player's TLS identity.
struct tls_files {
  std::string ca;    ///< CA certificate (PEM) every player certificate must chain to
  std::string cert;  ///< this player's certificate (PEM, may include intermediates)
  std::string key;   ///< this player's private key (PEM, unencrypted)
};

/// Who a certificate says it is.
struct certificate_info {
  std::vector<std::string> names;  ///< the subject CN and every DNS subjectAltName
  std::string fingerprint;         ///< lower-case hex SHA-256 of the DER encoding
  std::string subject;             ///< one-line subject, for messages

  bool names_player(const std::string& player) const {
    for (const auto& n : names)
      if (n == player) return true;
    return false;
  }
  std::string names_str() const {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
    return s.empty() ? "no name" : s;
  }
};

namespace detail {

/// Drains this thread's OpenSSL error queue into one line.
inline std::string openssl_errors() {
  std::string s;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    s += (s.empty() ? "" : "; ") + std::string(buf);
  }
  return s;
}

inline certificate_info inspect_certificate(X509* x) {
  certificate_info info;
  X509_NAME* subject = X509_get_subject_name(x);
  char line[512];
  X509_NAME_oneline(subject, line, sizeof line);
  info.subject = line;
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    if (len >= 0) info.names.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) continue;
      const ASN1_STRING* s = g->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(sans);
  }
  std::vector<std::string> distinct;
  for (auto& n : info.names)
    if (std::find(distinct.begin(), distinct.end(), n) == distinct.end()) distinct.push_back(std::move(n));
  info.names = std::move(distinct);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) == 1) info.fingerprint = to_hex(md, n);
  return info;
}

}  // namespace detail

/// One player's TLS configuration (an asio::ssl::context): TLS 1.3, mutual authentication.
class tls_context {
 public:
  explicit tls_context(const tls_files& files) : m_ctx(asio::ssl::context::tls) {
    auto need = [](const std::string& path, const char* what) {
      TFE_ENFORCE(!path.empty(), config_error, "TLS needs ", what,
                  " (set it in the hosts file; scripts/make_certs.sh makes one; or use insecure plaintext)");
      TFE_ENFORCE(std::filesystem::is_regular_file(path), config_error, "TLS: cannot read ", what, " '", path, "'");
    };
    need(files.ca, "a CA certificate file");
    need(files.cert, "a certificate file for this player");
    need(files.key, "a private key file for this player");
    SSL_CTX* c = m_ctx.native_handle();
    TFE_ENFORCE(SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) == 1, config_error, "TLS 1.3 is not available");
    asio::error_code ec;
    auto check = [&](const char* what, const std::string& path) {
      if (ec) throw config_error(detail::concat("TLS: bad ", what, " '", path, "': ", ec.message()));
    };
    m_ctx.load_verify_file(files.ca, ec);
    check("CA certificate file", files.ca);
    m_ctx.use_certificate_chain_file(files.cert, ec);
    check("certificate file", files.cert);
    m_ctx.use_private_key_file(files.key, asio::ssl::context::pem, ec);
    check("private key file", files.key);
    ERR_clear_error();
    TFE_ENFORCE(SSL_CTX_check_private_key(c) == 1, config_error, "TLS: the private key '", files.key,
                "' does not belong to the certificate '", files.cert, "'");
    m_ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    SSL_CTX_set_num_tickets(c, 0);  // no post-handshake messages: reading never has to write
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    if (STACK_OF(X509_NAME)* cas = SSL_load_client_CA_file(files.ca.c_str())) SSL_CTX_set_client_CA_list(c, cas);
    ERR_clear_error();
    X509* own = SSL_CTX_get0_certificate(c);
    TFE_ENFORCE(own != nullptr, config_error, "TLS: no certificate in '", files.cert, "'");
    m_own = detail::inspect_certificate(own);
  }
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  SSL_CTX* native() { return m_ctx.native_handle(); }
  asio::ssl::context& asio_context() { return m_ctx; }
  /// The names and fingerprint of this player's own certificate.
  const certificate_info& own_certificate() const { return m_own; }

 private:
  asio::ssl::context m_ctx;
  certificate_info m_own;
};

// GCC 12 reports -Wmismatched-new-delete where a coroutine frame of Asio is freed: a false positive
// (asio::detail::awaitable_frame_base pairs its own operator new and delete), which shows up or not
// with inlining. Silenced for the coroutine code only.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
/// One connection's TLS state over memory BIOs (see the top of this header).
class tls_session {
 public:
  tls_session(tls_context& ctx, bool server) : m_ssl(SSL_new(ctx.native())) {
    TFE_ENFORCE(m_ssl != nullptr, channel_error, "TLS: SSL_new failed: ", detail::openssl_errors());
    m_rbio = BIO_new(BIO_s_mem());
    m_wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(m_ssl, m_rbio, m_wbio);  // the SSL object owns both now
    if (server)
      SSL_set_accept_state(m_ssl);
    else
      SSL_set_connect_state(m_ssl);
  }
  ~tls_session() { SSL_free(m_ssl); }
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  // ---- set-up phase: one thread, asio coroutines on the set-up io_context ------------------------

  asio::awaitable<void> async_handshake(asio::ip::tcp::socket& s) {
    for (;;) {
      ERR_clear_error();
      const int r = SSL_do_handshake(m_ssl);
      const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(m_ssl, r);
      std::string why;
      if (r != 1 && err != SSL_ERROR_WANT_READ) why = failure_text(err);
      co_await async_flush(s);  // what the handshake produced, alerts included
      if (r == 1) co_return;
      if (err != SSL_ERROR_WANT_READ) throw channel_error("TLS handshake failed: " + why);
      co_await async_fill(s, "during the TLS handshake");
    }
  }

  asio::awaitable<void> async_write_all(asio::ip::tcp::socket& s, const std::uint8_t* p, std::size_t n) {
    if (n) {
      ERR_clear_error();
      const int r = SSL_write(m_ssl, p, static_cast<int>(n));
      if (r <= 0) throw channel_error("TLS write failed: " + failure_text(SSL_get_error(m_ssl, r)));
    }
    co_await async_flush(s);
  }

  asio::awaitable<void> async_read_exact(asio::ip::tcp::socket& s, std::uint8_t* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      ERR_clear_error();
      const int r = SSL_read(m_ssl, p + got, static_cast<int>(std::min<std::size_t>(n - got, 1 << 30)));
      if (r > 0) {
        got += static_cast<std::size_t>(r);
        continue;
      }
      const int err = SSL_get_error(m_ssl, r);
      if (err == SSL_ERROR_ZERO_RETURN) throw channel_error("the peer closed the TLS connection");
      if (err != SSL_ERROR_WANT_READ) throw channel_error("TLS read failed: " + failure_text(err));
      co_await async_fill(s, "");
    }
  }

  /// The peer's certificate (after the handshake; verified against the CA by OpenSSL).
  certificate_info peer_certificate() const {
    X509* x = SSL_get1_peer_certificate(m_ssl);
    TFE_ENFORCE(x != nullptr, channel_error, "the peer presented no certificate");
    certificate_info info = detail::inspect_certificate(x);
    X509_free(x);
    const long v = SSL_get_verify_result(m_ssl);
    TFE_ENFORCE(v == X509_V_OK, channel_error, "the peer's certificate ", info.subject,
                " failed verification: ", X509_verify_cert_error_string(v));
    return info;
  }

  // ---- data phase: one reader thread and one writer at a time ------------------------------------

  /// Encrypts and sends every byte of the buffers; the SSL lock is never held while the socket blocks.
  /// As wire::send_all: the socket may stay full for (deadline − now) at most, counted afresh after
  /// every write that makes progress; time_point::max(): no limit.
  void write_all(int fd, const iovec* parts, int count, detail::wire::clock::time_point deadline,
                 const std::string& what, const std::atomic<bool>* cancel = nullptr) {
    std::lock_guard send_lock(m_send_mutex);
    using clock = detail::wire::clock;
    const bool limited = deadline != clock::time_point::max();
    const auto allowance = limited ? deadline - clock::now() : clock::duration::zero();
    auto next_deadline = [&] { return limited ? clock::now() + allowance : clock::time_point::max(); };
    constexpr std::size_t chunk = 256 * 1024;
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) total += parts[i].iov_len;
    if (total <= 16 * 1024 && count > 1) {  // small: one TLS record for header and frame
      m_plain.clear();
      for (int i = 0; i < count; ++i)
        m_plain.insert(m_plain.end(), static_cast<const std::uint8_t*>(parts[i].iov_base),
                       static_cast<const std::uint8_t*>(parts[i].iov_base) + parts[i].iov_len);
      struct wipe_plain {  // the plaintext copy (it may carry a seed or a share) does not outlive the send
        std::vector<std::uint8_t>& v;
        ~wipe_plain() { OPENSSL_cleanse(v.data(), v.size()); }
      } wipe{m_plain};
      encrypt_and_send(fd, m_plain.data(), m_plain.size(), next_deadline(), what, cancel);
      return;
    }
    for (int i = 0; i < count; ++i) {
      const auto* p = static_cast<const std::uint8_t*>(parts[i].iov_base);
      for (std::size_t off = 0; off < parts[i].iov_len; off += chunk)
        encrypt_and_send(fd, p + off, std::min(chunk, parts[i].iov_len - off), next_deadline(), what, cancel);
    }
  }

  /// Decrypts at least one byte into dst (blocking on the socket without the lock); 0 at the end of
  /// the stream. Only the connection's reader thread calls this.
  std::size_t read_some(int fd, std::uint8_t* dst, std::size_t n, const std::string& what) {
    for (;;) {
      {
        std::lock_guard lock(m_ssl_mutex);
        ERR_clear_error();
        const int r = SSL_read(m_ssl, dst, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
        if (r > 0) return static_cast<std::size_t>(r);
        const int err = SSL_get_error(m_ssl, r);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        if (err != SSL_ERROR_WANT_READ)
          throw channel_error((what.empty() ? "" : what + ": ") + "TLS error: " + failure_text(err));
      }
      const std::size_t got = detail::wire::recv_some(fd, m_raw.data(), m_raw.size(), what);
      if (got == 0) return 0;
      std::lock_guard lock(m_ssl_mutex);
      BIO_write(m_rbio, m_raw.data(), static_cast<int>(got));
    }
  }

 private:
  std::string failure_text(int err) const {
    std::string s = detail::openssl_errors();
    const long v = SSL_get_verify_result(m_ssl);
    if (v != X509_V_OK) s += (s.empty() ? "" : "; ") + std::string("certificate: ") + X509_verify_cert_error_string(v);
    if (s.empty()) s = err == SSL_ERROR_SYSCALL ? "connection closed" : "SSL error " + std::to_string(err);
    return s;
  }

  asio::awaitable<void> async_flush(asio::ip::tcp::socket& s) {
    while (BIO_ctrl_pending(m_wbio) > 0) {
      const int n = BIO_read(m_wbio, m_raw.data(), static_cast<int>(m_raw.size()));
      if (n <= 0) break;
      co_await asio::async_write(s, asio::buffer(m_raw.data(), static_cast<std::size_t>(n)), asio::use_awaitable);
    }
  }

  asio::awaitable<void> async_fill(asio::ip::tcp::socket& s, const char* when) {
    std::size_t n = 0;
    try {
      n = co_await s.async_read_some(asio::buffer(m_raw), asio::use_awaitable);
    } catch (const asio::system_error& e) {
      throw channel_error(detail::concat("connection lost ", when, ": ", e.code().message()));
    }
    BIO_write(m_rbio, m_raw.data(), static_cast<int>(n));
  }

  void encrypt_and_send(int fd, const std::uint8_t* p, std::size_t n, detail::wire::clock::time_point deadline,
                        const std::string& what, const std::atomic<bool>* cancel) {
    {
      std::lock_guard lock(m_ssl_mutex);
      ERR_clear_error();
      const int r = SSL_write(m_ssl, p, static_cast<int>(n));
      if (r <= 0) throw channel_error(what + ": TLS error: " + failure_text(SSL_get_error(m_ssl, r)));
      const auto pending = BIO_ctrl_pending(m_wbio);
      m_out.resize(pending);
      const int got = BIO_read(m_wbio, m_out.data(), static_cast<int>(pending));
      m_out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    }
    detail::wire::send_all(fd, m_out.data(), m_out.size(), deadline, what, cancel);
  }

  SSL* m_ssl;
  BIO* m_rbio = nullptr;
  BIO* m_wbio = nullptr;
  std::mutex m_ssl_mutex;   // the SSL object and its BIOs
  std::mutex m_send_mutex;  // one writer at a time (keeps records in order on the socket)
  std::vector<std::uint8_t> m_out, m_plain;
  std::array<std::uint8_t, 64 * 1024> m_raw{};  // set-up I/O, then the reader thread's socket buffer
};
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic pop
#endif

}  // namespace tfe
