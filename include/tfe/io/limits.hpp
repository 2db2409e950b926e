// tfe/io/limits.hpp: the size limits of tfe's file readers (io/npy.hpp, io/idx.hpp), which never trust
// a size written in a file (docs/security.md, "Untrusted files and peers: size limits").
#pragma once

#include <cstdint>

namespace tfe::io {

/// Deflate's maximum compression ratio (a 258-byte match costs at least 2 bits): compressed data
/// (a deflated zip entry, a gzip IDX file) that declares more than 1032 times its compressed size is
/// refused before anything is allocated.
inline constexpr std::uint64_t max_deflate_ratio = 1032;

/// The largest uncompressed size of one deflated zip entry that read_zip accepts: 2 GiB.
inline constexpr std::uint64_t max_zip_entry_bytes = std::uint64_t(1) << 31;

}  // namespace tfe::io
