// tests/test_idx.cpp: the IDX reader (io/idx.hpp) on small generated files, and its errors.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include "tfe/io/idx.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_idx {

namespace {

namespace fs = std::filesystem;

using tfe_test::temp_dir;

void write_raw(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const tfe::file_error& e) {
    return e.what();
  }
  return "no exception";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("IDX: write and read back, gzip and uncompressed") {
  temp_dir dir{"tfe_test_idx"};
  xt::xarray<std::uint8_t> images = xt::zeros<std::uint8_t>({5, 3, 4});
  for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = static_cast<std::uint8_t>((i * 37) % 256);
  for (bool gz : {true, false}) {
    const auto p = dir.file(gz ? "a.gz" : "a.idx");
    tfe::io::write_idx(p, images, gz);
    auto back = tfe::io::read_idx_u8(p);
    CHECK(back == images);
    auto h = tfe::io::read_idx_header(p);
    CHECK(h.type == tfe::io::idx_type::u8);
    CHECK(h.shape == tfe::shape_t{5, 3, 4});
    auto d = tfe::io::read_idx(p, 2);  // the first two items only, as doubles
    REQUIRE(d.shape()[0] == 2);
    for (std::size_t i = 0; i < d.size(); ++i) CHECK(d.data()[i] == images.data()[i]);
  }
}

TEST_CASE("IDX: big-endian integer and float types") {
  temp_dir dir{"tfe_test_idx"};
  // i16 values {-2, 300}, shape (2,)
  write_raw(dir.file("i16"), {0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x2C});
  auto a = tfe::io::read_idx(dir.file("i16"));
  REQUIRE(a.size() == 2);
  CHECK(a(0) == -2);
  CHECK(a(1) == 300);
  // f32 1.5 = 0x3FC00000, shape (1, 1)
  write_raw(dir.file("f32"), {0, 0, 0x0D, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0});
  auto f = tfe::io::read_idx(dir.file("f32"));
  CHECK(f.shape()[0] == 1);
  CHECK(f(0, 0) == 1.5);
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx_u8(dir.file("f32")); }), "expected unsigned bytes"));
}

TEST_CASE("IDX: clear errors for bad files") {
  temp_dir dir{"tfe_test_idx"};
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.file("missing.gz")); }), "no such file"));
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.path.string()); }), "is a directory"));

  write_raw(dir.file("short"), {0, 0});
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.file("short")); }), "too short"));

  write_raw(dir.file("magic"), {1, 2, 8, 1, 0, 0, 0, 1, 7});
  auto m = error_of([&] { (void)tfe::io::read_idx(dir.file("magic")); });
  CHECK(contains(m, "not an IDX file"));
  CHECK(contains(m, dir.file("magic")));  // the message names the file

  write_raw(dir.file("type"), {0, 0, 0x42, 1, 0, 0, 0, 1, 7});
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.file("type")); }), "unknown IDX element type 0x42"));

  write_raw(dir.file("header"), {0, 0, 8, 3, 0, 0, 0, 1});
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.file("header")); }), "truncated IDX header"));

  write_raw(dir.file("body"), {0, 0, 8, 1, 0, 0, 0, 4, 1, 2});
  auto b = error_of([&] { (void)tfe::io::read_idx(dir.file("body")); });
  CHECK(contains(b, "truncated IDX data"));
  CHECK(contains(b, "(4,)"));

  write_raw(dir.file("trailing"), {0, 0, 8, 1, 0, 0, 0, 1, 1, 2});
  CHECK(contains(error_of([&] { (void)tfe::io::read_idx(dir.file("trailing")); }), "trailing bytes"));

  // A gzip stream cut in the middle.
  xt::xarray<std::uint8_t> big = xt::zeros<std::uint8_t>({4000});
  for (std::size_t i = 0; i < big.size(); ++i) big(i) = static_cast<std::uint8_t>(i * 7919 % 251);
  tfe::io::write_idx(dir.file("cut.gz"), big, true);
  auto bytes = fs::file_size(dir.file("cut.gz"));
  fs::resize_file(dir.file("cut.gz"), bytes / 2);
  auto c = error_of([&] { (void)tfe::io::read_idx(dir.file("cut.gz")); });
  CHECK((contains(c, "truncated IDX data") || contains(c, "corrupt")));
}

TEST_CASE("Fashion-MNIST: missing directory names the Debian package; one_hot") {
  auto m = error_of([] { (void)tfe::io::load_fashion_mnist("test", 1, "/nonexistent-dir"); });
  CHECK(contains(m, "dataset-fashion-mnist"));
  CHECK(contains(error_of([] { (void)tfe::io::load_fashion_mnist("validation", 1); }), "unknown Fashion-MNIST split"));
  xt::xarray<std::uint8_t> labels = {2, 0};
  auto oh = tfe::io::one_hot(labels, 3);
  CHECK(oh == xt::xarray<double>{{0, 0, 1}, {1, 0, 0}});
  CHECK_THROWS_AS(tfe::io::one_hot(labels, 2), tfe::error);
}

TEST_CASE("Fashion-MNIST: the installed data set, when present") {
  const std::string dir = tfe::io::fashion_mnist_dir();
  if (!fs::exists(dir + "/t10k-labels-idx1-ubyte.gz")) {
    MESSAGE("Fashion-MNIST is not installed at " << dir << "; skipped");
    return;
  }
  auto d = tfe::io::load_fashion_mnist("test", 16);
  CHECK(tfe::shape_of(d.images) == tfe::shape_t{16, 28, 28, 1});
  CHECK(d.labels.size() == 16);
  CHECK(xt::amax(d.images)() <= 1.0);
  CHECK(xt::amin(d.images)() >= 0.0);
  CHECK(int(d.labels(0)) == 9);  // the first test image is an ankle boot
}

}  // namespace test_idx
