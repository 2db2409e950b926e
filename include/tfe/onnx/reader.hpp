// tfe/onnx/reader.hpp: reads ONNX model files (.onnx) and ONNX tensor files (.pb) into tfe's graph IR
// (tfe/graph/ir.hpp). The only compiled part of tfe: the CMake target tfe::onnx (library tfe_onnx,
// built when CMake finds ONNX and Protobuf; TFE_HAVE_ONNX says whether it was), linked with
// find_package(tfe COMPONENTS onnx). This header includes no ONNX or protobuf header, so its users
// need neither.
//
// Conversion rules (the reader checks the format only; which op types tfe runs is the op table's job):
//   opset        the version imported for the default domain ("" or "ai.onnx"); a model without one
//                is an error. A node in any other domain is an error naming the node, its domain and
//                its op type (ai.onnx.ml, custom ops, local functions).
//   inputs       the graph inputs that are not also initializers (old IR versions list initializers
//                among the inputs), with their dims: dim_value, or -1 for a dim_param or unknown
//                dimension; an input without a shape gets empty dims. An input must be a tensor of
//                a real type (float, double, float16, bfloat16) or of an integer or bool type
//                (tensor_spec::integer: token ids, indices; private integers at run time).
//   outputs      the graph outputs' names.
//   initializers and Constant nodes, by the privacy rule of ir.hpp: float tensors (FLOAT, DOUBLE,
//                FLOAT16, BFLOAT16) with more than one element are weights (graph.weights, values in
//                saved_graph.weights, same order); integer and bool tensors, and float tensors with
//                at most one element, are constants (graph.constants, array::integer for the integer
//                and bool types). A Constant node (value, value_float(s), value_int(s)) leaves the
//                node list and its output becomes a weight or constant by the same rule; its
//                sparse_value and value_string(s) are errors.
//   tensor data  raw_data (little-endian) or the typed fields (float_data, int32_data, which also
//                holds float16/bfloat16/bool/8- and 16-bit values, int64_data, double_data,
//                uint64_data); the number of values must equal the product of the dims. External
//                data, STRING and complex tensors are errors. At most max_graph_axes dims and
//                max_graph_elements elements per tensor.
//   attributes   INT, FLOAT, STRING, INTS, FLOATS, TENSOR map to attribute kinds integer, real, text,
//                integers, reals, tensor; GRAPH(S) (If/Loop/Scan), SPARSE_TENSOR(S), TYPE_PROTO(S),
//                STRINGS and TENSORS are errors naming the node and attribute.
//   names        a node without a name is called "<op_type>_<index>" (index in the file's node list).
//   source       graph.source is the path (read_model_bytes: the name given); the model's own name
//                and metadata are dropped.
// Limits: a file of at most 2 GiB (protobuf's own limit), max_graph_nodes nodes, names of at most
// max_graph_name bytes. Every error is a tfe::file_error whose message starts with the path and
// names the node, tensor, input or attribute at fault.
#pragma once

#include "tfe/graph/ir.hpp"
#include "tfe/io/file_error.hpp"

#include <string>

namespace tfe::onnx {

/// The graph and weights of the ONNX model in the file at `path`; throws file_error.
graph::saved_graph read_model(const std::string& path);

/// The same from the bytes of an .onnx file; `name` stands for the path in graph.source and errors.
graph::saved_graph read_model_bytes(const std::string& bytes, const std::string& name);

/// The values of a serialized TensorProto (the ONNX backend tests' test_data_set_*/input_*.pb and
/// output_*.pb), and whether its element type is an integer or bool type; throws file_error.
graph::array read_tensor_array(const std::string& path);

/// read_tensor_array(path).data.
xt::xarray<double> read_tensor(const std::string& path);

}  // namespace tfe::onnx
