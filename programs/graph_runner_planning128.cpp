// programs/graph_runner_planning128.cpp: the planner's graph runs on ring128 (tfe::planning<tfe::ring128>).
#include "graph_runner_planning_impl.hpp"

template tfe::programs::graph_result tfe::programs::run_graph_planned<tfe::ring128>(const graph_request&,
                                                                                    const plan::cost_model&, double*,
                                                                                    plan::timeline*, double*);
