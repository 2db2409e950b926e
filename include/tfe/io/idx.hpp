// tfe/io/idx.hpp: the IDX file format of (Fashion-)MNIST, read and written through zlib, so .gz files
// and uncompressed ones both work (zlib reads an uncompressed file transparently).
//
// IDX layout (big-endian): two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
// 0x0D f32, 0x0E f64), the number of dimensions, one uint32 per dimension, then the elements in
// row-major order. Every problem (missing file, corrupt gzip stream, bad magic, unknown type, a
// truncated body, trailing bytes) throws tfe::file_error naming the file and the problem.
//
//   auto test = tfe::io::load_fashion_mnist("test", 1000);    // first 1000 test images and labels
//   test.images   // (1000, 28, 28, 1) doubles in [0, 1]
//   test.labels   // (1000,) uint8 class ids 0..9
//
// The data set comes from the Debian package dataset-fashion-mnist (scripts/setup.sh installs it):
// /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, or the directory
// in $TFE_FASHION_MNIST_DIR. The library never downloads anything.
//
// Untrusted input (docs/security.md): the dimensions in the header are never trusted. Their product
// is checked (checked_shape_size: no overflow, at most max_tensor_elements = 2^32 elements), and the
// declared data must fit the file before anything is allocated: an uncompressed file must hold the
// bytes after its header, a gzip file at most max_deflate_ratio (1032) times its size. The data are
// then read in chunks of at most 64 MiB, so memory grows only with the bytes really present.
#pragma once

#include "tfe/detail/shape_limits.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/io/file_error.hpp"
#include "tfe/io/limits.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace tfe::io {

/// Element types of the IDX format (the third byte of the magic number).
enum class idx_type : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

inline std::size_t idx_type_size(idx_type t) {
  switch (t) {
    case idx_type::u8:
    case idx_type::i8:
      return 1;
    case idx_type::i16:
      return 2;
    case idx_type::i32:
    case idx_type::f32:
      return 4;
    case idx_type::f64:
      return 8;
  }
  return 0;
}

struct idx_header {
  idx_type type = idx_type::u8;
  shape_t shape;  ///< every dimension, as in the file
};

namespace detail {

/// A gzFile that closes itself; reads fail with file_error naming the path.
class gz_reader {
 public:
  explicit gz_reader(std::string path) : m_path(std::move(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(m_path, ec)) throw file_error(m_path, "no such file");
    if (std::filesystem::is_directory(m_path, ec)) throw file_error(m_path, "is a directory, not an IDX file");
    m_file = gzopen(m_path.c_str(), "rb");
    if (!m_file) throw file_error(m_path, std::string("cannot open: ") + std::strerror(errno));
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;
  ~gz_reader() {
    if (m_file) gzclose(m_file);
  }

  /// Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  std::size_t read(void* dst, std::size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    std::size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(m_file, out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(m_file, &code);
        throw file_error(m_path,
                         std::string("corrupt or unreadable compressed data (") + (msg ? msg : "zlib error") + ")");
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }
  const std::string& path() const { return m_path; }
  /// True when the file is not gzip-compressed (valid once something has been read).
  bool direct() const { return gzdirect(m_file) == 1; }
  /// The size of the file on disk.
  std::uint64_t file_bytes() const {
    std::error_code ec;
    const auto n = std::filesystem::file_size(m_path, ec);
    if (ec) throw file_error(m_path, "cannot get the file size: " + ec.message());
    return n;
  }

 private:
  std::string m_path;
  gzFile m_file = nullptr;
};

inline std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

inline idx_header read_idx_header(gz_reader& in) {
  unsigned char magic[4];
  const std::size_t got = in.read(magic, 4);
  if (got < 4) throw file_error(in.path(), "too short for an IDX file (" + std::to_string(got) + " bytes)");
  if (magic[0] != 0 || magic[1] != 0)
    throw file_error(in.path(), "not an IDX file (the magic number must start with two zero bytes)");
  const auto t = static_cast<idx_type>(magic[2]);
  if (idx_type_size(t) == 0) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", magic[2]);
    throw file_error(in.path(), std::string("unknown IDX element type ") + hex);
  }
  const unsigned nd = magic[3];
  if (nd == 0 || nd > 16) throw file_error(in.path(), "IDX file with " + std::to_string(nd) + " dimensions");
  std::vector<unsigned char> dims(4 * nd);
  if (in.read(dims.data(), dims.size()) < dims.size()) throw file_error(in.path(), "truncated IDX header");
  idx_header h;
  h.type = t;
  for (unsigned d = 0; d < nd; ++d) h.shape.push_back(be32(dims.data() + 4 * d));
  return h;
}

template <class T>
T from_be(const unsigned char* p) {
  unsigned char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = p[sizeof(T) - 1 - i];
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

inline double element(idx_type t, const unsigned char* p) {
  switch (t) {
    case idx_type::u8:
      return p[0];
    case idx_type::i8:
      return static_cast<std::int8_t>(p[0]);
    case idx_type::i16:
      return from_be<std::int16_t>(p);
    case idx_type::i32:
      return from_be<std::int32_t>(p);
    case idx_type::f32:
      return from_be<float>(p);
    case idx_type::f64:
      return from_be<double>(p);
  }
  return 0;
}

/// Reads the header and the raw body of the first `max_items` items (all when 0).
inline std::pair<idx_header, std::vector<unsigned char>> read_idx_raw(const std::string& path, std::size_t max_items) {
  gz_reader in(path);
  idx_header h = read_idx_header(in);
  const bool limited = max_items != 0 && max_items < h.shape[0];
  if (limited) h.shape[0] = max_items;
  // At most 2^32 elements of at most 8 bytes: `bytes` cannot overflow.
  const std::size_t count = checked_shape_size<file_error>(h.shape, path, "IDX header dimensions");
  const std::size_t bytes = count * idx_type_size(h.type);
  // The declared size must fit the file before anything is allocated.
  const std::uint64_t header = 4 + 4 * h.shape.size(), on_disk = in.file_bytes();
  if (in.direct() && bytes > (on_disk > header ? on_disk - header : 0))
    throw file_error(path, "truncated IDX data: IDX header dimensions " + shape_str(h.shape) + " declare " +
                               std::to_string(bytes) + " bytes but the file holds only " +
                               std::to_string(on_disk > header ? on_disk - header : 0) + " bytes after its header");
  if (!in.direct() && bytes / max_deflate_ratio > on_disk)
    throw file_error(path, "IDX header dimensions " + shape_str(h.shape) + " declare " + std::to_string(bytes) +
                               " bytes but the gzip file (" + std::to_string(on_disk) +
                               " bytes) cannot hold them (at most " + std::to_string(max_deflate_ratio) +
                               " times its size)");
  // Read in chunks: the buffer grows only with the data really present.
  std::vector<unsigned char> body;
  std::size_t got = 0;
  while (got < bytes) {
    const std::size_t n = std::min<std::size_t>(bytes - got, std::size_t(64) << 20);
    body.resize(got + n);
    const std::size_t r = in.read(body.data() + got, n);
    got += r;
    if (r < n) break;
  }
  if (got < bytes)
    throw file_error(path, "truncated IDX data: the header announces shape " + shape_str(h.shape) + " (" +
                               std::to_string(bytes) + " bytes) but only " + std::to_string(got) + " bytes follow");
  if (!limited) {
    unsigned char extra;
    if (in.read(&extra, 1) != 0)
      throw file_error(path, "trailing bytes after the IDX data of shape " + shape_str(h.shape));
  }
  return {std::move(h), std::move(body)};
}

}  // namespace detail

/// The header of an IDX file (type and shape) without reading its data.
inline idx_header read_idx_header(const std::string& path) {
  detail::gz_reader in(path);
  return detail::read_idx_header(in);
}

/// Any IDX file as doubles; only its first `max_items` items along axis 0 when max_items > 0.
inline xt::xarray<double> read_idx(const std::string& path, std::size_t max_items = 0) {
  auto [h, body] = detail::read_idx_raw(path, max_items);
  xt::xarray<double> out = xt::xarray<double>::from_shape(h.shape);
  const std::size_t w = idx_type_size(h.type);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = detail::element(h.type, body.data() + i * w);
  return out;
}

/// An IDX file of unsigned bytes (type 0x08), as stored; throws file_error for any other type.
inline xt::xarray<std::uint8_t> read_idx_u8(const std::string& path, std::size_t max_items = 0) {
  auto [h, body] = detail::read_idx_raw(path, max_items);
  if (h.type != idx_type::u8) throw file_error(path, "expected unsigned bytes (IDX type 0x08)");
  xt::xarray<std::uint8_t> out = xt::xarray<std::uint8_t>::from_shape(h.shape);
  std::copy(body.begin(), body.end(), out.data());
  return out;
}

/// Writes unsigned bytes as an IDX file (type 0x08), gzip-compressed when `gzip`; for tests and tools.
inline void write_idx(const std::string& path, const xt::xarray<std::uint8_t>& values, bool gzip = true) {
  const shape_t shape = shape_of(values);
  if (shape.empty() || shape.size() > 255) throw file_error(path, "IDX needs 1 to 255 dimensions");
  std::vector<unsigned char> bytes{0, 0, 0x08, static_cast<unsigned char>(shape.size())};
  for (auto d : shape) {
    if (d > 0xFFFFFFFFu) throw file_error(path, "IDX dimension " + std::to_string(d) + " does not fit 32 bits");
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<unsigned char>((d >> s) & 0xFF));
  }
  bytes.insert(bytes.end(), values.data(), values.data() + values.size());
  gzFile f = gzopen(path.c_str(), gzip ? "wb9" : "wbT");
  if (!f) throw file_error(path, std::string("cannot open for writing: ") + std::strerror(errno));
  const int n = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  const int rc = gzclose(f);
  if (n != static_cast<int>(bytes.size()) || rc != Z_OK) throw file_error(path, "write failed");
}

// ---- Fashion-MNIST ------------------------------------------------------------------------------

inline constexpr std::array<const char*, 10> fashion_mnist_classes = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// $TFE_FASHION_MNIST_DIR, or where the Debian package dataset-fashion-mnist installs the files.
inline std::string fashion_mnist_dir() {
  if (const char* d = std::getenv("TFE_FASHION_MNIST_DIR"); d && *d) return d;
  return "/usr/share/datasets/fashion-mnist";
}

struct image_dataset {
  xt::xarray<double> images;        ///< (n, 28, 28, 1), NHWC, pixel values scaled to [0, 1]
  xt::xarray<std::uint8_t> labels;  ///< (n,), class ids
};

/// The "train" (60000) or "test" (10000) split of Fashion-MNIST; only the first `limit` examples when
/// limit > 0. Throws file_error (naming the file and the Debian package) when the data are missing.
inline image_dataset load_fashion_mnist(const std::string& split, std::size_t limit = 0, std::string dir = {}) {
  if (split != "train" && split != "test")
    throw file_error(split, "unknown Fashion-MNIST split (use \"train\" or \"test\")");
  if (dir.empty()) dir = fashion_mnist_dir();
  const std::string stem = dir + "/" + (split == "train" ? "train" : "t10k");
  const std::string img_path = stem + "-images-idx3-ubyte.gz", lbl_path = stem + "-labels-idx1-ubyte.gz";
  for (const auto& p : {img_path, lbl_path}) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec))
      throw file_error(p,
                       "Fashion-MNIST not found: install the Debian package dataset-fashion-mnist "
                       "(bash scripts/setup.sh does) or set TFE_FASHION_MNIST_DIR");
  }
  auto raw = read_idx_u8(img_path, limit);
  auto labels = read_idx_u8(lbl_path, limit);
  if (raw.dimension() != 3) throw file_error(img_path, "expected 3-D images, got shape " + shape_str(shape_of(raw)));
  if (labels.dimension() != 1 || labels.shape()[0] != raw.shape()[0])
    throw file_error(lbl_path, "has shape " + shape_str(shape_of(labels)) + " but the images have shape " +
                                   shape_str(shape_of(raw)));
  image_dataset d;
  d.images = xt::xarray<double>::from_shape({raw.shape()[0], raw.shape()[1], raw.shape()[2], std::size_t(1)});
  const std::uint8_t* in = raw.data();  // pointers taken once: unoptimized, data() is a call per element
  double* out = d.images.data();
  for (std::size_t i = 0, n = raw.size(); i < n; ++i) out[i] = in[i] / 255.0;
  d.labels = std::move(labels);
  return d;
}

/// Labels as one-hot rows (n, classes); a label ≥ classes throws tfe::error.
inline xt::xarray<double> one_hot(const xt::xarray<std::uint8_t>& labels, std::size_t classes) {
  xt::xarray<double> out = xt::zeros<double>({labels.size(), classes});
  for (std::size_t i = 0; i < labels.size(); ++i) {
    TFE_ENFORCE(labels.data()[i] < classes, error, "label ", int(labels.data()[i]), " at index ", i,
                " is not below the number of classes ", classes);
    out(i, labels.data()[i]) = 1.0;
  }
  return out;
}

}  // namespace tfe::io
