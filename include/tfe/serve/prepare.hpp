// tfe/serve/prepare.hpp: rewrites a shared model once, before serving, so that every batch does less.
//
// PyTorch exports a Linear layer as Gemm with transB = 1 and the weight stored (out, in): the Gemm
// kernel then transposes the weight's shares (a strided copy of the whole weight, per component) in
// every predict — for the Fashion-MNIST MLP that copy was most of a small batch's time. Here each such
// weight used by that one Gemm only is transposed once, locally (a transpose of shares is a transpose
// of the value: no communication, no new randomness), and the node gets transB = 0. The predictions
// are the same bit for bit.
#pragma once

#include "tfe/graph/model.hpp"

#include <map>
#include <string>

namespace tfe::serve {

template <class P>
graph::model<P> pretranspose_gemm_weights(session<P>& s, graph::model<P>& m) {
  graph::graph g = m.spec();
  std::map<std::string, std::size_t> uses;
  for (const auto& n : g.nodes)
    for (const auto& in : n.inputs) ++uses[in];
  auto weights = m.weights();
  for (auto& n : g.nodes) {
    if (n.op_type != "Gemm" || n.get_int("transB", 0) == 0 || !n.has_input(1)) continue;
    const std::string& w = n.inputs[1];
    auto it = weights.find(w);
    if (it == weights.end() || uses[w] != 1 || it->second.shape().size() != 2) continue;
    std::vector<ring_tensor<typename P::ring>> parts;
    for (const auto& p : it->second.parts()) parts.emplace_back(xt::transpose(p));
    const shape_t shape{it->second.shape()[1], it->second.shape()[0]};
    it->second = private_tensor<P>(s, shape, std::move(parts));
    for (auto& spec : g.weights)
      if (spec.name == w) std::swap(spec.dims[0], spec.dims[1]);
    n.attributes["transB"].i = 0;
  }
  graph::model<P> out(s, std::move(g));
  out.weights() = std::move(weights);
  return out;
}

}  // namespace tfe::serve
