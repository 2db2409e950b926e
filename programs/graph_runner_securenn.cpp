// programs/graph_runner_securenn.cpp: run_graph under the registry's "securenn" (tfe::securenn<tfe::ring64>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/securenn/securenn.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::securenn<tfe::ring64>)
