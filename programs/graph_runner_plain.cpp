// programs/graph_runner_plain.cpp: run_graph under the registry's "plain" (tfe::plain<tfe::ring64>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/plain/plain.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::plain<tfe::ring64>)
