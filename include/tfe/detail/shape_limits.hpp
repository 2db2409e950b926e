// tfe/detail/shape_limits.hpp: checked element counts for shapes that come from untrusted input
// (.npy headers, IDX headers, model architectures, frames and shapes announced by peers).
//
// shape_size() multiplies without checking; every reader of an untrusted shape uses
// checked_shape_size() instead, before it allocates or indexes anything. It refuses a shape when
//   - the product of its dimensions overflows std::size_t, or
//   - the product, or any single dimension, exceeds a limit (default: max_tensor_elements).
// Checking every dimension as well refuses shapes such as (0, 2^63): empty, but any later product
// with another tensor's dimension (a matmul, a reshape) would be absurd.
//
// Limit: max_tensor_elements = 2^32 elements (4,294,967,296). One ring64 share of such a tensor is
// 32 GiB; the default channel_options::max_frame_bytes (2^32 bytes) could not carry it either.
// Readers may pass a tighter limit (the bytes really present in the file, a model limit, ...).
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>

namespace tfe {

/// The largest element count (and the largest single dimension) accepted from untrusted input.
inline constexpr std::size_t max_tensor_elements = std::size_t(1) << 32;

/// The element count of `shape`; empty when a dimension or the product exceeds `limit` (an overflow
/// of the product always exceeds it).
inline std::optional<std::size_t> shape_size_within(const shape_t& shape,
                                                    std::size_t limit = max_tensor_elements) noexcept {
  std::size_t n = 1;
  bool empty = false;
  for (const std::size_t d : shape) {
    if (d > limit) return std::nullopt;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (n > limit / d) return std::nullopt;  // n * d > limit, computed without overflowing
    n *= d;
  }
  return empty ? 0 : n;
}

/// The element count of `shape`, or throws Error when shape_size_within refuses it. The message
/// names `where` (a file, an archive entry, a peer) and `field` (where the shape came from).
/// Error is tfe::file_error (built from (where, problem)) or any tfe::error ("where: problem").
template <class Error = shape_error>
std::size_t checked_shape_size(const shape_t& shape, const std::string& where, const std::string& field,
                               std::size_t limit = max_tensor_elements) {
  if (const auto n = shape_size_within(shape, limit)) return *n;
  const std::string problem = detail::concat(field, " ", shape_str(shape), " has too many elements (the limit is ",
                                             limit, " elements and ", limit, " per dimension)");
  if constexpr (std::is_constructible_v<Error, const std::string&, const std::string&>)
    throw Error(where, problem);
  else
    throw Error(where + ": " + problem);
}

}  // namespace tfe
