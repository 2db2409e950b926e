// tfe/nn/spec_limits.hpp: the limits of a model architecture (nn/specs.hpp), which may come from an
// untrusted model file or from a peer (keras::share_model). docs/security.md lists them.
//
//   max_model_layers   = 4096     layers in an architecture
//   max_model_axes     = 8        axes of input_shape and of a Reshape target_shape
//   max_model_elements = 2^28     elements of every tensor of the model for one example (the input,
//                                 every layer's output, every weight) and so of every size option
//                                 (units, filters, kernel_size, pool_size, strides, dimensions)
// A JSON size option must be a non-negative integer within the limit (a negative number is refused,
// not wrapped around). Errors name the file (or peer), the layer and the field.
#pragma once

#include "tfe/config.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace tfe::keras {

inline constexpr std::size_t max_model_layers = 4096;
inline constexpr std::size_t max_model_axes = 8;
inline constexpr std::size_t max_model_elements = std::size_t(1) << 28;

namespace detail {

/// j as a size option: a non-negative integer at most max_model_elements; config_error otherwise.
inline std::size_t json_size(const nlohmann::json& j, const std::string& where, const std::string& field) {
  TFE_ENFORCE(j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0), config_error, where,
              ": field '", field, "' must be a non-negative integer, got ", j.dump());
  const auto v = j.get<std::uint64_t>();
  TFE_ENFORCE(v <= max_model_elements, config_error, where, ": field '", field, "' is ", v, ", above the limit of ",
              max_model_elements);
  return static_cast<std::size_t>(v);
}

/// c[key] as a size option when present.
inline void json_size_opt(const nlohmann::json& c, const char* key, std::size_t& out, const std::string& where) {
  if (c.contains(key)) out = json_size(c.at(key), where, key);
}

/// c[key] as a pair of size options ([h, w]) when present.
inline void json_pair_opt(const nlohmann::json& c, const char* key, std::array<std::size_t, 2>& out,
                          const std::string& where) {
  if (!c.contains(key)) return;
  const auto& a = c.at(key);
  TFE_ENFORCE(a.is_array() && a.size() == 2, config_error, where, ": field '", key,
              "' must be a list of 2 integers, got ", a.dump());
  for (std::size_t i = 0; i < 2; ++i) out[i] = json_size(a[i], where, std::string(key) + "[" + std::to_string(i) + "]");
}

}  // namespace detail
}  // namespace tfe::keras
