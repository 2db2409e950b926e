// programs/graph_runner_securenn128.cpp: run_graph under the registry's "securenn128" (tfe::securenn<tfe::ring128>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/securenn/securenn.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::securenn<tfe::ring128>)
