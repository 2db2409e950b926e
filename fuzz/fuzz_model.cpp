// fuzz/fuzz_model.cpp: libFuzzer target for the model file reader (nn/model_io.hpp, load_model_bytes:
// a zip archive with architecture.json and the weights as .npy entries). Only the documented
// exceptions may be thrown: tfe::file_error, tfe::shape_error, tfe::config_error. An accepted model
// has one weight per weight spec of its architecture, of its shape.
#include "fuzz_common.hpp"

#include "tfe/nn/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const tfe::keras::saved_model m = tfe::keras::load_model_bytes(tfe_fuzz::bytes_of(data, size), "fuzz.npz");
    const auto specs = tfe::keras::weight_specs(m.arch);
    tfe_fuzz::require(specs.size() == m.weights.size(), "an accepted model with a weight count unlike its specs");
    for (std::size_t i = 0; i < specs.size(); ++i)
      tfe_fuzz::require(tfe::shape_of(m.weights[i]) == specs[i].shape, "an accepted weight of the wrong shape");
  } catch (const tfe::file_error&) {
  } catch (const tfe::shape_error&) {
  } catch (const tfe::config_error&) {}
  return 0;
}
