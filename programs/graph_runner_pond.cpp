// programs/graph_runner_pond.cpp: run_graph under the registry's "pond" (tfe::pond<tfe::ring64>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/pond/pond.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::pond<tfe::ring64>)
