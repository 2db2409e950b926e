// tfe/detail/json_integer.hpp: integers read from untrusted JSON (model files, hosts files, graphs
// from a peer). nlohmann's get<int>() on a JSON number such as 1e300 converts a double that does not
// fit the integer type (undefined behaviour), and on 2^64 - 1 wraps to -1 for a signed type;
// json_integer accepts only a JSON integer within the type's range, else throws config_error
// naming `where` and `field`.
#pragma once

#include "tfe/config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace tfe::detail {

/// j as a T: a JSON integer (not a float, even 1.0) in [min(T), max(T)]; config_error otherwise.
template <class T>
T json_integer(const nlohmann::json& j, const std::string& where, const std::string& field) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  using limits = std::numeric_limits<T>;
  bool ok = false;
  if (j.is_number_unsigned())
    ok = j.get<std::uint64_t>() <= static_cast<std::uint64_t>(limits::max());
  else if (j.is_number_integer())
    ok = j.get<std::int64_t>() >= static_cast<std::int64_t>(limits::min()) &&
         (!std::is_signed_v<T> ? j.get<std::int64_t>() >= 0
                               : j.get<std::int64_t>() <= static_cast<std::int64_t>(limits::max()));
  TFE_ENFORCE(ok, config_error, where, ": field '", field, "' must be an integer in [", +limits::min(), ", ",
              +limits::max(), "], got ", j.dump());
  return j.is_number_unsigned() ? static_cast<T>(j.get<std::uint64_t>()) : static_cast<T>(j.get<std::int64_t>());
}

}  // namespace tfe::detail
