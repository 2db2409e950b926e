// fuzz/make_seeds.cpp: writes the seed corpora of fuzz/corpus/ (all but onnx/, which holds small
// models copied from models/onnx) with tfe's own writers: tfe_fuzz_seeds OUT_DIR writes
// OUT_DIR/<target>/<seed>. Small valid inputs of every format variant each reader knows.
#include "tfe/graph/ir.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/net/frame.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/net/tcp_wire.hpp"
#include "tfe/nn/model_io.hpp"

#include <xtensor/xnpy.hpp>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
namespace io = tfe::io;

namespace {

fs::path g_out;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_out / target);
  io::write_file_bytes((g_out / target / name).string(), bytes);
}
void put(const std::string& target, const std::string& name, const tfe::frame& f) {
  put(target, name, std::string(f.begin(), f.end()));
}

/// A .npy file whose header is `dict` (format version `major`), followed by `body`.
std::string npy_with_header(int major, const std::string& dict, const std::string& body) {
  std::string h = dict;
  const std::size_t fixed = major == 1 ? 10 : 12;
  while ((fixed + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < fixed - 8; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xFF);
  return out + h + body;
}

void npy_seeds() {
  put("npy", "f4_2x3.npy", io::to_npy(xt::xarray<double>{{1, 2, 3}, {4, 5, 6}}, io::npy_dtype::f4));
  put("npy", "f8_scalar.npy", io::to_npy(xt::xarray<double>(2.5), io::npy_dtype::f8));
  put("npy", "f8_empty.npy", io::to_npy(xt::xarray<double>::from_shape({0, 3}), io::npy_dtype::f8));
  put("npy", "i4_3.npy", xt::dump_npy(xt::xarray<std::int32_t>{-1, 0, 7}));
  put("npy", "u1_2x2.npy", xt::dump_npy(xt::xarray<std::uint8_t>{{0, 255}, {1, 2}}));
  put("npy", "i8_2.npy", xt::dump_npy(xt::xarray<std::int64_t>{-5, 1}));
  const std::string be(
      "\x3f\x80\x00\x00"
      "\x40\x00\x00\x00",
      8);
  put("npy", "f4_big_endian_fortran.npy",
      npy_with_header(1, "{'descr': '>f4', 'fortran_order': True, 'shape': (1, 2), }", be));
  put("npy", "u2_version2.npy",
      npy_with_header(2, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
                      std::string("\x01\x00\x02\x00", 4)));
  put("npy", "b1_version3.npy",
      npy_with_header(3, "{\"descr\": \"|b1\", \"fortran_order\": False, \"shape\": (3,)}",
                      std::string("\x01\x00\x01", 3)));
}

void npz_seeds(const fs::path& scratch) {
  const io::named_arrays arrays{{"a", xt::xarray<double>{{1, 2}, {3, 4}}}, {"b", xt::xarray<double>{0.5}}};
  for (const bool compress : {false, true}) {
    const std::string path = (scratch / "seed.npz").string();
    io::save_npz(path, arrays, io::npy_dtype::f4, compress);
    put("npz", compress ? "deflated.npz" : "stored.npz", io::read_file_bytes(path));
  }
  const std::string path = (scratch / "seed.npz").string();
  io::save_npz(path, {{"zeros", xt::zeros<double>({16, 16})}}, io::npy_dtype::f8, true);
  put("npz", "deflated_zeros.npz", io::read_file_bytes(path));
}

void idx_seeds(const fs::path& scratch) {
  const std::string path = (scratch / "seed.idx").string();
  const xt::xarray<std::uint8_t> images{{{0, 1, 2}, {3, 4, 5}}, {{6, 7, 8}, {9, 10, 11}}};
  io::write_idx(path, images, false);
  put("idx", "u8_2x2x3.idx", io::read_file_bytes(path));
  io::write_idx(path, images, true);
  put("idx", "u8_2x2x3.idx.gz", io::read_file_bytes(path));
  io::write_idx(path, xt::xarray<std::uint8_t>{3, 1, 4, 1, 5}, true);
  put("idx", "labels.idx.gz", io::read_file_bytes(path));
  // Big-endian f32 (1.0, -2.0), i16 (-1, 2) and f64 (0.5), written by hand.
  put("idx", "f32_2.idx", std::string("\0\0\x0d\x01\0\0\0\x02\x3f\x80\0\0\xc0\0\0\0", 16));
  put("idx", "i16_2.idx", std::string("\0\0\x0b\x01\0\0\0\x02\xff\xff\0\x02", 12));
  put("idx", "f64_1x1.idx", std::string("\0\0\x0e\x02\0\0\0\x01\0\0\0\x01\x3f\xe0\0\0\0\0\0\0", 20));
}

void model_seeds(const fs::path& scratch) {
  namespace k = tfe::keras;
  const std::string path = (scratch / "seed_model.npz").string();
  const k::architecture mlp{{4}, {k::Dense{.units = 3, .activation = "relu"}, k::Dense{.units = 2}}};
  std::vector<xt::xarray<double>> w;
  for (const auto& s : k::weight_specs(mlp)) w.push_back(xt::ones<double>(s.shape) * 0.25);
  k::save_model_file(path, mlp, w);
  put("model", "mlp.npz", io::read_file_bytes(path));
  io::write_zip(path, io::read_zip(path), false);  // stored: the JSON as it is, for the mutations
  put("model", "mlp_stored.npz", io::read_file_bytes(path));
  const k::architecture cnn{
      {6, 6, 1},
      {k::Conv2D{.filters = 2, .kernel_size = {3, 3}, .padding = "same"}, k::BatchNormalization{}, k::ReLU{},
       k::MaxPooling2D{}, k::Flatten{}, k::Dense{.units = 2, .activation = "softmax"}}};
  w.clear();
  for (const auto& s : k::weight_specs(cnn)) w.push_back(xt::ones<double>(s.shape) * 0.5);
  k::save_model_file(path, cnn, w);
  put("model", "cnn.npz", io::read_file_bytes(path));
}

void peer_json_seeds() {
  namespace k = tfe::keras;
  const k::architecture cnn{{6, 6, 1},
                            {k::Conv2D{.filters = 2, .kernel_size = {3, 3}, .padding = "same"}, k::MaxPooling2D{},
                             k::Reshape{.target_shape = {-1}}, k::Dense{.units = 2, .activation = "softmax"}}};
  put("peer_json", "architecture.json", "\1" + k::to_json(k::resolve_names(cnn)).dump());
  namespace gr = tfe::graph;
  gr::graph g;
  g.source = "model.onnx";
  g.opset = 13;
  g.inputs = {{"x", {-1, 4}, false}, {"ids", {2}, true}};
  g.weights = {{"w", {4, 2}, false}};
  g.outputs = {"y"};
  g.constants["shape"] = gr::array{xt::xarray<double>{-1, 2}, true};
  gr::node mm{"MatMul", "mm", {"x", "w"}, {"xw"}, {}};
  gr::node gemm{"Gemm", "g", {"xw", "w"}, {"y"}, {}};
  gemm.attributes["alpha"].type = gr::attribute::kind::real;
  gemm.attributes["alpha"].f = 0.5;
  gemm.attributes["transB"].i = 1;
  gemm.attributes["perm"].type = gr::attribute::kind::integers;
  gemm.attributes["perm"].ints = {1, 0};
  gemm.attributes["mode"].type = gr::attribute::kind::text;
  gemm.attributes["mode"].s = "constant";
  g.nodes = {mm, gemm};
  put("peer_json", "graph.json", std::string(1, '\0') + gr::to_json(g).dump());
}

void frame_seeds() {
  put("frame", "ring64_2x3", tfe::serialize_tensor(tfe::ring_tensor<tfe::ring64>{{1, 2, 3}, {4, 5, 6}}));
  put("frame", "ring64_scalar", tfe::serialize_tensor(tfe::ring_tensor<tfe::ring64>(7)));
  put("frame", "ring64_empty", tfe::serialize_tensor(tfe::ring_tensor<tfe::ring64>::from_shape({0, 4})));
  put("frame", "ring128_2", tfe::serialize_tensor(tfe::ring_tensor<tfe::ring128>{tfe::ring128(1) << 100, 3}));
  const std::string seed = "0123456789abcdef";
  put("frame", "bytes_16", tfe::serialize_bytes(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
}

void hosts_seeds() {
  tfe::hosts_config h = tfe::loopback_hosts({"server0", "server1", "crypto-producer"}, "certs", "run-1");
  for (std::size_t i = 0; i < h.players.size(); ++i) h.players[i].port = static_cast<std::uint16_t>(40001 + i);
  h.players[0].fingerprint = std::string(64, 'a');
  put("hosts", "three_players.json", tfe::to_json(h).dump(2));
  put("hosts", "minimal.json", R"({"players": [{"name": "p0", "host": "::1", "port": 1}]})");
}

void wire_seeds() {
  namespace wire = tfe::detail::wire;
  wire::hello h;
  h.run_id = "run-1";
  h.program = "pond<ring64>";
  h.players = {"server0", "server1", "crypto-producer"};
  h.players_digest = tfe::players_digest(h.players);
  h.from = 0;
  h.to = 2;
  put("wire", "hello", std::string(1, '\0') + wire::encode_hello(h));
  put("wire", "verdict_ok", std::string(1, '\1') + wire::encode_verdict(""));
  put("wire", "verdict_no", std::string(1, '\1') + wire::encode_verdict("run id mismatch"));
  const auto header = wire::encode_message(wire::msg::abort, "the peer failed");
  put("wire", "abort_message", std::string(1, '\3') + std::string(header.begin(), header.end()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tfe_fuzz_seeds OUT_DIR (writes OUT_DIR/<target>/<seed>)\n";
    return 2;
  }
  g_out = argv[1];
  const fs::path scratch = g_out / ".scratch";
  fs::create_directories(scratch);
  npy_seeds();
  npz_seeds(scratch);
  idx_seeds(scratch);
  model_seeds(scratch);
  peer_json_seeds();
  frame_seeds();
  hosts_seeds();
  wire_seeds();
  fs::remove_all(scratch);
  return 0;
}
