// programs/graph_runner_pond128.cpp: run_graph under the registry's "pond128" (tfe::pond<tfe::ring128>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/pond/pond.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::pond<tfe::ring128>)
