// tfe/config.hpp: version, the exception hierarchy, and TFE_ENFORCE (throws with context).
#pragma once

#include <exception>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "tfe/version.hpp"

namespace tfe {

/// Base of every exception tfe throws on purpose.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The class of the error by name: what a failing player may tell its peers (public_failure_reason).
  virtual const char* kind() const noexcept { return "tfe::error"; }
  /// Whether the message may go to peers: only for errors of the transport itself, whose messages
  /// name players, addresses and timeouts, never a value.
  virtual bool message_is_public() const noexcept { return false; }
};

/// Tensor shapes that do not fit an operation (mismatch, bad axis, bad reshape).
class shape_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::shape_error"; }
};

/// A value that cannot be encoded in the fixed-point configuration (out of range, NaN, inf).
class encoding_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::encoding_error"; }
};

/// Transport failures: timeouts, closed networks, peers gone, malformed or oversized frames.
class channel_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::channel_error"; }
  bool message_is_public() const noexcept override { return true; }
};

/// Misuse of a protocol: unknown player, wrong role, operation a protocol cannot run.
class protocol_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::protocol_error"; }
};

/// Invalid configuration (fixed-point presets, player lists, options).
class config_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::config_error"; }
};

namespace detail {

template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace detail

/// What a failing player tells its peers when it aborts a computation: the kind of error only. The
/// message stays with the player that raised it, because it may carry a private value (an
/// out-of-range input names the value and its index). A channel_error is about the transport (a
/// peer that timed out or left): its message is passed on, so that every player reports the root
/// cause. Used by run_player (runtime/launch.hpp).
inline std::string public_failure_reason(const std::exception& e) {
  const char* kind = "an exception";
  if (const auto* t = dynamic_cast<const error*>(&e)) {
    if (t->message_is_public()) return detail::concat(t->kind(), ": ", t->what());
    kind = t->kind();
  } else if (dynamic_cast<const std::bad_alloc*>(&e)) {
    kind = "std::bad_alloc";
  } else if (dynamic_cast<const std::logic_error*>(&e)) {
    kind = "std::logic_error";
  } else if (dynamic_cast<const std::runtime_error*>(&e)) {
    kind = "std::runtime_error";
  }
  return detail::concat(kind, " (its message stays with the player that raised it)");
}

}  // namespace tfe

/// TFE_ENFORCE(cond, error_type, message parts...): throws error_type with the message when cond is
/// false. Used for every check on user input; never compiled out.
#define TFE_ENFORCE(cond, error_type, ...)                             \
  do {                                                                 \
    if (!(cond)) throw error_type(::tfe::detail::concat(__VA_ARGS__)); \
  } while (false)

/// TFE_ASSERT: internal invariant, checked only in debug builds.
#ifdef NDEBUG
#define TFE_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define TFE_ASSERT(cond) assert(cond)
#endif
