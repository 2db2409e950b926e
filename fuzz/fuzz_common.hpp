// fuzz/fuzz_common.hpp: what the libFuzzer targets of fuzz/ share: the input as a string, a check
// that aborts (a finding) when a property of a parsed value does not hold, and a per-process scratch
// file for the readers that only take a path.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tfe_fuzz {

inline std::string bytes_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// A property of an accepted input that must hold: its failure is a finding, like a crash.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

/// A file of this process's own ($TMPDIR or /tmp, named by the pid and `suffix`) holding `bytes`.
inline const std::string& scratch_file(const std::string& bytes, const std::string& suffix) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("tfe_fuzz_" + std::to_string(::getpid()) + suffix)).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  require(static_cast<bool>(out), "cannot write the scratch file");
  return path;
}

}  // namespace tfe_fuzz
