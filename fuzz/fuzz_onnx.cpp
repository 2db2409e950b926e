// fuzz/fuzz_onnx.cpp: libFuzzer target for the ONNX reader (tfe::onnx::read_model_bytes, src/onnx/):
// the input is an .onnx file. Only tfe::file_error may be thrown; an accepted graph has one value
// per weight spec, of its dims.
#include "fuzz_common.hpp"

#include "tfe/onnx/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const tfe::graph::saved_graph g = tfe::onnx::read_model_bytes(tfe_fuzz::bytes_of(data, size), "fuzz.onnx");
    tfe_fuzz::require(g.g.weights.size() == g.weights.size(), "an accepted graph with weights unlike its specs");
    for (std::size_t i = 0; i < g.weights.size(); ++i)
      tfe_fuzz::require(g.g.weights[i].dims.size() == g.weights[i].dimension(), "an accepted weight of other dims");
  } catch (const tfe::file_error&) {}
  return 0;
}
