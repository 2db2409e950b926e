// tests/test_onnx_reader.cpp: tfe::onnx (tfe/onnx/reader.hpp). Models are built here with the ONNX
// protobuf API, written to a scratch directory and read back: inputs, outputs and dims, the
// weights/constants split of initializers and Constant nodes, raw and typed tensor data, float16,
// attributes, and one error case per rule (each message must name the file and the node, tensor or
// input at fault). Then a real model and tensor of the ONNX backend tests (libonnx-testdata).
#include "tfe/onnx/reader.hpp"

#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using tfe_test::temp_dir;

onnx::ModelProto base_model(std::int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

// dims: -1 is a symbolic dimension ("N").
void add_input(onnx::GraphProto* g, const std::string& name, int elem_type, const std::vector<std::int64_t>& dims) {
  auto* in = g->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (auto d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, std::initializer_list<std::string> inputs,
                          std::initializer_list<std::string> outputs, const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& s : inputs) n->add_input(s);
  for (const auto& s : outputs) n->add_output(s);
  return n;
}

void set_dims(onnx::TensorProto* t, const std::vector<std::int64_t>& dims) {
  for (auto d : dims) t->add_dims(d);
}

onnx::TensorProto* add_floats(onnx::GraphProto* g, const std::string& name, const std::vector<std::int64_t>& dims,
                              const std::vector<float>& values, bool raw) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  set_dims(t, dims);
  if (raw) {
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  } else {
    for (float v : values) t->add_float_data(v);
  }
  return t;
}

onnx::TensorProto* add_raw(onnx::GraphProto* g, const std::string& name, int type,
                           const std::vector<std::int64_t>& dims, const std::vector<unsigned char>& bytes) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  set_dims(t, dims);
  t->set_raw_data(std::string(bytes.begin(), bytes.end()));
  return t;
}

onnx::AttributeProto* add_attr(onnx::NodeProto* n, const std::string& name, onnx::AttributeProto::AttributeType t) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(t);
  return a;
}

std::string write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::string write_model(const temp_dir& dir, const std::string& name, const onnx::ModelProto& m) {
  return write_bytes(dir.file(name), m.SerializeAsString());
}

// f() throws tfe::file_error whose message holds every one of `parts`.
void check_file_error(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  bool thrown = false;
  try {
    f();
  } catch (const tfe::file_error& e) {
    thrown = true;
    const std::string msg = e.what();
    for (const auto& p : parts) CHECK_MESSAGE(msg.find(p) != std::string::npos, "'", p, "' not in: ", msg);
  }
  CHECK_MESSAGE(thrown, "no tfe::file_error");
}

// A model using most of the format: an input with a symbolic batch size, float initializers (raw and
// float_data), integer initializers, a float scalar, three Constant nodes, attributes of every kind.
onnx::ModelProto full_model() {
  auto m = base_model(13);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {-1, 4});
  add_input(g, "W", onnx::TensorProto::FLOAT, {4, 3});  // old IR: initializers among the inputs
  std::vector<float> w(12);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5f * float(i) - 2.0f;
  add_floats(g, "W", {4, 3}, w, true);
  add_floats(g, "B", {3}, {0.25f, -1.5f, 3.0f}, false);
  add_floats(g, "scale", {}, {0.125f}, false);
  auto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  set_dims(shape, {2});
  shape->add_int64_data(-1);
  shape->add_int64_data(3);
  add_node(g, "MatMul", {"x", "W"}, {"h"}, "mm");
  add_node(g, "Add", {"h", "B"}, {"y"});  // unnamed: Add_1
  auto* c = add_node(g, "Constant", {}, {"c_ints"});
  auto* ci = add_attr(c, "value_ints", onnx::AttributeProto::INTS);
  ci->add_ints(1), ci->add_ints(2);
  auto* cf = add_node(g, "Constant", {}, {"c_floats"}, "cf");
  auto* cfa = add_attr(cf, "value_floats", onnx::AttributeProto::FLOATS);
  cfa->add_floats(1.5f), cfa->add_floats(2.5f);
  auto* cs = add_node(g, "Constant", {}, {"c_scalar"});
  add_attr(cs, "value_float", onnx::AttributeProto::FLOAT)->set_f(0.75f);
  auto* r = add_node(g, "Reshape", {"y", "shape"}, {"z"});
  auto* gemm = add_node(g, "Gemm", {"z", "W", ""}, {"out"}, "gemm");
  add_attr(gemm, "alpha", onnx::AttributeProto::FLOAT)->set_f(0.5f);
  add_attr(gemm, "transB", onnx::AttributeProto::INT)->set_i(1);
  add_attr(gemm, "mode", onnx::AttributeProto::STRING)->set_s("constant");
  auto* perm = add_attr(gemm, "perm", onnx::AttributeProto::INTS);
  perm->add_ints(0), perm->add_ints(1);
  add_attr(gemm, "scales", onnx::AttributeProto::FLOATS)->add_floats(2.0f);
  auto* t = add_attr(gemm, "value", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(onnx::TensorProto::INT32);
  set_dims(t, {1});
  t->add_int32_data(7);
  (void)r;
  g->add_output()->set_name("out");
  return m;
}

}  // namespace

TEST_CASE("onnx reader: inputs, outputs, weights, constants, Constant nodes and attributes") {
  temp_dir dir("tfe_onnx_reader");
  const std::string path = write_model(dir, "full.onnx", full_model());
  const auto saved = tfe::onnx::read_model(path);
  const auto& g = saved.g;
  CHECK(g.source == path);
  CHECK(g.opset == 13);
  REQUIRE(g.inputs.size() == 1);  // W is an initializer
  CHECK(g.inputs[0].name == "x");
  CHECK(g.inputs[0].dims == std::vector<std::int64_t>{-1, 4});
  CHECK(g.outputs == std::vector<std::string>{"out"});

  // Weights: float tensors of more than one element, initializers first, then the Constant nodes.
  REQUIRE(g.weights.size() == 3);
  REQUIRE(saved.weights.size() == 3);
  CHECK(g.weights[0].name == "W");
  CHECK(g.weights[0].dims == std::vector<std::int64_t>{4, 3});
  CHECK(g.weights[1].name == "B");
  CHECK(g.weights[2].name == "c_floats");
  CHECK(saved.weights[0](1, 2) == doctest::Approx(0.5 * 5 - 2.0));
  CHECK(saved.weights[0](3, 0) == doctest::Approx(0.5 * 9 - 2.0));
  CHECK(saved.weights[1](1) == -1.5);
  CHECK(saved.weights[2](1) == 2.5);

  // Constants: integer tensors and float scalars.
  REQUIRE(g.constants.size() == 4);
  CHECK(g.constants.at("shape").integer);
  CHECK(g.constants.at("shape").data(0) == -1);
  CHECK(g.constants.at("shape").data(1) == 3);
  CHECK_FALSE(g.constants.at("scale").integer);
  CHECK(g.constants.at("scale").data.dimension() == 0);
  CHECK(g.constants.at("scale").data() == 0.125);
  CHECK(g.constants.at("c_ints").integer);
  CHECK(g.constants.at("c_ints").data(1) == 2);
  CHECK(g.constants.at("c_scalar").data() == 0.75);

  // The Constant nodes are gone; unnamed nodes are named after their op type and index.
  REQUIRE(g.nodes.size() == 4);
  CHECK(g.nodes[0].name == "mm");
  CHECK(g.nodes[1].name == "Add_1");
  CHECK(g.nodes[2].name == "Reshape_5");
  CHECK(g.nodes[2].inputs == std::vector<std::string>{"y", "shape"});
  const auto& gemm = g.nodes[3];
  CHECK(gemm.inputs == std::vector<std::string>{"z", "W", ""});
  CHECK_FALSE(gemm.has_input(2));
  CHECK(gemm.get_float("alpha", 1) == 0.5);
  CHECK(gemm.get_int("transB", 0) == 1);
  CHECK(gemm.get_string("mode", "") == "constant");
  CHECK(gemm.get_ints("perm") == std::vector<std::int64_t>{0, 1});
  CHECK(gemm.get_floats("scales") == std::vector<double>{2.0});
  const auto& t = gemm.get("value", tfe::graph::attribute::kind::tensor).t;
  CHECK(t.integer);
  CHECK(t.data(0) == 7);

  // The same from memory: the name stands for the path.
  std::string bytes;
  REQUIRE(full_model().SerializeToString(&bytes));
  const auto mem = tfe::onnx::read_model_bytes(bytes, "in-memory.onnx");
  CHECK(mem.g.source == "in-memory.onnx");
  CHECK(mem.g.nodes.size() == 4);
  CHECK(tfe::graph::to_json(mem.g)["nodes"] == tfe::graph::to_json(g)["nodes"]);
}

TEST_CASE("onnx reader: raw and typed data of every element type, float16 and bfloat16") {
  temp_dir dir("tfe_onnx_types");
  auto m = base_model();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT16, {2});
  // float16 in int32_data: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), +inf, -0.
  auto* h = g->add_initializer();
  h->set_name("half_typed");
  h->set_data_type(onnx::TensorProto::FLOAT16);
  set_dims(h, {6});
  for (int bits : {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000}) h->add_int32_data(bits);
  add_raw(g, "half_raw", onnx::TensorProto::FLOAT16, {2}, {0x00, 0x38, 0x55, 0x35});  // 0.5, 0x3555
  add_raw(g, "bf16", onnx::TensorProto::BFLOAT16, {2}, {0x80, 0x3F, 0x40, 0xC0});     // 1, -3
  add_raw(g, "i8", onnx::TensorProto::INT8, {3}, {0xFF, 0x7F, 0x80});
  add_raw(g, "u8", onnx::TensorProto::UINT8, {2}, {0xFF, 0x01});
  add_raw(g, "i16", onnx::TensorProto::INT16, {1}, {0x00, 0x80});
  add_raw(g, "i32", onnx::TensorProto::INT32, {2}, {0xFE, 0xFF, 0xFF, 0xFF, 0x10, 0, 0, 0});
  add_raw(g, "i64", onnx::TensorProto::INT64, {1}, {0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  add_raw(g, "b", onnx::TensorProto::BOOL, {3}, {1, 0, 1});
  add_raw(g, "d", onnx::TensorProto::DOUBLE, {1}, {0, 0, 0, 0, 0, 0, 0xF8, 0x3F});  // 1.5
  auto* d = g->add_initializer();
  d->set_name("d_typed");
  d->set_data_type(onnx::TensorProto::DOUBLE);
  set_dims(d, {2});
  d->add_double_data(0.1), d->add_double_data(-7.25);
  auto* u64 = g->add_initializer();
  u64->set_name("u64");
  u64->set_data_type(onnx::TensorProto::UINT64);
  set_dims(u64, {1});
  u64->add_uint64_data(1ull << 40);
  auto* bt = g->add_initializer();
  bt->set_name("b_typed");
  bt->set_data_type(onnx::TensorProto::BOOL);
  set_dims(bt, {2});
  bt->add_int32_data(0), bt->add_int32_data(1);
  add_raw(g, "empty", onnx::TensorProto::FLOAT, {0, 3}, {});
  g->add_output()->set_name("x");
  const auto saved = tfe::onnx::read_model(write_model(dir, "types.onnx", m));
  const auto& c = saved.g.constants;
  auto weight = [&](const std::string& name) -> const xt::xarray<double>& {
    for (std::size_t i = 0; i < saved.g.weights.size(); ++i)
      if (saved.g.weights[i].name == name) return saved.weights[i];
    FAIL("no weight ", name);
    return saved.weights.at(0);
  };
  REQUIRE(saved.g.inputs.size() == 1);
  CHECK(saved.g.inputs[0].dims == std::vector<std::int64_t>{2});
  const auto& half = weight("half_typed");
  CHECK(half(0) == 1.0);
  CHECK(half(1) == -2.0);
  CHECK(half(2) == 65504.0);
  CHECK(half(3) == std::ldexp(1.0, -24));
  CHECK(std::isinf(half(4)));
  CHECK(half(5) == 0.0);
  CHECK(std::signbit(half(5)));
  CHECK(weight("half_raw")(0) == 0.5);
  CHECK(weight("half_raw")(1) == doctest::Approx(0.333).epsilon(0.001));
  CHECK(weight("bf16")(0) == 1.0);
  CHECK(weight("bf16")(1) == -3.0);
  CHECK_FALSE(c.at("d").integer);  // a float tensor of one element: a constant
  CHECK(c.at("d").data(0) == 1.5);
  CHECK(weight("d_typed")(0) == 0.1);
  CHECK(weight("d_typed")(1) == -7.25);
  CHECK(c.at("i8").integer);
  CHECK(c.at("i8").data == xt::xarray<double>{-1, 127, -128});
  CHECK(c.at("u8").data == xt::xarray<double>{255, 1});
  CHECK(c.at("i16").data(0) == -32768);
  CHECK(c.at("i32").data == xt::xarray<double>{-2, 16});
  CHECK(c.at("i64").data(0) == -3);
  CHECK(c.at("b").integer);
  CHECK(c.at("b").data == xt::xarray<double>{1, 0, 1});
  CHECK(c.at("b_typed").data == xt::xarray<double>{0, 1});
  CHECK(c.at("u64").data(0) == std::ldexp(1.0, 40));
  CHECK_FALSE(c.at("empty").integer);  // a float tensor of no element: a constant
  CHECK(c.at("empty").data.shape(1) == 3);
}

TEST_CASE("onnx reader: read_tensor and read_tensor_array") {
  temp_dir dir("tfe_onnx_tensor");
  onnx::TensorProto t;
  t.set_name("input_0");
  t.set_data_type(onnx::TensorProto::FLOAT);
  set_dims(&t, {2, 2});
  for (float v : {1.0f, -2.0f, 3.5f, 0.0f}) t.add_float_data(v);
  const auto path = write_bytes(dir.file("input_0.pb"), t.SerializeAsString());
  const auto x = tfe::onnx::read_tensor(path);
  CHECK(x == xt::xarray<double>{{1.0, -2.0}, {3.5, 0.0}});
  CHECK_FALSE(tfe::onnx::read_tensor_array(path).integer);

  onnx::TensorProto i;
  i.set_name("labels");
  i.set_data_type(onnx::TensorProto::INT64);
  set_dims(&i, {3});
  for (std::int64_t v : {4, 0, -9}) i.add_int64_data(v);
  const auto ip = write_bytes(dir.file("labels.pb"), i.SerializeAsString());
  const auto ia = tfe::onnx::read_tensor_array(ip);
  CHECK(ia.integer);
  CHECK(ia.data == xt::xarray<double>{4, 0, -9});

  i.clear_int64_data();
  i.add_int64_data(1);
  const auto bad = write_bytes(dir.file("bad.pb"), i.SerializeAsString());
  check_file_error([&] { tfe::onnx::read_tensor(bad); }, {bad, "'labels'", "shape mismatch", "3", "1"});
  check_file_error([&] { tfe::onnx::read_tensor(dir.file("none.pb")); }, {dir.file("none.pb"), "cannot open"});
}

TEST_CASE("onnx reader: file problems name the file") {
  temp_dir dir("tfe_onnx_files");
  const std::string missing = dir.file("missing.onnx");
  check_file_error([&] { tfe::onnx::read_model(missing); }, {missing, "cannot open"});

  std::string bytes;
  REQUIRE(full_model().SerializeToString(&bytes));
  const auto truncated = write_bytes(dir.file("truncated.onnx"), bytes.substr(0, bytes.size() / 2));
  check_file_error([&] { tfe::onnx::read_model(truncated); }, {truncated, "not a valid ONNX model", "truncated"});

  const auto garbage = write_bytes(dir.file("garbage.onnx"), std::string("\xff\xff\xff\xff not an onnx model"));
  check_file_error([&] { tfe::onnx::read_model(garbage); }, {garbage, "not a valid ONNX model"});
  // Bytes that parse as a protobuf but hold no graph.
  const auto empty = write_bytes(dir.file("empty.onnx"), "");
  check_file_error([&] { tfe::onnx::read_model(empty); }, {empty, "not a valid ONNX model"});
  check_file_error([&] { tfe::onnx::read_model(dir.path.string()); }, {dir.path.string(), "directory"});
  check_file_error([&] { tfe::onnx::read_model_bytes(bytes.substr(0, bytes.size() / 2), "mem"); },
                   {"mem: ", "not a valid ONNX model"});
}

TEST_CASE("onnx reader: every truncation and corrupted byte gives a graph or a file_error") {
  std::string bytes;
  REQUIRE(full_model().SerializeToString(&bytes));
  std::size_t parsed = 0, rejected = 0;
  auto attempt = [&](const std::string& b) {
    try {
      tfe::onnx::read_model_bytes(b, "fuzz.onnx");
      ++parsed;
    } catch (const tfe::file_error& e) {
      CHECK(std::string(e.what()).rfind("fuzz.onnx: ", 0) == 0);
      ++rejected;
    }
  };
  for (std::size_t n = 0; n < bytes.size(); ++n) attempt(bytes.substr(0, n));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[i] = static_cast<char>(static_cast<unsigned char>(b[i]) ^ x);
      attempt(b);
    }
  }
  CHECK(rejected > 0);
  MESSAGE(parsed, " corrupted models read, ", rejected, " rejected");
}

TEST_CASE("onnx reader: format errors name the file and the node, tensor or input") {
  temp_dir dir("tfe_onnx_errors");
  int count = 0;
  // Reads `m` from a file and checks the error names the file and `parts`.
  auto check = [&](const onnx::ModelProto& m, std::initializer_list<std::string> parts) {
    const std::string path = write_model(dir, "m" + std::to_string(count++) + ".onnx", m);
    check_file_error([&] { tfe::onnx::read_model(path); }, {path});
    check_file_error([&] { tfe::onnx::read_model(path); }, parts);
  };

  SUBCASE("external data") {
    auto m = base_model();
    auto* t = add_floats(m.mutable_graph(), "big_w", {2}, {}, false);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = t->add_external_data();
    e->set_key("location"), e->set_value("big_w.bin");
    check(m, {"'big_w'", "external file", "save the model with the weights inside"});
  }
  SUBCASE("wrong element count, typed and raw") {
    auto m = base_model();
    add_floats(m.mutable_graph(), "W", {2, 3}, {1, 2, 3, 4, 5}, false);
    check(m, {"initializer 'W'", "shape mismatch", "need 6 values", "holds 5"});
    auto r = base_model();
    add_floats(r.mutable_graph(), "R", {2, 3}, {1, 2, 3, 4, 5, 6, 7}, true);
    check(r, {"initializer 'R'", "shape mismatch", "need 6 values", "holds 7"});
    auto odd = base_model();
    add_raw(odd.mutable_graph(), "O", onnx::TensorProto::FLOAT, {1}, {1, 2, 3});
    check(odd, {"initializer 'O'", "shape mismatch", "3 bytes"});
  }
  SUBCASE("foreign domain") {
    auto m = base_model();
    add_node(m.mutable_graph(), "FusedGemm", {"a"}, {"b"}, "fg")->set_domain("com.microsoft");
    check(m, {"node 'fg'", "com.microsoft", "FusedGemm"});
  }
  SUBCASE("GRAPH attribute") {
    auto m = base_model();
    auto* n = add_node(m.mutable_graph(), "If", {"cond"}, {"y"}, "branch");
    add_attr(n, "then_branch", onnx::AttributeProto::GRAPH)->mutable_g()->set_name("then");
    check(m, {"node 'branch' (If)", "'then_branch'", "subgraph attributes (If/Loop/Scan) are not supported"});
  }
  SUBCASE("a string graph input") {
    auto m = base_model();
    add_input(m.mutable_graph(), "words", onnx::TensorProto::STRING, {-1, 8});
    check(m, {"graph input 'words'", "element type STRING is not supported"});
  }
  SUBCASE("a graph input that is not a tensor") {
    auto m = base_model();
    auto* in = m.mutable_graph()->add_input();
    in->set_name("seq");
    in->mutable_type()->mutable_sequence_type();
    check(m, {"graph input 'seq'", "not a tensor"});
  }
  SUBCASE("no default-domain opset") {
    auto m = base_model();
    m.mutable_opset_import(0)->set_domain("ai.onnx.ml");
    check(m, {"no opset"});
  }
  SUBCASE("Constant sparse_value and value_string") {
    auto m = base_model();
    auto* n = add_node(m.mutable_graph(), "Constant", {}, {"s"}, "str");
    add_attr(n, "value_string", onnx::AttributeProto::STRING)->set_s("hello");
    check(m, {"node 'str' (Constant)", "'value_string'", "not supported"});
    auto sp = base_model();
    auto* ns = add_node(sp.mutable_graph(), "Constant", {}, {"s"});
    add_attr(ns, "sparse_value", onnx::AttributeProto::SPARSE_TENSOR);
    check(sp, {"node 'Constant_0' (Constant)", "'sparse_value'", "not supported"});
  }
  SUBCASE("string and complex tensors, too many axes, a name defined twice") {
    auto m = base_model();
    auto* s = m.mutable_graph()->add_initializer();
    s->set_name("words"), s->set_data_type(onnx::TensorProto::STRING), s->add_string_data("a"), s->add_dims(1);
    check(m, {"initializer 'words'", "string tensors"});
    auto c = base_model();
    add_raw(c.mutable_graph(), "z", onnx::TensorProto::COMPLEX64, {1}, std::vector<unsigned char>(8));
    check(c, {"initializer 'z'", "complex"});
    auto big = base_model();
    add_floats(big.mutable_graph(), "deep", {1, 1, 1, 1, 1, 1, 1, 1, 1}, {1}, false);
    check(big, {"initializer 'deep'", "9 axes"});
    auto twice = base_model();
    add_floats(twice.mutable_graph(), "w", {2}, {1, 2}, false);
    add_node(twice.mutable_graph(), "Constant", {}, {"w"}, "again")->add_attribute()->CopyFrom([] {
      onnx::AttributeProto a;
      a.set_name("value_int"), a.set_type(onnx::AttributeProto::INT), a.set_i(3);
      return a;
    }());
    check(twice, {"node 'again'", "'w' is defined twice"});
  }
}

TEST_CASE("onnx reader: the ONNX backend test test_relu (libonnx-testdata)") {
  const std::filesystem::path dir = "/usr/share/libonnx-testdata/data/node/test_relu";
  if (!std::filesystem::exists(dir / "model.onnx")) {
    MESSAGE("skipped: ", dir.string(), " is missing (install libonnx-testdata: scripts/setup.sh)");
    return;
  }
  const auto saved = tfe::onnx::read_model((dir / "model.onnx").string());
  const auto& g = saved.g;
  CHECK(g.opset == 14);
  REQUIRE(g.inputs.size() == 1);
  CHECK(g.inputs[0].name == "x");
  CHECK(g.inputs[0].dims == std::vector<std::int64_t>{3, 4, 5});
  CHECK(g.outputs == std::vector<std::string>{"y"});
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op_type == "Relu");
  CHECK(g.nodes[0].name == "Relu_0");
  CHECK(g.weights.empty());
  const auto x = tfe::onnx::read_tensor((dir / "test_data_set_0/input_0.pb").string());
  const auto y = tfe::onnx::read_tensor((dir / "test_data_set_0/output_0.pb").string());
  CHECK(tfe::shape_of(x) == tfe::shape_t{3, 4, 5});
  REQUIRE(tfe::shape_of(y) == tfe::shape_of(x));
  CHECK(y == xt::maximum(x, 0.0));
}
