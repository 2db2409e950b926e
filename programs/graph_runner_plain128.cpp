// programs/graph_runner_plain128.cpp: run_graph under the registry's "plain128" (tfe::plain<tfe::ring128>).
#include "graph_runner_impl.hpp"
#include "tfe/protocol/plain/plain.hpp"

TFE_GRAPH_RUNNER_INSTANTIATE(tfe::plain<tfe::ring128>)
