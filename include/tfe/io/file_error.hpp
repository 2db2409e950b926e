// tfe/io/file_error.hpp: the exception of tfe's file readers and writers (io/idx.hpp, io/npy.hpp,
// nn/model_io.hpp). Its message always names the file and what is wrong with it.
#pragma once

#include "tfe/config.hpp"

#include <string>

namespace tfe {

/// A file that cannot be opened, read or written, or whose contents are malformed (bad magic,
/// truncated data, unsupported type, missing entry, ...). what() starts with the file's path.
class file_error : public error {
 public:
  file_error(const std::string& path, const std::string& problem) : error(path + ": " + problem), m_path(path) {}
  const std::string& path() const { return m_path; }
  const char* kind() const noexcept override { return "tfe::file_error"; }

 private:
  std::string m_path;
};

}  // namespace tfe
