// programs/graph_runner.cpp: run_graph's dispatch from the protocol's name (the registry's names) to
// the instantiation compiled in graph_runner_<protocol>.cpp.
#include "graph_runner.hpp"

#include "tfe/protocol/registry.hpp"

namespace tfe::programs {

// Defined in graph_runner_impl.hpp, instantiated once per protocol in graph_runner_<protocol>.cpp.
template <protocol P>
graph_result run_graph_as(const graph_request&);
template <protocol P>
std::vector<std::string> graph_players_of();

std::vector<std::string> graph_players(const std::string& protocol) {
  return with_protocol(protocol, []<class P>() { return graph_players_of<P>(); });
}

graph_result run_graph(const graph_request& request) {
  return with_protocol(request.protocol, [&]<class P>() { return run_graph_as<P>(request); });
}

}  // namespace tfe::programs
