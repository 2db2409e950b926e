// programs/graph_runner_planning64.cpp: the planner's graph runs on ring64 (tfe::planning<tfe::ring64>).
#include "graph_runner_planning_impl.hpp"

template tfe::programs::graph_result tfe::programs::run_graph_planned<tfe::ring64>(const graph_request&,
                                                                                   const plan::cost_model&, double*,
                                                                                   plan::timeline*, double*);
