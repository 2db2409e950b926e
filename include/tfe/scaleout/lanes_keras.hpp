// tfe/scaleout/lanes_keras.hpp: Keras-like models over a party's lanes (docs/scaleout.md).
//
//   auto model = tfe::scaleout::share_model_once(lanes, s, "model-owner", [&] { return load_model_file(f); });
//   tfe::scaleout::broadcast_weights(lanes, s, model);       // weights set in lane 0 only (initialize)
//   tfe::scaleout::sum_gradients_over_lanes(lanes, model);   // data-parallel training
//
// share_model_once: the owner shares the model once, in lane 0's MPC instance (keras::share_model:
// the architecture as public JSON, the weights as the owner's private inputs); then every party's
// lane 0 broadcasts the architecture and its shares of the weights to the party's other lanes, which
// use them in their own instances. MPC cost: that of one share_model in lane 0, none in the others.
// Party-internal cost: (K − 1)·(architecture bytes + Σ weights n·b per share part).
//
// sum_gradients_over_lanes: from then on, every train_on_batch of the model sums the lanes' gradient
// shares (allreduce_sum: Σ_lanes share(g_lane) is a share of Σ_lanes g_lane, the gradient of the
// union of the lanes' batches) and the example counts, before the optimizer. Every lane then applies
// the same update to the same shares, so the lanes' weights stay equal. Party-internal cost per step:
// 2·(K − 1)·(trainable parameters)·b per share part, plus 2·(K − 1)·8 bytes for the example count.
// With K = 1 it is the ordinary training on the lane's batch; with K lanes it is the training on the
// union of the batches, up to the fixed-point error of a different summation order (each lane
// truncates its own partial sums).
#pragma once

#include "tfe/nn/model_io.hpp"
#include "tfe/nn/sequential.hpp"
#include "tfe/scaleout/lanes.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace tfe::scaleout {

/// Lane 0's shares of every weight of `model` copied to the party's other lanes, which assign them
/// (nothing is sent between parties). Party-internal cost: (K − 1)·Σ_weights n·b per share part.
template <class P>
void broadcast_weights(party_lanes& lanes, session<P>& s, keras::Sequential<P>& model) {
  std::vector<private_tensor<P>> weights;
  for (auto* v : model.variables()) {
    private_tensor<P> w = lanes.lane() == 0 ? v->value : private_tensor<P>{};
    lanes.broadcast(s, w, "weight " + v->name);
    weights.push_back(std::move(w));
  }
  if (lanes.lane() != 0) model.assign_weights(std::move(weights));
}

/// The model of `owner` (provider runs at lane 0 of the owner only), shared in lane 0's MPC instance
/// and broadcast to every lane of every party (see the top of this header).
template <class P, class F>
keras::Sequential<P> share_model_once(party_lanes& lanes, session<P>& s, const std::string& owner, F&& provider) {
  std::optional<keras::Sequential<P>> lane0;
  std::string arch;
  if (lanes.lane() == 0) {
    lane0.emplace(keras::share_model(s, owner, std::forward<F>(provider)));
    arch = keras::to_json(keras::resolve_names(lane0->arch())).dump();
  }
  lanes.broadcast_string(arch, "model architecture");
  keras::Sequential<P> model =
      lane0 ? std::move(*lane0)
            : keras::Sequential<P>(s, keras::architecture_from_json(nlohmann::json::parse(arch),
                                                                    "architecture from lane 0 of " + lanes.player()));
  broadcast_weights(lanes, s, model);
  return model;
}

/// Makes every train_on_batch of `model` sum the gradients and example counts over the lanes (see
/// the top of this header). `lanes` must outlive the model's training.
template <class P>
void sum_gradients_over_lanes(party_lanes& lanes, keras::Sequential<P>& model) {
  model.set_gradient_hook([&lanes](const std::vector<keras::variable<P>*>& vars, std::size_t examples) {
    for (auto* v : vars) lanes.allreduce_sum(v->grad, "gradient of " + v->name);
    ring_tensor<ring64> count = {static_cast<ring64>(examples)};
    lanes.allreduce_sum(count, "example count");
    return static_cast<std::size_t>(count(0));
  });
}

}  // namespace tfe::scaleout
