// src/onnx/tensor.cpp: ONNX TensorProto -> tfe::graph::array (raw_data or typed fields, float16 and
// bfloat16, the element-count and size checks), the protobuf parse without the 64 MiB limit, the
// file read, and read_tensor / read_tensor_array (the backend tests' .pb files). The model-level
// rules are in reader.cpp; all of them are listed in tfe/onnx/reader.hpp.
#include "tensor.hpp"

#include "tfe/onnx/reader.hpp"

#include <google/protobuf/io/coded_stream.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

namespace tfe::onnx::detail {

using ::onnx::TensorProto;

void fail(const std::string& path, const std::string& what, const std::string& problem) {
  throw file_error(path, what.empty() ? problem : what + ": " + problem);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h >> 15) << 31;
  std::uint32_t exponent = (h >> 10) & 0x1f;
  std::uint32_t mantissa = h & 0x3ff;
  std::uint32_t bits;
  if (exponent == 0x1f) {  // infinity or NaN
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // zero
    bits = sign;
  } else {  // subnormal: normalize
    exponent = 127 - 15 + 1;
    while ((mantissa & 0x400) == 0) mantissa <<= 1, --exponent;
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bfloat16_to_float(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

bool is_float_type(int t) {
  return t == TensorProto::FLOAT || t == TensorProto::DOUBLE || t == TensorProto::FLOAT16 || t == TensorProto::BFLOAT16;
}

bool is_integer_type(int t) {
  switch (t) {
    case TensorProto::INT8:
    case TensorProto::INT16:
    case TensorProto::INT32:
    case TensorProto::INT64:
    case TensorProto::UINT8:
    case TensorProto::UINT16:
    case TensorProto::UINT32:
    case TensorProto::UINT64:
    case TensorProto::BOOL:
      return true;
    default:
      return false;
  }
}

std::string type_name(int t) {
  if (::onnx::TensorProto_DataType_IsValid(t)) return ::onnx::TensorProto_DataType_Name(t);
  return "type " + std::to_string(t);
}

namespace {

/// Bytes per value in raw_data.
std::size_t element_size(int t) {
  switch (t) {
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return 1;
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      return 2;
    case TensorProto::INT32:
    case TensorProto::UINT32:
    case TensorProto::FLOAT:
      return 4;
    default:  // INT64, UINT64, DOUBLE
      return 8;
  }
}

/// One value of type `t` from its bits (the low element_size(t) bytes of `bits`).
double from_bits(int t, std::uint64_t bits) {
  switch (t) {
    case TensorProto::INT8:
      return static_cast<std::int8_t>(bits);
    case TensorProto::INT16:
      return static_cast<std::int16_t>(bits);
    case TensorProto::INT32:
      return static_cast<std::int32_t>(bits);
    case TensorProto::INT64:
      return static_cast<double>(static_cast<std::int64_t>(bits));
    case TensorProto::UINT8:
    case TensorProto::UINT16:
    case TensorProto::UINT32:
      return static_cast<double>(bits);
    case TensorProto::UINT64:
      return static_cast<double>(bits);
    case TensorProto::BOOL:
      return (bits & 0xff) != 0 ? 1.0 : 0.0;
    case TensorProto::FLOAT16:
      return half_to_float(static_cast<std::uint16_t>(bits));
    case TensorProto::BFLOAT16:
      return bfloat16_to_float(static_cast<std::uint16_t>(bits));
    case TensorProto::FLOAT: {
      const auto b = static_cast<std::uint32_t>(bits);
      float f;
      std::memcpy(&f, &b, sizeof f);
      return f;
    }
    default: {  // DOUBLE
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
  }
}

/// The number of values in the typed field that holds a tensor of the type of `t` (no raw_data), and
/// the field's name.
std::pair<std::size_t, const char*> typed_field_size(const TensorProto& t) {
  switch (t.data_type()) {
    case TensorProto::FLOAT:
      return {static_cast<std::size_t>(t.float_data_size()), "float_data"};
    case TensorProto::DOUBLE:
      return {static_cast<std::size_t>(t.double_data_size()), "double_data"};
    case TensorProto::INT64:
      return {static_cast<std::size_t>(t.int64_data_size()), "int64_data"};
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      return {static_cast<std::size_t>(t.uint64_data_size()), "uint64_data"};
    default:  // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16
      return {static_cast<std::size_t>(t.int32_data_size()), "int32_data"};
  }
}

}  // namespace

graph::array to_array(const TensorProto& t, const std::string& path, const std::string& what) {
  const int dt = t.data_type();
  if (t.data_location() == TensorProto::EXTERNAL || t.external_data_size() > 0)
    fail(path, what,
         "stores its data in an external file (external data is not supported; save the model with the "
         "weights inside the .onnx file)");
  if (dt == TensorProto::STRING) fail(path, what, "string tensors are not supported");
  if (dt == TensorProto::COMPLEX64 || dt == TensorProto::COMPLEX128)
    fail(path, what, "complex tensors are not supported");
  if (!is_float_type(dt) && !is_integer_type(dt)) fail(path, what, "unsupported element type " + type_name(dt));
  if (static_cast<std::size_t>(t.dims_size()) > graph::max_graph_axes)
    fail(
        path, what,
        "a tensor of " + std::to_string(t.dims_size()) + " axes (limit " + std::to_string(graph::max_graph_axes) + ")");

  shape_t shape;
  std::vector<std::int64_t> dims(t.dims().begin(), t.dims().end());
  std::size_t n = 1;
  for (std::int64_t d : dims) {
    if (d < 0) fail(path, what, "a negative dimension in dims " + graph::dims_str(dims));
    if (static_cast<std::uint64_t>(d) > graph::max_graph_elements ||
        n * static_cast<std::size_t>(d) > graph::max_graph_elements)
      fail(path, what,
           "dims " + graph::dims_str(dims) + " exceed the limit of " + std::to_string(graph::max_graph_elements) +
               " elements");
    n *= static_cast<std::size_t>(d);
    shape.push_back(static_cast<std::size_t>(d));
  }

  auto mismatch = [&](std::size_t got, const char* field) {
    fail(path, what,
         "shape mismatch: dims " + graph::dims_str(dims) + " need " + std::to_string(n) + " values, " + field +
             " holds " + std::to_string(got));
  };
  // The values present are counted before anything is allocated: dims may promise up to
  // max_graph_elements values (2 GiB of doubles) in a tensor of a few bytes.
  const std::size_t size = element_size(dt);
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != n * size) {
      if (raw.size() % size != 0)
        fail(path, what,
             "shape mismatch: raw_data of " + std::to_string(raw.size()) + " bytes is not a whole number of " +
                 std::to_string(size) + "-byte " + type_name(dt) + " values (dims " + graph::dims_str(dims) + " need " +
                 std::to_string(n) + ")");
      mismatch(raw.size() / size, "raw_data");
    }
  } else {
    const auto [got, field] = typed_field_size(t);
    if (got != n) mismatch(got, field);
  }

  graph::array a;
  a.integer = is_integer_type(dt);
  a.data = xt::xarray<double>::from_shape(shape);
  if (t.has_raw_data()) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.raw_data().data());
    for (std::size_t i = 0; i < n; ++i, p += size) {
      std::uint64_t bits = 0;
      for (std::size_t b = 0; b < size; ++b) bits |= std::uint64_t(p[b]) << (8 * b);  // little-endian
      a.data.flat(i) = from_bits(dt, bits);
    }
    return a;
  }

  auto copy = [&](const auto& field, auto convert) {
    for (std::size_t i = 0; i < n; ++i) a.data.flat(i) = convert(field.Get(static_cast<int>(i)));
  };
  switch (dt) {
    case TensorProto::FLOAT:
      copy(t.float_data(), [](float v) { return double(v); });
      break;
    case TensorProto::DOUBLE:
      copy(t.double_data(), [](double v) { return v; });
      break;
    case TensorProto::INT64:
      copy(t.int64_data(), [](std::int64_t v) { return double(v); });
      break;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      copy(t.uint64_data(), [](std::uint64_t v) { return double(v); });
      break;
    default:  // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16: int32_data
      copy(t.int32_data(), [dt](std::int32_t v) {
        if (dt == TensorProto::INT32) return double(v);
        return from_bits(dt, static_cast<std::uint32_t>(v));
      });
      break;
  }
  return a;
}

bool parse(const std::string& bytes, google::protobuf::MessageLite& message) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(INT_MAX);
  return message.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "", "cannot read: a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "", std::string("cannot open (") + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path, "", "cannot read (not a regular file?)");
  if (size > static_cast<std::streamoff>(INT_MAX))
    fail(path, "",
         "a file of " + std::to_string(size) +
             " bytes; ONNX files are limited to 2 GiB (protobuf's limit; larger "
             "models need external data, which is not supported)");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0, std::ios::beg);
  in.read(bytes.data(), size);
  if (in.gcount() != size) fail(path, "", "cannot read (a read error or the file changed while being read)");
  return bytes;
}

}  // namespace tfe::onnx::detail

namespace tfe::onnx {

graph::array read_tensor_array(const std::string& path) {
  const std::string bytes = detail::read_file(path);
  ::onnx::TensorProto t;
  if (!detail::parse(bytes, t))
    detail::fail(path, "", "not a valid ONNX tensor (the TensorProto does not parse; truncated or not a .pb file)");
  return detail::to_array(t, path, "tensor '" + t.name() + "'");
}

xt::xarray<double> read_tensor(const std::string& path) { return read_tensor_array(path).data; }

}  // namespace tfe::onnx
