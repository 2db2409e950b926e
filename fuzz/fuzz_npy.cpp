// fuzz/fuzz_npy.cpp: libFuzzer target for the .npy reader (io/npy.hpp, from_npy): the input is a .npy
// file. Only tfe::file_error may be thrown; an accepted array must fit the bytes of the input.
#include "fuzz_common.hpp"

#include "tfe/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const xt::xarray<double> a = tfe::io::from_npy(tfe_fuzz::bytes_of(data, size), "fuzz.npy");
    tfe_fuzz::require(a.size() <= size, "an accepted .npy holds more elements than its bytes");
  } catch (const tfe::file_error&) {}
  return 0;
}
