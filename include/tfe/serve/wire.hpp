// tfe/serve/wire.hpp: the messages between a serving client (tfe_client, serve::client) and each
// computing server (tfe_serve), over one TLS 1.3 connection per server with mutual authentication.
//
// A message is a JSON header and a binary body:
//   "TFES" | u32 header bytes | u64 body bytes | header (UTF-8 JSON) | body        (little-endian)
// The header is at most max_header_bytes and the body at most the receiver's limit, both checked
// before anything is allocated. The exchanges (one at a time per connection, in order):
//   client -> server  {"type": "hello"}
//   server -> client  {"type": "info", "protocol", "ring", "frac_bits", "int_bits", "server" (its
//                      index among the servers), "servers", "name", "input": dims, "output": dims,
//                      "client" (the name in the client's certificate), "max_rows"}
//   client -> server  {"type": "predict", "id", "protocol", "ring", "frac_bits", "shape", "parts",
//                      "seeded": [bool per component]}
//                     body: this server's share components of the input, "parts" of them one after
//                     the other: a seeded one as its 16-byte seed (serve/shares.hpp), any other as a
//                     tensor of "shape" (ring elements, 8 bytes each for ring64); without "seeded",
//                     every component is a tensor
//   server -> client  {"type": "result", "id", "shape", "share": true|false} body: this server's
//                     share of the output (re-randomized: see serve/shares.hpp), or nothing
//                     {"type": "error", "id", "error": "why"} the request was refused
// The body of a predict holds shares only: uniform ring elements that show a server nothing
// (serve/shares.hpp); the header is public (shape, ids) and seen by every server.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/asio.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace tfe::serve {

/// A refused request or a failed exchange with a server (the message names the server).
class serve_error : public error {
 public:
  using error::error;
};

struct message {
  nlohmann::json head;
  std::vector<std::uint8_t> body;
};

inline constexpr std::size_t max_header_bytes = 64 * 1024;

namespace detail {

inline void put_le(std::uint8_t* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t get_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(p[i]) << (8 * i);
  return v;
}

}  // namespace detail

/// The prefix and header of `m` ("TFES" | u32 | u64 | header), the bytes before its body.
inline std::vector<std::uint8_t> message_prefix(const message& m) {
  const std::string head = m.head.dump();
  std::vector<std::uint8_t> out(16 + head.size());
  std::memcpy(out.data(), "TFES", 4);
  detail::put_le(out.data() + 4, head.size(), 4);
  detail::put_le(out.data() + 8, m.body.size(), 8);
  if (!head.empty()) std::memcpy(out.data() + 16, head.data(), head.size());
  return out;
}

/// A message's sizes from its 16-byte prefix, checked: (header bytes, body bytes). A malformed
/// prefix, a header above max_header_bytes or a body above `max_body` is a serve_error naming `who`.
inline std::pair<std::size_t, std::size_t> parse_prefix(const std::array<std::uint8_t, 16>& prefix,
                                                        std::size_t max_body, const std::string& who) {
  TFE_ENFORCE(std::memcmp(prefix.data(), "TFES", 4) == 0, serve_error, "malformed message from ", who,
              ": it does not start with TFES (is it a tfe serving client or server?)");
  const std::uint64_t head_bytes = detail::get_le(prefix.data() + 4, 4);
  const std::uint64_t body_bytes = detail::get_le(prefix.data() + 8, 8);
  TFE_ENFORCE(head_bytes <= max_header_bytes, serve_error, "malformed message from ", who, ": header of ", head_bytes,
              " bytes (at most ", max_header_bytes, ")");
  TFE_ENFORCE(body_bytes <= max_body, serve_error, "message from ", who, " has a body of ", body_bytes,
              " bytes, above the limit of ", max_body, " bytes");
  return {static_cast<std::size_t>(head_bytes), static_cast<std::size_t>(body_bytes)};
}

/// A message's header, parsed and checked (a JSON object with a string "type"), or a serve_error.
inline nlohmann::json parse_header(const std::string& head, const std::string& who) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(head);
  } catch (const nlohmann::json::exception& e) {
    throw serve_error(tfe::detail::concat("malformed message header from ", who, ": ", e.what()));
  }
  TFE_ENFORCE(j.is_object() && j.contains("type") && j["type"].is_string(), serve_error,
              "malformed message header from ", who, ": no \"type\"");
  return j;
}

/// Writes one message (blocking). Throws asio::system_error when the connection fails.
template <class Stream>
void write_message(Stream& s, const message& m) {
  std::vector<std::uint8_t> first = message_prefix(m);
  if (m.body.size() < 64 * 1024) {  // one TLS record for a small message
    first.insert(first.end(), m.body.begin(), m.body.end());
    asio::write(s, asio::buffer(first));
    return;
  }
  const std::array<asio::const_buffer, 2> parts{asio::buffer(first), asio::buffer(m.body)};
  asio::write(s, parts);
}

/// Reads one message (blocking); `who` names the peer in errors. A malformed prefix or header, or
/// a body above `max_body` bytes, is a serve_error (nothing allocated for it); a closed connection
/// is asio::system_error (asio::error::eof).
template <class Stream>
message read_message(Stream& s, std::size_t max_body, const std::string& who) {
  std::array<std::uint8_t, 16> prefix{};
  asio::read(s, asio::buffer(prefix));
  const auto [head_bytes, body_bytes] = parse_prefix(prefix, max_body, who);
  std::string head(head_bytes, '\0');
  asio::read(s, asio::buffer(head));
  message m;
  m.head = parse_header(head, who);
  m.body.resize(body_bytes);
  if (body_bytes) asio::read(s, asio::buffer(m.body));
  return m;
}

/// A header field of the expected JSON type, or a serve_error naming it and `who`.
template <class T>
T field(const nlohmann::json& head, const char* key, const std::string& who) {
  try {
    return head.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw serve_error(
        tfe::detail::concat("malformed message from ", who, ": field \"", key, "\" is missing or has the wrong type"));
  }
}

}  // namespace tfe::serve
