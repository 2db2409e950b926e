// tfe/protocol/registry.hpp: the one table from protocol names to protocol types, for programs that
// pick the protocol at run time (the examples, benchmarks and tools take --protocol NAME):
//
//   tfe::with_protocol("aby3_128", [&]<class P>() { run<P>(...); });   // P = tfe::aby3<tfe::ring128>
//
// Names: plain, plain128, pond, pond128, securenn, securenn128, aby3, aby3_128 (ring64 unless the
// name says 128). Adding a protocol to the library means one line here (docs/extending.md). Every
// entry must satisfy the protocol concept, checked at compile time.
#pragma once

#include "tfe/config.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/protocol/securenn/securenn.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace tfe {

namespace detail {

template <class P>
struct registry_entry {
  static_assert(protocol<P>, "a registered protocol must satisfy tfe::protocol");
  using type = P;
  std::string_view name;
};

/// The table: name → type, in the order programs list them.
inline constexpr auto protocol_registry =
    std::make_tuple(registry_entry<plain<ring64>>{"plain"}, registry_entry<plain<ring128>>{"plain128"},
                    registry_entry<pond<ring64>>{"pond"}, registry_entry<pond<ring128>>{"pond128"},
                    registry_entry<securenn<ring64>>{"securenn"}, registry_entry<securenn<ring128>>{"securenn128"},
                    registry_entry<aby3<ring64>>{"aby3"}, registry_entry<aby3<ring128>>{"aby3_128"});

}  // namespace detail

/// The registered protocol names, in table order.
inline std::vector<std::string> protocol_names() {
  std::vector<std::string> out;
  std::apply([&](const auto&... e) { (out.emplace_back(e.name), ...); }, detail::protocol_registry);
  return out;
}

/// "plain, plain128, pond, ...": for messages.
inline std::string protocol_names_str() {
  std::string s;
  for (const auto& n : protocol_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// Calls f.template operator()<P>() with the protocol registered as `name` and returns its result
/// (f must return the same type for every protocol). An unknown name is a config_error listing the
/// known ones. Every registered protocol is instantiated in f, whichever name is given.
template <class F>
decltype(auto) with_protocol(const std::string& name, F&& f) {
  using result = decltype(f.template operator()<plain<ring64>>());
  if constexpr (std::is_void_v<result>) {
    bool found = false;
    std::apply(
        [&](const auto&... e) {
          ((void)(!found && e.name == name
                      ? (f.template operator()<typename std::decay_t<decltype(e)>::type>(), found = true)
                      : false),
           ...);
        },
        detail::protocol_registry);
    TFE_ENFORCE(found, config_error, "unknown protocol '", name, "' (known: ", protocol_names_str(), ")");
  } else {
    std::optional<result> out;
    std::apply(
        [&](const auto&... e) {
          ((void)(!out && e.name == name
                      ? (out.emplace(f.template operator()<typename std::decay_t<decltype(e)>::type>()), true)
                      : false),
           ...);
        },
        detail::protocol_registry);
    TFE_ENFORCE(out.has_value(), config_error, "unknown protocol '", name, "' (known: ", protocol_names_str(), ")");
    return result(std::move(*out));
  }
}

}  // namespace tfe
