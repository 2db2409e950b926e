// fuzz/fuzz_idx.cpp: libFuzzer target for the IDX reader (io/idx.hpp: plain or gzip-compressed
// files): the input is an IDX file, written to a scratch file of this process (the reader takes a
// path: zlib's gzread). Only tfe::file_error may be thrown; an accepted array must fit the input
// (at most max_deflate_ratio times its size when compressed).
#include "fuzz_common.hpp"

#include "tfe/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = tfe_fuzz::scratch_file(tfe_fuzz::bytes_of(data, size), ".idx");
  try {
    const xt::xarray<double> a = tfe::io::read_idx(path);
    tfe_fuzz::require(a.size() / tfe::io::max_deflate_ratio <= size, "an accepted IDX file larger than its input");
  } catch (const tfe::file_error&) {}
  try {
    (void)tfe::io::read_idx_u8(path, 2);
  } catch (const tfe::file_error&) {}
  return 0;
}
