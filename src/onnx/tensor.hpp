// src/onnx/tensor.hpp (private to tfe_onnx): the pieces reader.cpp and tensor.cpp share. Each
// error names the file (`path`) and what is being read (`what`: "initializer 'w'", "node 'c'
// (Constant) attribute 'value'", ...), see tfe/onnx/reader.hpp for the rules.
#pragma once

#include "tfe/graph/ir.hpp"
#include "tfe/io/file_error.hpp"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace tfe::onnx::detail {

/// Throws file_error(path, what + ": " + problem).
[[noreturn]] void fail(const std::string& path, const std::string& what, const std::string& problem);

/// The float value of IEEE half-precision bits (subnormals, infinities and NaN included).
float half_to_float(std::uint16_t h);
/// The float value of bfloat16 bits.
float bfloat16_to_float(std::uint16_t b);

/// FLOAT, DOUBLE, FLOAT16, BFLOAT16.
bool is_float_type(int data_type);
/// The integer and bool types tfe reads (INT8 ... UINT64, BOOL).
bool is_integer_type(int data_type);
/// "FLOAT", "INT64", ... (or the number of an unknown type).
std::string type_name(int data_type);

/// The values of a tensor, checked (type, external data, dims, element count, limits).
graph::array to_array(const ::onnx::TensorProto& t, const std::string& path, const std::string& what);

/// Parses `bytes` into `message` (no 64 MiB limit); false when they do not parse.
bool parse(const std::string& bytes, google::protobuf::MessageLite& message);

/// The contents of a file of at most 2 GiB; file_error if it cannot be read or is larger.
std::string read_file(const std::string& path);

}  // namespace tfe::onnx::detail
