// tests/test_io_security.cpp: readers and decoders must not trust sizes from their input. Every case
// builds a crafted file (or peer message) byte by byte whose declared sizes lie, and checks for the
// specific exception naming the file (or peer) and the field, never a crash, a huge allocation or a
// silently wrong tensor. docs/security.md, "Untrusted files and peers: size limits", lists the limits.
#include <doctest/doctest.h>
#include "expect_error.hpp"

#include "temp_dir.hpp"

#include "tfe/graph/ir.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/net/frame.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/nn/model_io.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/runtime/runner.hpp"

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_io_security {

namespace {

namespace fs = std::filesystem;
using plain64 = tfe::plain<tfe::ring64>;

using tfe_test::temp_dir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

using tfe_test::contains;
using tfe_test::error_of;

void le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

/// A .npy file (format 1.0) with the given header dictionary and body.
std::string npy_bytes(const std::string& dict, const std::string& body) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  le(out, header.size(), 2);
  return out + header + body;
}

/// Raw deflate of `data` (zip's method 8).
std::string deflated(const std::string& data) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// A one-entry zip archive, by hand: local header, data, central directory record (with `extra` as
/// its extra field and the given 32-bit size fields), end record.
std::string zip_bytes(const std::string& name, const std::string& packed, std::uint32_t method, std::uint32_t crc,
                      std::uint32_t csize, std::uint32_t usize, const std::string& extra) {
  std::string z;
  le(z, 0x04034b50, 4);
  le(z, 45, 2), le(z, 0, 2), le(z, method, 2), le(z, 0, 2), le(z, 0x21, 2);
  le(z, crc, 4), le(z, csize, 4), le(z, usize, 4);
  le(z, name.size(), 2), le(z, 0, 2);
  z += name + packed;
  const std::size_t cd = z.size();
  le(z, 0x02014b50, 4);
  le(z, 45, 2), le(z, 45, 2), le(z, 0, 2), le(z, method, 2), le(z, 0, 2), le(z, 0x21, 2);
  le(z, crc, 4), le(z, csize, 4), le(z, usize, 4);
  le(z, name.size(), 2), le(z, extra.size(), 2), le(z, 0, 2);  // name, extra, comment lengths
  le(z, 0, 2), le(z, 0, 2), le(z, 0, 4), le(z, 0, 4);          // disk, attributes, local offset 0
  z += name + extra;
  const std::size_t cd_size = z.size() - cd;
  le(z, 0x06054b50, 4);
  le(z, 0, 2), le(z, 0, 2), le(z, 1, 2), le(z, 1, 2);
  le(z, cd_size, 4), le(z, cd, 4), le(z, 0, 2);
  return z;
}

std::uint32_t crc_of(const std::string& s) {
  return static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

/// An IDX header (u8 elements) with the given dimensions, followed by `body`.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& body) {
  std::string out{'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((d >> s) & 0xFF));
  return out + body;
}

/// A model file holding only architecture.json.
std::string model_file(const temp_dir& dir, const std::string& name, const std::string& json) {
  const std::string path = dir.file(name);
  tfe::io::write_zip(path, {{tfe::keras::architecture_entry, json}});
  return path;
}

}  // namespace

// ---- .npy ---------------------------------------------------------------------------------------

TEST_CASE(".npy: a shape whose product wraps around is refused (C and Fortran order)") {
  temp_dir dir{"tfe_test_io_security"};
  // 2 * (2^63 + 1) = 2^64 + 2 wraps to 2: 16 bytes of f8 passed the size check, and the Fortran
  // transpose then walked a (2, 2^63 + 1) view of a 2-element buffer.
  for (const char* order : {"True", "False"}) {
    CAPTURE(order);
    const std::string path = dir.file(std::string("wrap_") + order + ".npy");
    write_bytes(path, npy_bytes(std::string("{'descr': '<f8', 'fortran_order': ") + order +
                                    ", 'shape': (2, 9223372036854775809), }",
                                std::string(16, '\0')));
    const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::load_npy(path); });
    CAPTURE(m);
    CHECK(contains(m, path));
    CHECK(contains(m, "npy header field 'shape'"));
    CHECK(contains(m, "too many elements"));
  }
}

TEST_CASE(".npy: a dimension too large for 64 bits is a file_error (not std::out_of_range)") {
  temp_dir dir{"tfe_test_io_security"};
  const std::string path = dir.file("digits.npy");
  write_bytes(path,
              npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (123456789012345678901234567890,), }", ""));
  const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::load_npy(path); });
  CHECK(contains(m, path));
  CHECK(contains(m, "'shape'"));
}

TEST_CASE(".npy: an element width with other characters or too many digits is an unsupported dtype") {
  // Reviewed for fuzzing: atoi read '<f4x' as 4 bytes, and overflows on 20 digits (undefined).
  for (const char* descr : {"<f4x", "<f4 ", "<i99999999999999999999", "<f"}) {
    CAPTURE(descr);
    const std::string m = error_of<tfe::file_error>([&] {
      (void)tfe::io::from_npy(
          npy_bytes(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (1,), }",
                    std::string(8, '\0')),
          "w.npy");
    });
    CHECK(contains(m, std::string("w.npy: unsupported npy dtype '") + descr + "'"));
  }
}

// ---- .npz (zip) ---------------------------------------------------------------------------------

TEST_CASE(".npz: a zip64 extra field that runs past its record is refused") {
  temp_dir dir{"tfe_test_io_security"};
  // Central directory record whose 4-byte extra field says "zip64, 24 bytes follow" while nothing
  // follows but the end record: the reader took the end record's bytes as the 64-bit sizes.
  const std::string data = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'));
  const std::string packed = deflated(data);
  std::string extra;
  le(extra, 0x0001, 2), le(extra, 24, 2);
  const std::string path = dir.file("extra.npz");
  write_bytes(path, zip_bytes("a.npy", packed, 8, crc_of(data), 0xFFFFFFFFu, 0xFFFFFFFFu, extra));
  const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(path); });
  CAPTURE(m);
  CHECK(contains(m, path + ":a.npy"));
  CHECK(contains(m, "extra field"));
}

TEST_CASE(".npz: a zip bomb's declared uncompressed size is capped before allocating") {
  temp_dir dir{"tfe_test_io_security"};
  const std::string data = "tiny";
  const std::string packed = deflated(data);
  SUBCASE("zip64: 2^40 bytes declared for a few compressed bytes") {
    std::string extra;
    le(extra, 0x0001, 2), le(extra, 8, 2), le(extra, std::uint64_t(1) << 40, 8);
    const std::string path = dir.file("bomb64.npz");
    write_bytes(path, zip_bytes("a.npy", packed, 8, crc_of(data), static_cast<std::uint32_t>(packed.size()),
                                0xFFFFFFFFu, extra));
    const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(path); });
    CAPTURE(m);
    CHECK(contains(m, path + ":a.npy"));
    CHECK(contains(m, "declared uncompressed size 1099511627776"));
  }
  SUBCASE("32-bit: 256 MiB declared for a few compressed bytes") {
    const std::string path = dir.file("bomb32.npz");
    write_bytes(path, zip_bytes("a.npy", packed, 8, crc_of(data), static_cast<std::uint32_t>(packed.size()),
                                std::uint32_t(1) << 28, ""));
    const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(path); });
    CAPTURE(m);
    CHECK(contains(m, path + ":a.npy"));
    CHECK(contains(m, "declared uncompressed size 268435456"));
    CHECK(contains(m, "1032 times"));
  }
}

TEST_CASE(".npz: entries sharing one local record cannot multiply the output past the archive's size") {
  // Found reviewing the zip reader for fuzzing: k central directory records pointing at the same
  // deflated data inflated it k times, k times what deflate's ratio allows for the archive's size.
  temp_dir dir{"tfe_test_io_security"};
  const std::string path = dir.file("shared.npz");
  tfe::io::write_zip(path, {{"a.npy", std::string(4096, 'x')}}, false);  // stored: 4096 bytes of data
  std::string z = tfe::io::read_file_bytes(path);
  const std::size_t eocd = z.size() - 22, cd_size = tfe::io::detail::get32(z, eocd + 12),
                    cd_offset = tfe::io::detail::get32(z, eocd + 16);
  const std::string record = z.substr(cd_offset, cd_size);
  std::string end = z.substr(eocd);
  end[10] = end[8] = 2;                               // two entries
  end[12] = static_cast<char>((2 * cd_size) & 0xFF);  // central directory size
  end[13] = static_cast<char>(((2 * cd_size) >> 8) & 0xFF);
  write_bytes(path, z.substr(0, eocd) + record + end);
  const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::read_zip(path); });
  CAPTURE(m);
  CHECK(contains(m, path + ":a.npy"));
  CHECK(contains(m, "entries that share data are not supported"));
}

TEST_CASE(".npz: highly compressible arrays near deflate's maximum ratio still load") {
  temp_dir dir{"tfe_test_io_security"};
  const std::string path = dir.file("zeros.npz");
  const xt::xarray<double> zeros = xt::zeros<double>({std::size_t(2000000)});  // 16 MB of f8 zeros
  tfe::io::save_npz(path, {{"z", zeros}}, tfe::io::npy_dtype::f8);
  CHECK(fs::file_size(path) < 40000);  // deflate came close to its 1032:1 maximum
  const auto back = tfe::io::load_npz(path);
  REQUIRE(back.size() == 1);
  CHECK(back[0].second == zeros);
}

// ---- IDX ----------------------------------------------------------------------------------------

TEST_CASE("IDX: dimensions larger than the file are refused before allocating (plain and gzip)") {
  temp_dir dir{"tfe_test_io_security"};
  // 2^30 bytes declared by a 20-byte file: the reader allocated (and zeroed) 1 GiB before reading.
  const std::string bytes = idx_bytes({1024, 1024, 1024}, "abcd");
  const std::string plain = dir.file("big.idx");
  write_bytes(plain, bytes);
  const std::string gz = dir.file("big.idx.gz");
  gzFile f = gzopen(gz.c_str(), "wb9");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
  for (const auto& path : {plain, gz}) {
    CAPTURE(path);
    const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::read_idx(path); });
    CAPTURE(m);
    CHECK(contains(m, path));
    CHECK(contains(m, "IDX header dimensions (1024, 1024, 1024) declare 1073741824 bytes"));
  }
  // A product beyond max_tensor_elements (and beyond 64 bits) names the field too.
  const std::string wrap = dir.file("wrap.idx");
  write_bytes(wrap, idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, ""));
  const std::string m = error_of<tfe::file_error>([&] { (void)tfe::io::read_idx(wrap); });
  CHECK(contains(m, wrap));
  CHECK(contains(m, "IDX header dimensions"));
  CHECK(contains(m, "too many elements"));
}

// ---- peers --------------------------------------------------------------------------------------

TEST_CASE("frame decoder: a declared shape beyond max_tensor_elements is a channel_error naming the peer") {
  // Shape (0, 2^63): no payload needed, so the length check passed and a tensor of that shape came out.
  tfe::frame f(tfe::frame_header_bytes(2));
  const std::uint32_t magic = 0x31454654;
  std::memcpy(f.data(), &magic, 4);
  f[4] = 1;  // ring tensor
  f[5] = 8;  // ring64
  const std::uint16_t nd = 2;
  std::memcpy(f.data() + 6, &nd, 2);
  const std::uint64_t dims[2] = {0, std::uint64_t(1) << 63};
  std::memcpy(f.data() + 8, dims, 16);
  const std::string m = error_of<tfe::channel_error>([&] { (void)tfe::deserialize_tensor<tfe::ring64>(f, "mallory"); });
  CAPTURE(m);
  CHECK(contains(m, "'mallory'"));
  CHECK(contains(m, "declared shape"));
}

TEST_CASE("session: an input shape announced by a peer is bounded (channel_error naming the peer)") {
  // mallory announces `announced` as the shape of its input, then sends a small "input".
  auto announce = [](const std::vector<tfe::ring64>& announced) {
    tfe::run_options opts;
    opts.channel.recv_timeout = std::chrono::seconds(5);
    std::string m;
    try {
      tfe::run_local<plain64>(
          {"server0", "mallory"},
          [&](tfe::session<plain64>& s) {
            if (s.name() == "mallory") {
              tfe::ring_tensor<tfe::ring64> shape = xt::zeros<tfe::ring64>({announced.size()});
              for (std::size_t i = 0; i < announced.size(); ++i) shape(i) = announced[i];
              s.net().send(0, shape);
              s.net().send(0, tfe::ring_tensor<tfe::ring64>(xt::zeros<tfe::ring64>({2})));
              return;
            }
            (void)s.share_encoded(1, std::nullopt);
          },
          opts);
      FAIL("the announced shape was accepted");
    } catch (const tfe::player_error& e) {
      CHECK(e.player() == "server0");
      m = error_of<tfe::channel_error>([&] { e.rethrow_original(); });
    }
    return m;
  };
  SUBCASE("2^60 elements") {
    const std::string m = announce({1u << 20, 1u << 20, 1u << 20});
    CAPTURE(m);
    CHECK(contains(m, "'mallory'"));
    CHECK(contains(m, "announced shape (1048576, 1048576, 1048576) has too many elements"));
  }
  SUBCASE("a negative dimension") {
    const std::string m = announce({3, ~tfe::ring64(0)});  // (3, -1)
    CAPTURE(m);
    CHECK(contains(m, "'mallory'"));
    CHECK(contains(m, "dimension 1 is 18446744073709551615"));
  }
}

// ---- model architecture -------------------------------------------------------------------------

TEST_CASE("model file: a Reshape target_shape whose product wraps to 0 is a shape_error (not SIGFPE)") {
  temp_dir dir{"tfe_test_io_security"};
  const std::string path = model_file(dir, "reshape.npz", R"({"format": "tfe.keras.Sequential", "version": 1,
    "input_shape": [4], "layers": [{"class_name": "Reshape",
    "config": {"name": "r", "target_shape": [4294967296, 4294967296, -1]}}]})");
  const std::string m = error_of<tfe::shape_error>([&] { (void)tfe::keras::load_model_file(path); });
  CAPTURE(m);
  CHECK(contains(m, path));
  CHECK(contains(m, "layer 'r' (Reshape): target_shape"));
}

TEST_CASE("model file: input_shape and layer count and size options are capped (config_error)") {
  temp_dir dir{"tfe_test_io_security"};
  const std::string head = R"({"format": "tfe.keras.Sequential", "version": 1, )";
  SUBCASE("input_shape whose product wraps") {
    // 65536^4 = 2^64 wraps to 0: Flatten produced (0,) and the model loaded.
    const std::string wrap =
        model_file(dir, "input.npz",
                   head + R"("input_shape": [65536, 65536, 65536, 65536], "layers": [{"class_name": "Flatten"}]})");
    const std::string m = error_of<tfe::config_error>([&] { (void)tfe::keras::load_model_file(wrap); });
    CHECK(contains(m, wrap));
    CHECK(contains(m, "field 'input_shape'"));
  }
  SUBCASE("more than max_model_layers layers") {
    std::string layers;
    for (std::size_t i = 0; i <= tfe::keras::max_model_layers; ++i)
      layers += std::string(i ? "," : "") + R"({"class_name": "ReLU"})";
    const std::string many = model_file(dir, "many.npz", head + R"("input_shape": [4], "layers": [)" + layers + "]}");
    const std::string m = error_of<tfe::config_error>([&] { (void)tfe::keras::load_model_file(many); });
    CHECK(contains(m, many));
    CHECK(contains(m, "field 'layers'"));
  }
  SUBCASE("numbers that are not integers") {
    // Fuzzing (fuzz/fuzz_model.cpp): nlohmann's get<int> of 1e300 is undefined behaviour (UBSan:
    // "1e+300 is outside the range of representable values of type 'int'").
    const std::string version = model_file(dir, "version.npz", R"({"format": "tfe.keras.Sequential",
        "version": 1e300, "input_shape": [4], "layers": []})");
    std::string m = error_of<tfe::config_error>([&] { (void)tfe::keras::load_model_file(version); });
    CHECK(contains(m, version));
    CHECK(contains(m, "field 'version' must be an integer"));
    const std::string target = model_file(dir, "target.npz", head + R"("input_shape": [4], "layers": [
        {"class_name": "Reshape", "config": {"name": "r", "target_shape": [2, 2e300]}}]})");
    m = error_of<tfe::config_error>([&] { (void)tfe::keras::load_model_file(target); });
    CHECK(contains(m, target));
    CHECK(contains(m, "layer 'r' (Reshape): field 'target_shape[1]' must be an integer"));
  }
  SUBCASE("negative units") {
    // units -1 was read as 2^64 - 1.
    const std::string neg = model_file(dir, "units.npz", head + R"("input_shape": [4], "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": -1}}]})");
    const std::string m = error_of<tfe::config_error>([&] { (void)tfe::keras::load_model_file(neg); });
    CHECK(contains(m, neg));
    CHECK(contains(m, "layer 'd' (Dense): field 'units'"));
  }
}

TEST_CASE("share_model: an architecture from a peer is capped too (config_error naming the peer)") {
  std::string layers;
  for (std::size_t i = 0; i <= tfe::keras::max_model_layers; ++i)
    layers += std::string(i ? "," : "") + R"({"class_name": "ReLU"})";
  const std::string json =
      R"({"format": "tfe.keras.Sequential", "version": 1, "input_shape": [4], "layers": [)" + layers + "]}";
  tfe::run_options opts;
  opts.channel.recv_timeout = std::chrono::seconds(5);
  std::string m;
  try {
    tfe::run_local<plain64>(
        {"server0", "mallory"},
        [&](tfe::session<plain64>& s) {
          if (s.name() == "mallory") {
            s.net().send_bytes(0, std::vector<std::uint8_t>(json.begin(), json.end()));
            return;
          }
          (void)tfe::keras::share_model(s, "mallory",
                                        []() -> tfe::keras::saved_model { throw std::logic_error("unused"); });
        },
        opts);
    FAIL("the architecture was accepted");
  } catch (const tfe::player_error& e) {
    CHECK(e.player() == "server0");
    m = error_of<tfe::config_error>([&] { e.rethrow_original(); });
  }
  CAPTURE(m);
  CHECK(contains(m, "architecture from 'mallory'"));
  CHECK(contains(m, "field 'layers'"));
}

// ---- hosts files and graphs from a peer: JSON numbers ----------------------------------------------

TEST_CASE("hosts file: a port that is not an integer is a config_error (not undefined behaviour)") {
  // Fuzzing (fuzz/fuzz_hosts.cpp): "port": 1e300 was converted to long long (UBSan: "outside the range
  // of representable values"); 40001.5 was truncated to a port.
  for (const char* port : {"1e300", "40001.5", "-1", "65536", "\"40001\""}) {
    CAPTURE(port);
    const std::string text = std::string(R"({"players": [{"name": "p0", "host": "h", "port": )") + port + "}]}";
    const std::string m = error_of<tfe::config_error>([&] { (void)tfe::parse_hosts_text(text, "/", "hosts.json"); });
    CAPTURE(m);
    CHECK(contains(m, "hosts file hosts.json: player 'p0' has port"));
    CHECK(contains(m, "(an integer in 1-65535)"));
  }
  CHECK(tfe::parse_hosts_text(R"({"players": [{"name": "p0", "host": "h", "port": 65535}]})", "/").players[0].port ==
        65535);
  CHECK(contains(error_of<tfe::config_error>([] { (void)tfe::parse_hosts_text("{", "/", "h.json"); }),
                 "hosts file h.json is not valid JSON"));
}

TEST_CASE("graph from a peer: integers that are not integers are a config_error") {
  const std::string head = R"({"format": "tfe.graph", "source": "s", )";
  std::string m = error_of<tfe::config_error>(
      [&] { (void)tfe::graph::graph_from_json(nlohmann::json::parse(head + R"("opset": 1e300})"), "peer 'p'"); });
  CHECK(contains(m, "peer 'p': field 'opset' must be an integer"));
  m = error_of<tfe::config_error>([&] {
    (void)tfe::graph::graph_from_json(
        nlohmann::json::parse(head + R"("opset": 13, "inputs": [{"name": "x", "dims": [18446744073709551615]}]})"),
        "peer 'p'");
  });
  CHECK(contains(m, "field 'dims' must be an integer"));
}

}  // namespace test_io_security
