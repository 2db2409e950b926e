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

/// A file of this process's own holding `bytes`, named by the pid and `suffix`: in /dev/shm (memory)
/// when there is one, else in $TMPDIR or /tmp. Rewriting a file of a disk file system at every
/// execution is slow (ext4 flushes a truncated and rewritten file when it is closed).
inline const std::string& scratch_file(const std::string& bytes, const std::string& suffix) {
  static const std::string path = [&] {
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm", ec)
                                          ? std::filesystem::path("/dev/shm")
                                          : std::filesystem::temp_directory_path();
    return (dir / ("tfe_fuzz_" + std::to_string(::getpid()) + suffix)).string();
  }();
  static const struct remover {
    const std::string& file;
    ~remover() { std::remove(file.c_str()); }  // at exit (libFuzzer's time and run limits)
  } remove_at_exit{path};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  require(static_cast<bool>(out), "cannot write the scratch file");
  return path;
}

}  // namespace tfe_fuzz
