// The two model file kinds behind one reader (tfe/onnx/model_file.hpp).
#include "tfe/onnx/model_file.hpp"

#include "tfe/nn/model_io.hpp"
#include "tfe/nn/to_graph.hpp"
#include "tfe/onnx/reader.hpp"

#include <fstream>

namespace tfe::graph {

saved_graph read_model_file_bytes(const std::string& bytes, const std::string& name) {
  if (!is_tfe_model_file(bytes)) return onnx::read_model_bytes(bytes, name);
  const auto m = keras::load_model_bytes(bytes, name);
  return keras::to_graph(m.arch, m.weights, name);
}

saved_graph read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, "cannot open for reading");
  std::string head(4, '\0');
  in.read(head.data(), 4);
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (!is_tfe_model_file(head)) return onnx::read_model(path);  // reads large files without a copy
  const auto m = keras::load_model_file(path);
  return keras::to_graph(m.arch, m.weights, path);
}

}  // namespace tfe::graph
