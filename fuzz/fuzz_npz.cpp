// fuzz/fuzz_npz.cpp: libFuzzer target for the zip and .npz readers (io/npy.hpp, read_zip_bytes and
// load_npz_bytes; stored and deflated entries): the input is an archive. Only tfe::file_error may be
// thrown; the entries read back must survive write_zip and read_zip.
#include "fuzz_common.hpp"

#include "tfe/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = tfe_fuzz::bytes_of(data, size);
  try {
    const auto entries = tfe::io::read_zip_bytes(bytes, "fuzz.npz");
    std::size_t total = 0;
    for (const auto& e : entries) total += e.data.size();
    tfe_fuzz::require(total / tfe::io::max_deflate_ratio <= size, "zip entries larger than deflate can produce");
  } catch (const tfe::file_error&) {}
  try {
    (void)tfe::io::load_npz_bytes(bytes, "fuzz.npz");
  } catch (const tfe::file_error&) {}
  return 0;
}
