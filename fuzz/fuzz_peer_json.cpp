// fuzz/fuzz_peer_json.cpp: libFuzzer target for the JSON a model owner sends its peers: the first
// byte picks the reader (even: a graph, graph::graph_from_json; odd: a Keras architecture,
// keras::architecture_from_json, then its names and shapes), the rest is the JSON text. Text that
// is not JSON is skipped (nlohmann's parser is not tfe's). Only tfe::config_error (and shape_error
// from an architecture's shapes) may be thrown; an accepted graph survives its own to_json.
#include "fuzz_common.hpp"

#include "tfe/graph/ir.hpp"
#include "tfe/nn/specs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const nlohmann::json j = nlohmann::json::parse(data + 1, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    if (data[0] % 2 == 0) {
      const tfe::graph::graph g = tfe::graph::graph_from_json(j, "peer");
      const tfe::graph::graph back = tfe::graph::graph_from_json(tfe::graph::to_json(g), "peer");
      tfe_fuzz::require(back.nodes.size() == g.nodes.size() && back.inputs.size() == g.inputs.size() &&
                            back.weights.size() == g.weights.size() && back.constants.size() == g.constants.size(),
                        "an accepted graph does not survive its own JSON");
    } else {
      const auto a = tfe::keras::resolve_names(tfe::keras::architecture_from_json(j, "peer"));
      (void)tfe::keras::infer_shapes(a);
      (void)tfe::keras::weight_specs(a);
    }
  } catch (const tfe::config_error&) {
  } catch (const tfe::shape_error&) {}
  return 0;
}
