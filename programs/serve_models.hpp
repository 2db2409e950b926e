// programs/serve_models.hpp: the graph model of tfe_serve (and its test's plaintext reference),
// compiled once per protocol in serve_model_<protocol>.cpp (explicit instantiations, built in
// parallel and cached in the static library tfe_serve_models), so that tfe_serve.cpp itself compiles
// in seconds: every unit that includes this header uses those instantiations (extern template).
#pragma once

#include "tfe/graph/model.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"

#include <functional>
#include <string>

namespace tfe::programs {
/// What share_model's provider is in tfe_serve: runs at the model owner only.
using serve_model_provider = std::function<graph::saved_graph()>;
}  // namespace tfe::programs

#define TFE_SERVE_MODEL_DECLARE(KEYWORD, P)                                                              \
  KEYWORD template class tfe::graph::model<P>;                                                           \
  KEYWORD template tfe::graph::model<P> tfe::graph::share_model<P, tfe::programs::serve_model_provider>( \
      tfe::session<P>&, const std::string&, tfe::programs::serve_model_provider&&);

TFE_SERVE_MODEL_DECLARE(extern, tfe::aby3<tfe::ring64>)
TFE_SERVE_MODEL_DECLARE(extern, tfe::pond<tfe::ring64>)
TFE_SERVE_MODEL_DECLARE(extern, tfe::plain<tfe::ring64>)
