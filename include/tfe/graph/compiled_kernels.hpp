// tfe/graph/compiled_kernels.hpp: the graph kernels of every registered protocol, compiled once.
//
// run_kernel<P> (op_table.hpp) is the dispatch to every ONNX kernel, and instantiating it compiles all of
// them for P: about 10 s per protocol at -O1 (g++ 12), in every unit that runs a graph::model<P>. A
// program or test of several such units includes this header and links tfe_graph_kernels
// (src/graph/kernels_<protocol>.cpp, one unit per registered protocol, built with tfe's programs and
// tests): the explicit instantiation declarations below tell the compiler that the kernels are
// compiled elsewhere, so a unit only compiles what it calls itself. Nothing changes at run time.
// Without the library the program fails to link (undefined tfe::graph::run_kernel<P>).
#pragma once

#include "tfe/graph/op_table.hpp"
#include "tfe/protocol/registry.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <vector>

/// Calls X(P) for every protocol of the registry (protocol/registry.hpp), the ones tfe_graph_kernels compiles.
// clang-format off
#define TFE_GRAPH_KERNEL_PROTOCOLS(X)                                       \
  X(::tfe::plain<::tfe::ring64>)    X(::tfe::plain<::tfe::ring128>)         \
  X(::tfe::pond<::tfe::ring64>)     X(::tfe::pond<::tfe::ring128>)          \
  X(::tfe::securenn<::tfe::ring64>) X(::tfe::securenn<::tfe::ring128>)      \
  X(::tfe::aby3<::tfe::ring64>)     X(::tfe::aby3<::tfe::ring128>)
// clang-format on

namespace tfe::graph::detail {
template <class... Ps>
struct kernel_protocol_list {};
#define TFE_GRAPH_KERNELS_LIST_ENTRY(P) P,
using compiled_kernel_protocols = kernel_protocol_list<TFE_GRAPH_KERNEL_PROTOCOLS(TFE_GRAPH_KERNELS_LIST_ENTRY) void>;
#undef TFE_GRAPH_KERNELS_LIST_ENTRY
template <class P, class... Ps>
constexpr bool kernels_compiled_for(kernel_protocol_list<Ps...>) {
  return (std::is_same_v<P, Ps> || ...);
}
template <class... Ps>
constexpr std::size_t kernel_protocol_count(kernel_protocol_list<Ps...>) {
  return sizeof...(Ps) - 1;  // without the closing void
}
// The list is the registry: a protocol added there (docs/extending.md) must be added here and get its
// src/graph/kernels_<name>.cpp.
static_assert(std::apply(
                  [](const auto&... e) {
                    return (kernels_compiled_for<typename std::remove_cvref_t<decltype(e)>::type>(
                                compiled_kernel_protocols{}) &&
                            ...);
                  },
                  ::tfe::detail::protocol_registry) &&
                  kernel_protocol_count(compiled_kernel_protocols{}) ==
                      std::tuple_size_v<std::remove_cvref_t<decltype(::tfe::detail::protocol_registry)>>,
              "TFE_GRAPH_KERNEL_PROTOCOLS must list exactly the protocols of protocol/registry.hpp");
}  // namespace tfe::graph::detail

#define TFE_GRAPH_KERNELS_EXTERN(P) \
  extern template std::vector<::tfe::graph::value<P>> tfe::graph::run_kernel<P>(::tfe::graph::op_context<P>&);
TFE_GRAPH_KERNEL_PROTOCOLS(TFE_GRAPH_KERNELS_EXTERN)
#undef TFE_GRAPH_KERNELS_EXTERN

/// In the library's units: compiles the kernels of P.
#define TFE_GRAPH_KERNELS_INSTANTIATE(P) \
  template std::vector<::tfe::graph::value<P>> tfe::graph::run_kernel<P>(::tfe::graph::op_context<P>&);
