// programs/graph_runner_planning.hpp: run_graph under tfe::planning<R> with a cost model, for the
// planner (plan.cpp); compiled once per ring in graph_runner_planning<64|128>.cpp.
#pragma once

#include "graph_runner.hpp"

#include "tfe/plan/cost_model.hpp"

namespace tfe::programs {

/// The graph of `request` under planning<R> counting `model`'s traffic; with `product_seconds`, player
/// 0 evaluates the products on zeros and adds their time there; with `timeline`, player 0 adds every
/// hook's critical path there; with `local_seconds`, player 0 adds its CPU seconds between hooks there.
template <class R>
graph_result run_graph_planned(const graph_request& request, const plan::cost_model& model, double* product_seconds,
                               plan::timeline* timeline, double* local_seconds);

}  // namespace tfe::programs
