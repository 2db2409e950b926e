// programs/graph_runner_planning_impl.hpp: run_graph_planned<R> (included by graph_runner_planning<64|128>.cpp).
#pragma once

#include "graph_runner_impl.hpp"
#include "graph_runner_planning.hpp"

#include "tfe/plan/planning.hpp"

namespace tfe::programs {

template <class R>
graph_result run_graph_planned(const graph_request& rq, const plan::cost_model& model, double* product_seconds,
                               plan::timeline* timeline, double* local_seconds) {
  using P = planning<R>;
  return run_graph_prepared<P>(rq, [&](session<P>& s) {
    s.state().model = &model;
    if (s.id() == 0) {
      s.state().product_seconds = product_seconds;
      s.state().timeline = timeline;
      s.state().local_seconds = local_seconds;
    }
    // The protocol state's set-up (ABY3's streams), where the real session's constructor does it.
    auto scope = s.op_scope("setup");
    s.net().count_predicted(model.setup(s.num_players(), s.id()));
  });
}

}  // namespace tfe::programs
