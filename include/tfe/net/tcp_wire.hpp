// tfe/net/tcp_wire.hpp: what travels on a TCP connection between two players, and the POSIX socket
// helpers the TCP channel's data path uses.
//
// Every message is a u64 little-endian header followed by a body:
//   header = (type << 56) | length        length < 2^56, checked against a maximum BEFORE allocating
//   type 0 data      body = one frame (net/frame.hpp)
//   type 1 hello     body = JSON: who is speaking and which computation it belongs to (set-up only)
//   type 2 verdict   body = JSON {"ok": true} or {"ok": false, "reason": "..."} (set-up only)
//   type 3 goodbye   no body: the sender finished its program and closes the connection
//   type 4 abort     body = UTF-8 reason: the sender failed; the computation is over for everybody
//   type 5 heartbeat body = 16 bytes: i64 the player the sender waits for (-1: computing), u64 the
//                    frames it has sent and received; sent on every link at tcp_options'
//                    heartbeat_interval, so a silent link means a stopped, hung or cut-off peer
// With TLS the same bytes travel inside the TLS stream.
//
// The hello identifies the computation: protocol version, run id, program (e.g. "pond<ring64>"), the
// player list and its SHA-256 digest, and the sender's and intended receiver's index and name. Both
// ends send a hello, check the other's, and answer with a verdict, so a rejected side learns why.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/hosts.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace tfe::detail::wire {

inline constexpr std::uint32_t protocol_version = 2;  // 2: heartbeats

enum class msg : std::uint8_t { data = 0, hello = 1, verdict = 2, goodbye = 3, abort = 4, heartbeat = 5 };

inline constexpr std::uint64_t max_length = (std::uint64_t(1) << 56) - 1;
/// Hello, verdict and abort bodies are small; anything larger is refused before allocating.
inline constexpr std::size_t max_control_bytes = 64 * 1024;

inline const char* msg_name(std::uint8_t t) {
  switch (t) {
    case 0:
      return "data";
    case 1:
      return "hello";
    case 2:
      return "verdict";
    case 3:
      return "goodbye";
    case 4:
      return "abort";
    case 5:
      return "heartbeat";
    default:
      return "unknown";
  }
}

inline void encode_header(std::uint8_t out[8], msg type, std::uint64_t length) {
  TFE_ENFORCE(length <= max_length, channel_error, "message of ", length, " bytes is too long for the wire format");
  const std::uint64_t h = (std::uint64_t(static_cast<std::uint8_t>(type)) << 56) | length;
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(h >> (8 * i));
}

struct header {
  std::uint8_t type;
  std::uint64_t length;
};

inline header decode_header(const std::uint8_t in[8]) {
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h |= std::uint64_t(in[i]) << (8 * i);
  return {static_cast<std::uint8_t>(h >> 56), h & max_length};
}

/// A whole control message (header + body) as one buffer.
inline std::vector<std::uint8_t> encode_message(msg type, const std::string& body) {
  std::vector<std::uint8_t> out(8 + body.size());
  encode_header(out.data(), type, body.size());
  if (!body.empty()) std::memcpy(out.data() + 8, body.data(), body.size());
  return out;
}

// ---- heartbeat -----------------------------------------------------------------------------------

inline constexpr std::size_t heartbeat_bytes = 16;

/// A whole heartbeat message (header + body).
inline std::array<std::uint8_t, 8 + heartbeat_bytes> encode_heartbeat(std::int64_t waiting_for,
                                                                      std::uint64_t progress) {
  std::array<std::uint8_t, 8 + heartbeat_bytes> out{};
  encode_header(out.data(), msg::heartbeat, heartbeat_bytes);
  const auto w = static_cast<std::uint64_t>(waiting_for);
  for (int i = 0; i < 8; ++i) {
    out[8 + i] = static_cast<std::uint8_t>(w >> (8 * i));
    out[16 + i] = static_cast<std::uint8_t>(progress >> (8 * i));
  }
  return out;
}

struct heartbeat {
  std::int64_t waiting_for;
  std::uint64_t progress;
};

inline heartbeat decode_heartbeat(const std::uint8_t in[heartbeat_bytes]) {
  std::uint64_t w = 0, p = 0;
  for (int i = 0; i < 8; ++i) {
    w |= std::uint64_t(in[i]) << (8 * i);
    p |= std::uint64_t(in[8 + i]) << (8 * i);
  }
  return {static_cast<std::int64_t>(w), p};
}

// ---- hello ---------------------------------------------------------------------------------------

struct hello {
  std::uint32_t version = protocol_version;
  std::string run_id;
  std::string program;
  std::vector<std::string> players;
  std::string players_digest;
  std::size_t from = 0;
  std::size_t to = 0;
};

inline std::string encode_hello(const hello& h) {
  nlohmann::json j = {{"tfe", h.version},
                      {"run_id", h.run_id},
                      {"program", h.program},
                      {"players", h.players},
                      {"digest", h.players_digest},
                      {"from", h.from},
                      {"from_name", h.players.at(h.from)},
                      {"to", h.to},
                      {"to_name", h.players.at(h.to)}};
  return j.dump();
}

/// Parses a hello; throws channel_error naming `who` (the remote address) when malformed.
inline hello parse_hello(const std::string& body, const std::string& who) {
  hello h;
  try {
    auto j = nlohmann::json::parse(body);
    // Integers are checked before they are converted: 1e300 or -1 would be undefined or wrap.
    auto natural = [&](const char* key, std::uint64_t max) {
      const auto& v = j.at(key);
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max)
        throw channel_error(concat("malformed hello from ", who, ": field '", key, "' must be an integer from 0 to ",
                                   max, ", got ", v.dump()));
      return v.get<std::uint64_t>();
    };
    h.version = static_cast<std::uint32_t>(natural("tfe", 0xffffffffu));
    h.run_id = j.at("run_id").get<std::string>();
    h.program = j.at("program").get<std::string>();
    h.players = j.at("players").get<std::vector<std::string>>();
    h.players_digest = j.at("digest").get<std::string>();
    h.from = static_cast<std::size_t>(natural("from", std::numeric_limits<std::uint32_t>::max()));
    h.to = static_cast<std::size_t>(natural("to", std::numeric_limits<std::uint32_t>::max()));
  } catch (const nlohmann::json::exception& e) {
    throw channel_error(concat("malformed hello from ", who, ": ", e.what()));
  }
  TFE_ENFORCE(h.from < h.players.size() && h.to < h.players.size(), channel_error, "malformed hello from ", who,
              ": player index out of range");
  return h;
}

inline std::string list_str(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

/// Checks the peer's hello against ours (`mine`: from = us, to = the peer when we know it).
/// Returns an empty string when it matches, else the reason for rejecting it.
inline std::string check_hello(const hello& mine, const hello& theirs, bool peer_known) {
  const std::string& me = mine.players[mine.from];
  if (theirs.version != mine.version)
    return concat("protocol version mismatch: '", me, "' speaks tfe wire version ", mine.version, ", the peer ",
                  theirs.version);
  const std::string peer = "'" + theirs.players[theirs.from] + "'";
  if (theirs.run_id != mine.run_id)
    return concat("run id mismatch: '", me, "' is in run '", mine.run_id, "' but ", peer, " is in run '", theirs.run_id,
                  "' (a stale or stray process, or a different launch?)");
  if (theirs.players_digest != mine.players_digest || theirs.players != mine.players)
    return concat("player list mismatch: '", me, "' has ", list_str(mine.players), " (digest ",
                  mine.players_digest.substr(0, 16), "), ", peer, " has ", list_str(theirs.players), " (digest ",
                  theirs.players_digest.substr(0, 16), "): different hosts files?");
  if (players_digest(theirs.players) != theirs.players_digest)
    return concat("hello from ", peer, " carries a player-list digest that does not match its list");
  if (theirs.program != mine.program)
    return concat("program mismatch: '", me, "' runs '", mine.program, "' but ", peer, " runs '", theirs.program, "'");
  if (theirs.to != mine.from)
    return concat(peer, " wanted to reach player #", theirs.to, " '", theirs.players[theirs.to], "' but reached '", me,
                  "' (player #", mine.from, "): wrong port in a hosts file?");
  if (theirs.from == mine.from) return concat("the peer claims to be '", me, "' itself");
  if (peer_known && theirs.from != mine.to)
    return concat("'", me, "' connected to '", mine.players[mine.to], "' but the peer says it is ", peer);
  if (!peer_known && theirs.from > mine.from)
    return concat(peer, " (player #", theirs.from, ") must not connect to '", me, "' (player #", mine.from,
                  "): the lower index connects to the higher one");
  return {};
}

inline std::string encode_verdict(const std::string& reason) {
  nlohmann::json j = reason.empty() ? nlohmann::json{{"ok", true}} : nlohmann::json{{"ok", false}, {"reason", reason}};
  return j.dump();
}

/// Returns the peer's rejection reason, or empty when it accepted.
inline std::string parse_verdict(const std::string& body, const std::string& who) {
  try {
    auto j = nlohmann::json::parse(body);
    if (j.at("ok").get<bool>()) return {};
    return j.value("reason", std::string("(no reason given)"));
  } catch (const nlohmann::json::exception& e) {
    throw channel_error(concat("malformed verdict from ", who, ": ", e.what()));
  }
}

// ---- POSIX socket helpers (data path) ------------------------------------------------------------

using clock = std::chrono::steady_clock;

inline std::string errno_str(int e) { return std::strerror(e); }

/// Waits until `fd` is writable or the deadline passes; false on timeout.
inline bool wait_writable(int fd, clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left < 0) return false;
    pollfd p{fd, POLLOUT, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 1 << 30)));
    if (r > 0) return true;  // writable, or an error the next send reports
    if (r < 0 && errno != EINTR) return true;
  }
}

/// Sends every byte of the buffers (gather write, no SIGPIPE). Throws channel_error built from `what`
/// on a broken connection, when the socket stays full for longer than (deadline − now at the call):
/// every write that makes progress moves the deadline on, so a large message over a slow link is
/// fine; or when `cancel` (if given) becomes true while the socket is full. clock::time_point::max():
/// no limit (the TCP channel's watchdog ends a send to a silent peer through `cancel`).
inline void send_all(int fd, iovec* iov, int iovcnt, clock::time_point deadline, const std::string& what,
                     const std::atomic<bool>* cancel = nullptr) {
  const bool limited = deadline != clock::time_point::max();
  const auto allowance = limited ? deadline - clock::now() : clock::duration::zero();
  while (iovcnt > 0) {
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = static_cast<std::size_t>(iovcnt);
    ssize_t n = ::sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // wait in slices, so that an abort of the computation (`cancel`) ends the wait too
        const auto slice = std::min(deadline, clock::now() + std::chrono::milliseconds(50));
        if (!wait_writable(fd, slice) && clock::now() >= deadline)
          throw channel_error(concat("timeout: ", what, ": the peer has not read anything for too long"));
        if (cancel && cancel->load()) throw channel_error(concat(what, ": the computation was aborted"));
        continue;
      }
      throw channel_error(concat(what, ": ", errno_str(errno)));
    }
    if (limited && n > 0) deadline = clock::now() + allowance;
    auto left = static_cast<std::size_t>(n);
    while (iovcnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<std::uint8_t*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
}

inline void send_all(int fd, const void* data, std::size_t n, clock::time_point deadline, const std::string& what,
                     const std::atomic<bool>* cancel = nullptr) {
  iovec v{const_cast<void*>(data), n};
  send_all(fd, &v, 1, deadline, what, cancel);
}

/// Blocking read of at most n bytes; 0 at end of stream. Throws channel_error built from `what`
/// (just the system's message when `what` is empty).
inline std::size_t recv_some(int fd, void* dst, std::size_t n, const std::string& what) {
  for (;;) {
    ssize_t r = ::recv(fd, dst, n, 0);
    if (r >= 0) return static_cast<std::size_t>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a non-blocking descriptor: wait for data
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    throw channel_error(what.empty() ? errno_str(errno) : concat(what, ": ", errno_str(errno)));
  }
}

}  // namespace tfe::detail::wire
