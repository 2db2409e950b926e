// tfe/config.hpp: version, the exception hierarchy, and TFE_ENFORCE (throws with context).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#define TFE_VERSION_MAJOR 0
#define TFE_VERSION_MINOR 1
#define TFE_VERSION_PATCH 0

namespace tfe {

inline constexpr const char* version = "0.1.0";

/// Base of every exception tfe throws on purpose.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Tensor shapes that do not fit an operation (mismatch, bad axis, bad reshape).
class shape_error : public error {
 public:
  using error::error;
};

/// A value that cannot be encoded in the fixed-point configuration (out of range, NaN, inf).
class encoding_error : public error {
 public:
  using error::error;
};

/// Transport failures: timeouts, closed networks, peers gone, malformed or oversized frames.
class channel_error : public error {
 public:
  using error::error;
};

/// Misuse of a protocol: unknown player, wrong role, operation a protocol cannot run.
class protocol_error : public error {
 public:
  using error::error;
};

/// Invalid configuration (fixed-point presets, player lists, options).
class config_error : public error {
 public:
  using error::error;
};

namespace detail {

template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace detail
}  // namespace tfe

/// TFE_ENFORCE(cond, error_type, message parts...): throws error_type with the message when cond is
/// false. Used for every check on user input; never compiled out.
#define TFE_ENFORCE(cond, error_type, ...)                          \
  do {                                                              \
    if (!(cond)) throw error_type(::tfe::detail::concat(__VA_ARGS__)); \
  } while (false)

/// TFE_ASSERT: internal invariant, checked only in debug builds.
#ifdef NDEBUG
#define TFE_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define TFE_ASSERT(cond) assert(cond)
#endif
