// tfe/onnx/model_file.hpp: a model file of either kind as a graph: an ONNX file (.onnx, read by
// onnx/reader.hpp) or a tfe model file (the .npz archive of nn/model_io.hpp: a Keras-like Sequential
// architecture and its weights, converted by nn/to_graph.hpp). The programs that run a model
// (tfe_predict, tfe_plan, tfe_serve) and Python's tfe.predict read models through it.
//
// The kind is told by content, not by the name: a zip archive (it starts with "PK\3\4") is a tfe model
// file, anything else is parsed as ONNX. Errors are the readers' own: file_error naming the file (not
// found, not a model, a missing architecture entry, ...), shape_error / config_error naming the file
// and the layer. Compiled in tfe::onnx (src/onnx/model_file.cpp), like onnx/reader.hpp.
#pragma once

#include "tfe/graph/ir.hpp"

#include <string>

namespace tfe::graph {

/// Whether `bytes` (a file's content, or at least its first 4 bytes) are a tfe model file (a zip
/// archive) rather than an ONNX file.
inline bool is_tfe_model_file(const std::string& bytes) { return bytes.rfind("PK\x03\x04", 0) == 0; }

/// The graph of the model file at `path` (.onnx or a tfe model file).
saved_graph read_model_file(const std::string& path);

/// The graph of the model whose file content is `bytes`; `name` stands for the path in errors.
saved_graph read_model_file_bytes(const std::string& bytes, const std::string& name);

}  // namespace tfe::graph
