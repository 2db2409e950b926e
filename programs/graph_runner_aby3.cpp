// programs/graph_runner_aby3.cpp: run_graph under the registry's "aby3" (tfe::aby3<tfe::ring64>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/aby3/aby3.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::aby3<tfe::ring64>)
