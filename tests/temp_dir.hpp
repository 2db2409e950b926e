// tests/temp_dir.hpp: a scratch directory for a test's files, removed with everything in it when the
// test ends (one per process: the name carries the pid).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace tfe_test {

struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& prefix) {
    path = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace tfe_test
