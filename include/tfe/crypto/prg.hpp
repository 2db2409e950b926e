// tfe/crypto/prg.hpp: the one source of randomness in tfe: AES-128-CTR keystream (OpenSSL EVP), keyed from the OS.
//
// Every mask, share and triple in tfe is drawn from a prg. Security rests on two facts only:
//   * keys come from getrandom(2) (os_random_seed), or from a seed that was itself drawn that way
//     and then exchanged between players (shared streams, fork);
//   * the output is the AES-128-CTR encryption of zeros under that key, i.e. the raw keystream,
//     which is computationally indistinguishable from uniform bytes.
// There is no fallback generator: if the OS or OpenSSL fails we throw rather than hand out weak bytes.
// The only non-secret way to build a prg is prg::insecure_from_fixed_seed, named so on purpose.
//
// Determinism: a prg is a pure function of (key, iv) and the sequence of calls made on it, so two
// players holding the same seed and making the same calls get the same values. Keep that in mind when
// changing how many bytes any sampler consumes: both sides must run the same code.
//
// A prg is not thread-safe (it owns one cipher context); give each thread its own, e.g. via fork().
//
// Key hygiene: a prg keeps its key only inside the OpenSSL cipher context, which EVP_CIPHER_CTX_free
// wipes. Every other copy of a key or seed (a seed_t on the stack, the byte vector a seed is sent or
// received in) is wiped with secure_wipe, usually through a wipe_on_exit guard, so it is gone when
// its scope ends, exceptions included (docs/security.md).
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tfe {

/// A 128-bit AES key (also used as the seed that players exchange to share a stream).
using seed_t = std::array<std::uint8_t, 16>;

namespace detail {

/// Throws tfe::error naming the failed call and OpenSSL's reason, and empties the error queue so a
/// stale entry never gets blamed for a later failure.
[[noreturn]] inline void throw_openssl_error(const char* what) {
  unsigned long code = ERR_get_error();
  std::string reason = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    reason = buf;
  }
  ERR_clear_error();
  throw error(concat("prg: ", what, " failed: ", reason));
}

struct evp_cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }  // also wipes the key schedule
};

/// Built-in rings whose in-memory layout is exactly ring_traits<R>::load's little-endian byte layout,
/// so keystream bytes can be written straight into the tensor's storage.
template <class R>
inline constexpr bool prg_memcpy_ring = std::is_same_v<R, ring64> || std::is_same_v<R, ring128>;

}  // namespace detail

/// Overwrites n bytes at p with zeros; unlike memset, the compiler may not drop it as a dead store
/// (OPENSSL_cleanse).
inline void secure_wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n > 0) OPENSSL_cleanse(p, n);
}

/// Wipes the buffers it was given (secure_wipe) when it goes out of scope, exceptions included:
///   seed_t seed = g.next_seed();
///   std::vector<std::uint8_t> wire(seed.begin(), seed.end());
///   wipe_on_exit wipe(seed, wire);
/// A vector is wiped as it is at the end of the scope (its size then); fixed buffers as given.
class wipe_on_exit {
 public:
  wipe_on_exit() = default;
  template <class... Buffers>
  explicit wipe_on_exit(Buffers&... buffers) {
    (add(buffers), ...);
  }
  wipe_on_exit(const wipe_on_exit&) = delete;
  wipe_on_exit& operator=(const wipe_on_exit&) = delete;
  ~wipe_on_exit() {
    for (const auto& [p, n] : m_fixed) secure_wipe(p, n);
    for (auto* v : m_vectors) secure_wipe(v->data(), v->size());
  }

  void add(void* p, std::size_t n) { m_fixed.emplace_back(p, n); }
  template <std::size_t N>
  void add(std::array<std::uint8_t, N>& a) {
    add(a.data(), N);
  }
  void add(std::vector<std::uint8_t>& v) { m_vectors.push_back(&v); }
  template <std::size_t N>
  void add(std::vector<std::array<std::uint8_t, N>>& v) {  // must not grow after this
    add(v.data(), v.size() * N);
  }

 private:
  std::vector<std::pair<void*, std::size_t>> m_fixed;
  std::vector<std::vector<std::uint8_t>*> m_vectors;
};

/// Fills `seed` from the kernel CSPRNG (in place: no other copy of it is made). getrandom may return
/// short reads (signals, large requests), so we loop; flags = 0 blocks until the kernel pool is
/// initialised, which is what we want for keys.
inline void fill_os_random(seed_t& seed) {
  std::size_t filled = 0;
  while (filled < seed.size()) {
    ssize_t got = ::getrandom(seed.data() + filled, seed.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      secure_wipe(seed.data(), seed.size());
      throw error(detail::concat("os_random_seed: getrandom failed: ", std::strerror(err)));
    }
    filled += static_cast<std::size_t>(got);
  }
}

/// 16 bytes from the kernel CSPRNG (the caller wipes them after use).
inline seed_t os_random_seed() {
  seed_t seed{};
  fill_os_random(seed);
  return seed;
}

/// Cryptographic pseudo-random generator: the AES-128-CTR keystream under one key. Move-only.
class prg {
 public:
  /// Keyed from the OS: the default for anything a single player draws privately.
  prg() {
    seed_t key{};
    wipe_on_exit wipe(key);
    fill_os_random(key);
    init(key, seed_t{});
  }

  /// Deterministic stream from key (and iv). Used for streams shared between players, whose seed was
  /// drawn with os_random_seed/next_seed and exchanged; never pass a constant key here.
  explicit prg(const seed_t& key, const std::array<std::uint8_t, 16>& iv = {}) { init(key, iv); }

  /// Reproducible stream for tests only: the key is a public 64-bit number, so the output is NOT secret.
  /// The key is padded with a fixed tag so these streams are at least distinct from prg(seed_t{...}).
  static prg insecure_from_fixed_seed(std::uint64_t seed) {
    seed_t key{};
    for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(seed >> (8 * i));
    static constexpr char tag[8] = {'t', 'f', 'e', '-', 'i', 'n', 's', 'c'};
    std::memcpy(key.data() + 8, tag, 8);
    return prg(key);
  }

  prg(prg&&) noexcept = default;
  prg& operator=(prg&&) noexcept = default;
  prg(const prg&) = delete;  // a copy would replay the same stream: a silent security bug
  prg& operator=(const prg&) = delete;
  ~prg() = default;

  /// The next n keystream bytes. Bytes are produced by encrypting zeros in place, in chunks that stay
  /// in cache, one EVP_EncryptUpdate per chunk. The EVP context keeps the counter and the position
  /// inside the current block across calls, so any split of the same total yields the same bytes.
  void fill_bytes(void* out, std::size_t n) { apply_keystream(out, n, true); }

  /// XORs the next n keystream bytes into buf: the same stream position and bytes as fill_bytes(n)
  /// (CTR-encrypting buf in place is exactly buf ⊕ keystream), for masking data where it lies.
  void xor_bytes(void* buf, std::size_t n) { apply_keystream(buf, n, false); }

  /// 16 bytes of the stream, e.g. a seed to send to another player or to key a sub-stream.
  seed_t next_seed() {
    seed_t s;  // returned in place (NRVO); the caller wipes it (wipe_on_exit)
    fill_bytes(s.data(), s.size());
    return s;
  }

  /// Independent sub-stream keyed by next_seed(). Two players holding the same stream fork identically;
  /// the parent continues past the seed, so parent and child never share keystream.
  prg fork() {
    seed_t key{};
    wipe_on_exit wipe(key);
    fill_bytes(key.data(), key.size());
    return prg(key);
  }

  /// One element uniform over the whole ring.
  template <class R>
  R next() {
    std::array<std::uint8_t, ring_traits<R>::bytes> buf;
    fill_bytes(buf.data(), buf.size());
    return ring_traits<R>::load(buf.data());
  }

  /// Overwrites every element of out with a uniform ring element, in bulk.
  template <class R>
  void fill(ring_tensor<R>& out) {
    constexpr std::size_t elem_bytes = ring_traits<R>::bytes;
    const std::size_t n = out.size();
    if (n == 0) return;
    if constexpr (detail::prg_memcpy_ring<R>) {
      // load() is a memcpy for these types, so writing the keystream into the storage is the same thing
      // without the detour through a separate buffer.
      fill_bytes(out.data(), n * elem_bytes);
    } else {
      // Wide rings are not byte-layout compatible: go through a bounded byte buffer and load each.
      const std::size_t per_chunk = std::max<std::size_t>(1, chunk_bytes / elem_bytes);
      std::vector<std::uint8_t> buf(std::min(n, per_chunk) * elem_bytes);
      R* dst = out.data();
      for (std::size_t done = 0; done < n;) {
        std::size_t k = std::min(n - done, per_chunk);
        fill_bytes(buf.data(), k * elem_bytes);
        for (std::size_t i = 0; i < k; ++i) dst[done + i] = ring_traits<R>::load(buf.data() + i * elem_bytes);
        done += k;
      }
      OPENSSL_cleanse(buf.data(), buf.size());
    }
  }

  /// A tensor of the given shape, uniform over the whole ring.
  template <class R>
  ring_tensor<R> uniform(const shape_t& shape) {
    auto out = ring_tensor<R>::from_shape(shape);
    fill(out);
    return out;
  }

  /// A tensor of independent uniform bits (each element 0 or 1); one keystream bit per element.
  template <class R>
  ring_tensor<R> uniform_bits(const shape_t& shape) {
    auto out = ring_tensor<R>::from_shape(shape);
    const std::size_t n = out.size();
    if (n == 0) return out;
    std::vector<std::uint8_t> buf((n + 7) / 8);
    fill_bytes(buf.data(), buf.size());
    R* dst = out.data();
    for (std::size_t i = 0; i < n; ++i) dst[i] = ring_traits<R>::from_uint((buf[i / 8] >> (i % 8)) & 1U);
    OPENSSL_cleanse(buf.data(), buf.size());
    return out;
  }

  /// A tensor uniform in [0, bound) (e.g. Z_p for the p = 67 of the comparison protocols).
  ///
  /// Rejection sampling without modulo bias: draw w-byte words x (w the smallest of 1, 2, 4, 8 bytes
  /// that holds bound - 1) and accept only x >= 2^(8w) mod bound; the accepted range then has a size
  /// that is a multiple of bound, so x mod bound is exactly uniform. For p = 67 that is one byte per
  /// draw with acceptance 201/256.
  template <class R>
  ring_tensor<R> uniform_below(std::uint64_t bound, const shape_t& shape) {
    TFE_ENFORCE(bound >= 1, error, "prg::uniform_below: bound must be >= 1, got ", bound);
    auto out = ring_tensor<R>::from_shape(shape);
    const std::size_t n = out.size();
    if (n == 0) return out;

    std::size_t w = 8;
    for (std::size_t cand : {1, 2, 4}) {
      if (bound <= (std::uint64_t{1} << (8 * cand))) {
        w = cand;
        break;
      }
    }
    // threshold = 2^(8w) mod bound, computed without overflowing for w = 8 (0 - bound = 2^64 - bound).
    const std::uint64_t threshold = w == 8 ? (std::uint64_t{0} - bound) % bound : (std::uint64_t{1} << (8 * w)) % bound;
    const double accept = 1.0 - static_cast<double>(threshold) / std::ldexp(1.0, static_cast<int>(8 * w));
    const std::size_t max_draws = std::max<std::size_t>(1, chunk_bytes / w);

    std::vector<std::uint8_t> buf;
    R* dst = out.data();
    std::size_t done = 0;
    while (done < n) {
      // Draw a little more than the expected need so one round usually suffices; leftovers are discarded.
      // The count depends only on (bound, n, stream), so parties sharing the stream stay in lockstep.
      const std::size_t remaining = n - done;
      const auto want = static_cast<std::size_t>(std::ceil(static_cast<double>(remaining) / accept * 1.05)) + 16;
      const std::size_t draws = std::min(want, max_draws);
      buf.resize(draws * w);
      fill_bytes(buf.data(), buf.size());
      for (std::size_t i = 0; i < draws && done < n; ++i) {
        std::uint64_t x = 0;
        for (std::size_t b = 0; b < w; ++b) x |= std::uint64_t{buf[i * w + b]} << (8 * b);
        if (x < threshold) continue;
        dst[done++] = ring_traits<R>::from_uint(x % bound);
      }
    }
    OPENSSL_cleanse(buf.data(), buf.size());
    return out;
  }

  /// Keystream bytes produced so far (including those discarded by rejection sampling).
  std::uint64_t bytes_generated() const { return m_bytes_generated; }

 private:
  // The cipher runs over 64 KiB at a time (a block of zeros of that size is its input for fresh bytes).
  static constexpr std::size_t chunk_bytes = std::size_t{64} * 1024;

  /// buf ⊕= the next n keystream bytes, or buf = the keystream when `zero_first` (then the cipher
  /// encrypts a constant block of zeros into buf, which saves zeroing buf first), chunk by chunk.
  void apply_keystream(void* buf, std::size_t n, bool zero_first) {
    TFE_ENFORCE(m_ctx != nullptr, error, "prg: used after being moved from");
    static constexpr std::array<std::uint8_t, chunk_bytes> zeros{};  // constant data, not state
    auto* p = static_cast<std::uint8_t*>(buf);
    while (n > 0) {
      std::size_t len = std::min(n, chunk_bytes);
      const std::uint8_t* in = zero_first ? zeros.data() : p;
      int out_len = 0;
      if (EVP_EncryptUpdate(m_ctx.get(), p, &out_len, in, static_cast<int>(len)) != 1)
        detail::throw_openssl_error("EVP_EncryptUpdate");
      // CTR is a stream mode: it must return exactly what it was given, never buffer.
      TFE_ENFORCE(out_len == static_cast<int>(len), error, "prg: EVP_EncryptUpdate returned ", out_len, " bytes for ",
                  len);
      m_bytes_generated += len;
      p += len;
      n -= len;
    }
  }

  void init(const seed_t& key, const std::array<std::uint8_t, 16>& iv) {
    m_ctx.reset(EVP_CIPHER_CTX_new());
    if (!m_ctx) detail::throw_openssl_error("EVP_CIPHER_CTX_new");
    if (EVP_EncryptInit_ex(m_ctx.get(), EVP_aes_128_ctr(), nullptr, key.data(), iv.data()) != 1)
      detail::throw_openssl_error("EVP_EncryptInit_ex(aes-128-ctr)");
  }

  std::unique_ptr<EVP_CIPHER_CTX, detail::evp_cipher_ctx_deleter> m_ctx;
  std::uint64_t m_bytes_generated = 0;
};

}  // namespace tfe
