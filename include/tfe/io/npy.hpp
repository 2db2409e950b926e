// tfe/io/npy.hpp: NumPy's .npy and .npz formats, for weights and model files.
//
// .npy: written with xtensor's xt::dump_npy (format 1.0, little-endian, C order); read by the parser
// below, which accepts what numpy writes for real and integer arrays (any byte order, C or Fortran
// order, format versions 1, 2 and 3) and converts to double. A bad file throws tfe::file_error naming
// the file (or the archive entry) and the problem; xtensor's own reader does not check for truncated
// data nor convert element types, hence the parser.
//
// .npz: a zip archive with one NAME.npy entry per array, as numpy.savez writes it. The zip reader and
// writer below use zlib: entries are stored or deflated (method 0 or 8), CRC-32 checked, zip64 size
// fields understood; numpy.load reads what save_npz writes (entries are deflated, as
// numpy.savez_compressed does, unless compress = false). Archive members that are not .npy files
// (a model file's architecture.json) are reachable through read_zip.
//
// Untrusted input (docs/security.md): sizes in a file are never trusted.
//   .npy  the shape's element count is computed with checked_shape_size (no overflow, at most
//         max_tensor_elements = 2^32) and must fit the bytes that really follow the header; each
//         dimension has at most 19 digits.
//   zip   every field read stays inside its record (central directory, zip64 extra field, local
//         header) and every offset/size inside the file; a deflated entry may declare at most
//         max_deflate_ratio (1032, deflate's maximum) times its compressed size and at most
//         max_zip_entry_bytes (2 GiB); the entries' compressed sizes together fit the archive (no
//         two entries share data); inflation grows its buffer with the data really produced.
#pragma once

#include "tfe/detail/shape_limits.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/io/file_error.hpp"
#include "tfe/io/limits.hpp"

#include <zlib.h>
#include <xtensor/xnpy.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tfe::io {

/// Element type of a written .npy: float32 (half the size; exact for the fixed-point values of the
/// ring64 preset with |x| < 2^8) or float64.
enum class npy_dtype { f4, f8 };

// ---- .npy ---------------------------------------------------------------------------------------

/// The bytes of a .npy file holding `a` as float32 or float64.
inline std::string to_npy(const xt::xarray<double>& a, npy_dtype dtype = npy_dtype::f4) {
  if (dtype == npy_dtype::f8) return xt::dump_npy(a);
  xt::xarray<float> f = xt::cast<float>(a);
  return xt::dump_npy(f);
}

namespace detail {

inline std::string npy_field(const std::string& header, const std::string& key, const std::string& where) {
  std::size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) k = header.find("\"" + key + "\"");
  if (k == std::string::npos) throw file_error(where, "npy header has no '" + key + "' field: " + header);
  std::size_t colon = header.find(':', k);
  if (colon == std::string::npos) throw file_error(where, "malformed npy header: " + header);
  std::size_t b = header.find_first_not_of(" \t", colon + 1);
  if (b == std::string::npos) throw file_error(where, "malformed npy header: " + header);
  if (header[b] == '\'' || header[b] == '"') {
    std::size_t e = header.find(header[b], b + 1);
    if (e == std::string::npos) throw file_error(where, "malformed npy header: " + header);
    return header.substr(b + 1, e - b - 1);
  }
  if (header[b] == '(') {
    std::size_t e = header.find(')', b);
    if (e == std::string::npos) throw file_error(where, "malformed npy header: " + header);
    return header.substr(b, e - b + 1);
  }
  std::size_t e = header.find_first_of(",}", b);
  return header.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

inline shape_t npy_shape(const std::string& tuple, const std::string& where) {
  shape_t shape;
  std::size_t i = 1;
  while (i < tuple.size()) {
    while (i < tuple.size() && (tuple[i] == ' ' || tuple[i] == ',')) ++i;
    if (i >= tuple.size() || tuple[i] == ')') break;
    std::size_t j = i;
    while (j < tuple.size() && tuple[j] >= '0' && tuple[j] <= '9') ++j;
    if (j == i) throw file_error(where, "malformed npy shape " + tuple);
    if (j - i > 19) throw file_error(where, "npy header field 'shape' " + tuple + " has a dimension that is too large");
    shape.push_back(static_cast<std::size_t>(std::stoull(tuple.substr(i, j - i))));
    i = j;
  }
  return shape;
}

template <class T>
double load_scalar(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = swap ? p[sizeof(T) - 1 - i] : p[i];
  T v;
  std::memcpy(&v, b, sizeof(T));
  return static_cast<double>(v);
}

}  // namespace detail

/// Parses .npy bytes into doubles; `where` names the file (or archive entry) in errors.
inline xt::xarray<double> from_npy(const std::string& bytes, const std::string& where) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, magic, 6) != 0)
    throw file_error(where, "not a .npy file (bad magic string)");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned major = u[6];
  std::size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = u[8] | (std::size_t(u[9]) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw file_error(where, "truncated .npy header");
    hlen = u[8] | (std::size_t(u[9]) << 8) | (std::size_t(u[10]) << 16) | (std::size_t(u[11]) << 24);
    hstart = 12;
  } else {
    throw file_error(where, "unsupported .npy format version " + std::to_string(major));
  }
  if (bytes.size() < hstart + hlen) throw file_error(where, "truncated .npy header");
  const std::string header = bytes.substr(hstart, hlen);
  const std::string descr = detail::npy_field(header, "descr", where);
  const std::string fortran = detail::npy_field(header, "fortran_order", where);
  const shape_t shape = detail::npy_shape(detail::npy_field(header, "shape", where), where);
  if (descr.size() < 3) throw file_error(where, "unsupported npy dtype '" + descr + "'");
  const char order = descr[0], kind = descr[1];
  std::size_t width = 0;  // the digits after the kind, all of them (atoi would accept "4x", overflow on 20 digits)
  const auto [end, ec] = std::from_chars(descr.data() + 2, descr.data() + descr.size(), width);
  if (ec != std::errc() || end != descr.data() + descr.size()) width = 0;
  const bool little_host = [] {
    const std::uint16_t one = 1;
    unsigned char c;
    std::memcpy(&c, &one, 1);
    return c == 1;
  }();
  const bool swap = width > 1 && ((order == '>' && little_host) || (order == '<' && !little_host));
  using loader = double (*)(const unsigned char*, bool);
  loader load = nullptr;
  if (kind == 'f' && width == 4) load = &detail::load_scalar<float>;
  if (kind == 'f' && width == 8) load = &detail::load_scalar<double>;
  if (kind == 'i' && width == 1) load = &detail::load_scalar<std::int8_t>;
  if (kind == 'i' && width == 2) load = &detail::load_scalar<std::int16_t>;
  if (kind == 'i' && width == 4) load = &detail::load_scalar<std::int32_t>;
  if (kind == 'i' && width == 8) load = &detail::load_scalar<std::int64_t>;
  if ((kind == 'u' || kind == 'b') && width == 1) load = &detail::load_scalar<std::uint8_t>;
  if (kind == 'u' && width == 2) load = &detail::load_scalar<std::uint16_t>;
  if (kind == 'u' && width == 4) load = &detail::load_scalar<std::uint32_t>;
  if (kind == 'u' && width == 8) load = &detail::load_scalar<std::uint64_t>;
  if (!load || (order != '<' && order != '>' && order != '|' && order != '='))
    throw file_error(where, "unsupported npy dtype '" + descr + "' (real and integer types only)");
  // Checked product (at most max_tensor_elements, so count * width cannot overflow either): a shape
  // whose product wraps around must not pass the size check below.
  const std::size_t count = checked_shape_size<file_error>(shape, where, "npy header field 'shape'");
  const std::size_t need = count * width, start = hstart + hlen;
  if (bytes.size() - start < need)
    throw file_error(where, "truncated .npy data: shape " + shape_str(shape) + " of '" + descr + "' needs " +
                                std::to_string(need) + " bytes but " + std::to_string(bytes.size() - start) +
                                " follow");
  const auto* body = u + start;
  xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
  if (fortran == "True" && shape.size() > 1) {
    shape_t rev(shape.rbegin(), shape.rend());
    xt::xarray<double> t = xt::xarray<double>::from_shape(rev);
    for (std::size_t i = 0; i < count; ++i) t.data()[i] = load(body + i * width, swap);
    out = xt::transpose(t);
  } else {
    for (std::size_t i = 0; i < count; ++i) out.data()[i] = load(body + i * width, swap);
  }
  return out;
}

inline std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, "cannot open for reading");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw file_error(path, "cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw file_error(path, "write failed");
}

/// The numpy dtype string of the .npy file at `path` (e.g. "<f4", "<i8"), from its header.
inline std::string npy_dtype_of(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, magic, 6) != 0)
    throw file_error(path, "not a .npy file (bad magic string)");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t hstart = u[6] == 1 ? 10 : 12;
  if (bytes.size() < hstart) throw file_error(path, "truncated .npy header");
  const std::size_t hlen =
      u[6] == 1 ? (u[8] | (std::size_t(u[9]) << 8))
                : (u[8] | (std::size_t(u[9]) << 8) | (std::size_t(u[10]) << 16) | (std::size_t(u[11]) << 24));
  if (bytes.size() < hstart + hlen) throw file_error(path, "truncated .npy header");
  return detail::npy_field(bytes.substr(hstart, hlen), "descr", path);
}

inline void save_npy(const std::string& path, const xt::xarray<double>& a, npy_dtype dtype = npy_dtype::f4) {
  write_file_bytes(path, to_npy(a, dtype));
}
inline xt::xarray<double> load_npy(const std::string& path) { return from_npy(read_file_bytes(path), path); }

// ---- zip archives -------------------------------------------------------------------------------

struct zip_entry {
  std::string name;
  std::string data;
};

namespace detail {

inline void put16(std::string& s, std::uint32_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}
inline std::uint32_t get16(const std::string& s, std::size_t at) {
  return std::uint32_t(static_cast<unsigned char>(s[at])) | (std::uint32_t(static_cast<unsigned char>(s[at + 1])) << 8);
}
inline std::uint32_t get32(const std::string& s, std::size_t at) { return get16(s, at) | (get16(s, at + 2) << 16); }
inline std::uint64_t get64(const std::string& s, std::size_t at) {
  return std::uint64_t(get32(s, at)) | (std::uint64_t(get32(s, at + 4)) << 32);
}

inline std::uint32_t crc32_of(const std::string& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t off = 0;
  while (off < data.size()) {
    const uInt n = static_cast<uInt>(std::min<std::size_t>(data.size() - off, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + off), n);
    off += n;
  }
  return static_cast<std::uint32_t>(crc);
}

/// Raw deflate (no zlib header), as zip stores it.
inline std::string deflate_raw(const std::string& in, const std::string& where) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw file_error(where, "zlib deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw file_error(where, "zlib deflate failed");
  out.resize(zs.total_out);
  return out;
}

/// Inflates exactly `size` bytes (checked against the compressed size by the caller). The output buffer
/// grows with the data really produced, so a stream shorter than declared never costs `size` bytes.
inline std::string inflate_raw(const std::string& in, std::size_t size, const std::string& where) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) throw file_error(where, "zlib inflateInit2 failed");
  constexpr std::size_t chunk = std::size_t(1) << 30;  // zlib counts in 32-bit uInt
  std::string out(std::min<std::size_t>(size, std::size_t(1) << 20), '\0');
  std::size_t in_off = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_off < in.size()) {
      const std::size_t n = std::min(in.size() - in_off, chunk);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_off));
      zs.avail_in = static_cast<uInt>(n);
      in_off += n;
    }
    const std::size_t produced = zs.total_out;
    if (produced == out.size())  // grow geometrically up to `size`, then one spare byte to detect more
      out.resize(out.size() >= size ? size + 1 : std::min(size, std::max<std::size_t>(2 * out.size(), 1u << 20)));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, chunk));
    rc = inflate(&zs, Z_NO_FLUSH);
    if ((rc != Z_OK && rc != Z_STREAM_END) || zs.total_out > size) break;
  }
  const std::size_t produced = zs.total_out;
  const std::string msg = zs.msg ? zs.msg : "code " + std::to_string(rc);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != size)
    throw file_error(where, "corrupt deflate data (zlib: " + msg + "; " + std::to_string(produced) + " bytes where " +
                                std::to_string(size) + " were declared)");
  out.resize(size);
  return out;
}

}  // namespace detail

/// Writes a zip archive (entries deflated when `compress`, stored otherwise; fixed timestamps, so the
/// same entries always give the same bytes).
inline void write_zip(const std::string& path, const std::vector<zip_entry>& entries, bool compress = true) {
  using detail::put16;
  using detail::put32;
  std::string out, central;
  for (const auto& e : entries) {
    if (e.name.empty() || e.name.size() > 0xFFFF) throw file_error(path, "bad archive entry name '" + e.name + "'");
    if (e.data.size() >= 0xFFFFFFFFu)
      throw file_error(path, "entry '" + e.name + "' is too large (zip64 is not written)");
    const std::uint32_t crc = detail::crc32_of(e.data);
    std::string packed = compress ? detail::deflate_raw(e.data, path) : e.data;
    std::uint32_t method = compress ? 8 : 0;
    if (compress && packed.size() >= e.data.size()) {
      packed = e.data;  // incompressible: store
      method = 0;
    }
    const std::uint32_t offset = static_cast<std::uint32_t>(out.size());
    auto common = [&](std::string& s) {
      put16(s, 20);                       // version needed: 2.0
      put16(s, 0);                        // flags
      put16(s, method);                   // compression
      put16(s, 0);                        // time 00:00:00
      put16(s, (0 << 9) | (1 << 5) | 1);  // date 1980-01-01
      put32(s, crc);
      put32(s, static_cast<std::uint32_t>(packed.size()));
      put32(s, static_cast<std::uint32_t>(e.data.size()));
      put16(s, static_cast<std::uint32_t>(e.name.size()));
      put16(s, 0);  // extra length
    };
    put32(out, 0x04034b50);
    common(out);
    out += e.name;
    out += packed;
    put32(central, 0x02014b50);
    put16(central, 20);  // version made by
    common(central);
    put16(central, 0);  // comment length
    put16(central, 0);  // disk number
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, offset);
    central += e.name;
    if (out.size() >= 0xFFFFFFFFu) throw file_error(path, "archive too large (zip64 is not written)");
  }
  const std::uint32_t cd_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  write_file_bytes(path, out);
}

/// Every entry of the zip archive in `z` (stored or deflated; CRC-checked); `path` names the archive
/// in errors (the file it was read from).
inline std::vector<zip_entry> read_zip_bytes(const std::string& z, const std::string& path) {
  using detail::get16;
  using detail::get32;
  auto need = [&](std::size_t at, std::size_t n, const char* what) {
    if (at > z.size() || z.size() - at < n) throw file_error(path, std::string("truncated zip archive (") + what + ")");
  };
  // The end-of-central-directory record is in the last 22 + 65535 bytes.
  if (z.size() < 22) throw file_error(path, "not a zip/npz archive (too short)");
  std::size_t eocd = std::string::npos;
  const std::size_t lowest = z.size() > 22 + 65535 ? z.size() - 22 - 65535 : 0;
  for (std::size_t i = z.size() - 22 + 1; i-- > lowest;)
    if (get32(z, i) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == std::string::npos) throw file_error(path, "not a zip/npz archive (no end-of-central-directory record)");
  std::uint64_t count = get16(z, eocd + 10);
  std::uint64_t cd_offset = get32(z, eocd + 16);
  if (cd_offset == 0xFFFFFFFFu || count == 0xFFFF) {
    // zip64: the locator sits right before the EOCD record.
    if (eocd < 20 || get32(z, eocd - 20) != 0x07064b50) throw file_error(path, "malformed zip64 archive");
    const std::uint64_t rec = detail::get64(z, eocd - 20 + 8);
    need(rec, 56, "zip64 end record");
    if (get32(z, rec) != 0x06064b50) throw file_error(path, "malformed zip64 end record");
    count = detail::get64(z, rec + 32);
    cd_offset = detail::get64(z, rec + 48);
  }
  std::vector<zip_entry> out;
  std::size_t at = cd_offset;
  std::uint64_t packed_total = 0;  // entries may not share compressed data (see below)
  for (std::uint64_t k = 0; k < count; ++k) {
    need(at, 46, "central directory");
    if (get32(z, at) != 0x02014b50) throw file_error(path, "corrupt zip central directory");
    const std::uint32_t flags = get16(z, at + 8), method = get16(z, at + 10), crc = get32(z, at + 16);
    std::uint64_t csize = get32(z, at + 20), usize = get32(z, at + 24);
    const std::size_t nlen = get16(z, at + 28), xlen = get16(z, at + 30), clen = get16(z, at + 32);
    std::uint64_t local = get32(z, at + 42);
    need(at + 46, nlen + xlen + clen, "central directory entry");
    std::string name = z.substr(at + 46, nlen);
    const std::string where = path + ":" + name;
    // Extra fields: each (id, len, data) must end inside the record's extra area. zip64 (id 1): the
    // 0xFFFFFFFF fields, in the order usize, csize, offset, each 8 bytes inside the field.
    const std::size_t xend = at + 46 + nlen + xlen;
    for (std::size_t x = at + 46 + nlen; x < xend;) {
      if (xend - x < 4) throw file_error(where, "zip extra field header runs past its central directory record");
      const std::uint32_t id = get16(z, x), len = get16(z, x + 2);
      if (len > xend - x - 4)
        throw file_error(where, "zip extra field (id " + std::to_string(id) + ") declares " + std::to_string(len) +
                                    " bytes, past the end of its central directory record");
      if (id == 0x0001) {
        std::size_t p = x + 4;
        const std::size_t fend = x + 4 + len;
        auto field = [&](std::uint64_t& v) {
          if (v != 0xFFFFFFFFu) return;
          if (fend - p < 8) throw file_error(where, "zip64 extra field too short for its 8-byte sizes");
          v = detail::get64(z, p);
          p += 8;
        };
        field(usize);
        field(csize);
        field(local);
      }
      x += 4 + len;
    }
    at += 46 + nlen + xlen + clen;
    if (flags & 1u) throw file_error(where, "encrypted zip entries are not supported");
    need(local, 30, "local header");
    if (get32(z, local) != 0x04034b50) throw file_error(where, "corrupt zip local header");
    const std::size_t data_at = local + 30 + get16(z, local + 26) + get16(z, local + 28);
    need(data_at, csize, "entry data");
    // Entries whose data overlap (central directory records pointing at the same local data) would
    // multiply the output beyond max_deflate_ratio times the archive: their sizes must fit it together.
    packed_total += csize;
    if (packed_total > z.size())
      throw file_error(where, "the compressed data of the entries so far (" + std::to_string(packed_total) +
                                  " bytes) exceed the archive's " + std::to_string(z.size()) +
                                  " bytes: entries that share data are not supported");
    std::string packed = z.substr(data_at, csize), data;
    if (method == 0) {
      if (csize != usize) throw file_error(where, "stored entry with different sizes");
      data = std::move(packed);
    } else if (method == 8) {
      // A declared size is a promise of the file: cap it by what the compressed bytes can produce.
      if (usize / max_deflate_ratio > csize || (usize > 0 && csize == 0))
        throw file_error(where, "declared uncompressed size " + std::to_string(usize) + " exceeds " +
                                    std::to_string(max_deflate_ratio) + " times the compressed size " +
                                    std::to_string(csize) + " (deflate's maximum ratio)");
      if (usize > max_zip_entry_bytes)
        throw file_error(where, "declared uncompressed size " + std::to_string(usize) + " exceeds the limit of " +
                                    std::to_string(max_zip_entry_bytes) + " bytes per entry");
      data = detail::inflate_raw(packed, static_cast<std::size_t>(usize), where);
    } else {
      throw file_error(where,
                       "unsupported zip compression method " + std::to_string(method) + " (only store and deflate)");
    }
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // fuzz/: mutated entries reach the parsers behind
    if (detail::crc32_of(data) != crc) throw file_error(where, "CRC-32 mismatch (the archive is corrupt)");
#else
    (void)crc;
#endif
    out.push_back({std::move(name), std::move(data)});
  }
  return out;
}

/// Reads every entry of a zip archive (stored or deflated; CRC-checked).
inline std::vector<zip_entry> read_zip(const std::string& path) { return read_zip_bytes(read_file_bytes(path), path); }

// ---- .npz ---------------------------------------------------------------------------------------

using named_arrays = std::vector<std::pair<std::string, xt::xarray<double>>>;

/// Writes arrays as NAME.npy entries of an .npz archive, in the given order.
inline void save_npz(const std::string& path, const named_arrays& arrays, npy_dtype dtype = npy_dtype::f4,
                     bool compress = true, std::vector<zip_entry> extra = {}) {
  std::vector<zip_entry> entries = std::move(extra);
  for (const auto& [name, a] : arrays) entries.push_back({name + ".npy", to_npy(a, dtype)});
  write_zip(path, entries, compress);
}

/// Every .npy entry of the .npz archive in `bytes`, in archive order, named without the ".npy" suffix;
/// `path` names the archive in errors. Other entries are skipped (read_zip_bytes returns them).
inline named_arrays load_npz_bytes(const std::string& bytes, const std::string& path) {
  named_arrays out;
  for (auto& e : read_zip_bytes(bytes, path)) {
    if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) continue;
    out.emplace_back(e.name.substr(0, e.name.size() - 4), from_npy(e.data, path + ":" + e.name));
  }
  return out;
}

/// Every .npy entry of an .npz archive, in archive order, named without the ".npy" suffix. Other
/// entries are skipped (read_zip returns them).
inline named_arrays load_npz(const std::string& path) { return load_npz_bytes(read_file_bytes(path), path); }

}  // namespace tfe::io
