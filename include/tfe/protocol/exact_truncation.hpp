// tfe/protocol/exact_truncation.hpp: the arithmetic shared by the exact truncations of Pond (and SecureNN,
// which uses Pond's shares) and ABY3 (fixed_point_config::truncation = truncation_mode::exact).
//
// The probabilistic truncations (SecureML's local one, ABY3's Π_trunc1) split x into two pieces a + b
// and shift each: they fail, off by about 2^(ℓ−f), when a + b wraps around 2^ℓ in the wrong place,
// with probability about 2^(b+1−ℓ) for |x| < 2^b. BERT-base truncates 8·10^7 values per run, so on
// ring64 with f = 16 that is a few failures per hundred runs. The exact truncation computes the
// wrap instead of hoping it is harmless:
//
//   1. Shift x into the non-negative half: x' = x + 2^(ℓ−2) ∈ [0, 2^(ℓ−1)) when |x| < 2^(ℓ−2)
//      (always true for a product of two values in a valid fixed-point range: fixed_point.hpp).
//   2. Split x' = a + b (mod 2^ℓ) with a, b in [0, 2^ℓ). As integers a + b = x' + w·2^ℓ, and since
//      x' < 2^(ℓ−1) the wrap bit is w = msb(a) ∨ msb(b): both below 2^(ℓ−1) cannot wrap; both at or
//      above must; one of each gives a sum in [2^(ℓ−1), 2^ℓ + 2^(ℓ−1)) whose residue x' is below
//      2^(ℓ−1) only if it wrapped. (The two-party truncations "with a known MSB" of SiRNN, Rathee et
//      al. S&P 2021, and Cheetah, Huang et al. USENIX Security 2022, rest on the same observation; the
//      computation of w here is ours, per protocol.)
//   3. ⌊a/2^f⌋ + ⌈b/2^f⌉ − w·2^(ℓ−f) = ⌊x'/2^f⌋ + {0, 1}, exactly as integers; subtracting
//      2^(ℓ−2−f) gives ⌊x/2^f⌋ or one more, for every x with |x| < 2^(ℓ−2): never the large error.
//
// The protocols compute w = u ∨ v = u + v − u·v from u = msb(a) and v = msb(b), which different
// players hold, as an additive sharing mod 2^f: that is all w·2^(ℓ−f) needs (mod 2^ℓ). Those shares
// travel as small values of 1, 2, 4 or 8 bytes (2 for the ring64 preset), packed into 64-bit words.
#pragma once

#include "tfe/config.hpp"
#include "tfe/crypto/prg.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/net/frame.hpp"
#include "tfe/protocol/costs.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tfe::exact_truncation {

template <class R>
inline constexpr bool supported = std::is_same_v<R, ring64> || std::is_same_v<R, ring128>;

/// 2^(ℓ−2): added to x so that x' is non-negative.
template <class R>
constexpr R offset() {
  return R(1) << (ring_traits<R>::bits - 2);
}
/// 2^(ℓ−2−f): subtracted from the truncated x'.
template <class R>
constexpr R offset_truncated(unsigned f) {
  return R(1) << (ring_traits<R>::bits - 2 - f);
}
/// The most significant bit of a piece, 0 or 1.
template <class R>
constexpr std::uint64_t msb(R a) {
  return static_cast<std::uint64_t>(a >> (ring_traits<R>::bits - 1));
}
/// ⌊a/2^f⌋ of a piece read as an unsigned integer.
template <class R>
constexpr R floor_shift(R a, unsigned f) {
  return R(a >> f);
}
/// ⌈b/2^f⌉ of a piece read as an unsigned integer, mod 2^ℓ.
template <class R>
constexpr R ceil_shift(R b, unsigned f) {
  return R(R(b >> f) + R((b & R((R(1) << f) - 1)) != 0));
}
/// m·2^(ℓ−f) mod 2^ℓ: a value mod 2^f moved into the top f bits (bits of m above f drop out).
template <class R>
constexpr R to_top(std::uint64_t m, unsigned f) {
  return R(R(m) << (ring_traits<R>::bits - f));
}

/// Bytes a value mod 2^f takes on the wire: 1, 2, 4 or 8 (2 for the ring64 preset, 4 for ring128's).
constexpr std::size_t value_bytes(unsigned f) { return static_cast<std::size_t>(costs::small_value_bytes(f)); }
/// 64-bit words that carry `count` values mod 2^f (protocol/costs.hpp: small_values_bytes / 8).
constexpr std::size_t words(std::size_t count, unsigned f) {
  return static_cast<std::size_t>(costs::small_values_bytes(count, f) / 8);
}

/// Calls fn(std::integral_constant<std::size_t, W>{}) with W = value_bytes(f), so that the kernels
/// read and write values of a width known at compile time.
template <class F>
decltype(auto) with_value_bytes(unsigned f, F&& fn) {
  switch (value_bytes(f)) {
    case 1:
      return fn(std::integral_constant<std::size_t, 1>{});
    case 2:
      return fn(std::integral_constant<std::size_t, 2>{});
    case 4:
      return fn(std::integral_constant<std::size_t, 4>{});
    default:
      return fn(std::integral_constant<std::size_t, 8>{});
  }
}

/// `count` small values packed little-endian, value_bytes(f) bytes each: what a PRG draw gives and
/// what a message carries. Every value read from it is taken mod 2^(8·value_bytes(f)), a multiple of
/// 2^f, so arithmetic mod 2^64 on the loaded values is arithmetic mod 2^f where it matters.
class packed_values {
 public:
  packed_values(std::size_t count, unsigned f) : m_count(count), m_width(value_bytes(f)) {
    m_bytes.resize(words(count, f) * 8);  // not zeroed (tfe::frame): every value is set or drawn
    if (!m_bytes.empty()) std::memset(m_bytes.data() + m_bytes.size() - 8, 0, 8);  // the padding is sent too
  }
  std::size_t size() const { return m_count; }
  /// Value i; W must be value_bytes(f) (see with_value_bytes).
  template <std::size_t W>
  std::uint64_t get(std::size_t i) const {
    TFE_ASSERT(W == m_width && i < m_count);
    std::uint64_t v = 0;
    std::memcpy(&v, m_bytes.data() + i * W, W);  // little-endian host
    return v;
  }
  template <std::size_t W>
  void set(std::size_t i, std::uint64_t v) {
    TFE_ASSERT(W == m_width && i < m_count);
    std::memcpy(m_bytes.data() + i * W, &v, W);
  }
  /// Uniform values from g (its next words(count, f)·8 keystream bytes, padding included).
  void draw(prg& g) { g.fill_bytes(m_bytes.data(), m_bytes.size()); }
  std::uint8_t* data() { return m_bytes.data(); }
  const std::uint8_t* data() const { return m_bytes.data(); }
  std::size_t byte_size() const { return m_bytes.size(); }
  std::size_t word_count() const { return m_bytes.size() / 8; }

 private:
  std::size_t m_count;
  std::size_t m_width;
  frame m_bytes;
};

/// `count` values drawn from g.
inline packed_values draw_values(prg& g, std::size_t count, unsigned f) {
  packed_values v(count, f);
  v.draw(g);
  return v;
}

/// Sends packed values as a tensor of 64-bit words (one message).
template <class Session>
void send_values(Session& s, std::size_t to, const packed_values& v) {
  s.net().template send_filled<std::uint64_t>(to, v.word_count(),
                                              [&](std::uint8_t* out) { std::memcpy(out, v.data(), v.byte_size()); });
}

/// Receives `count` packed values mod 2^f from `from`, checking the word count.
template <class Session>
packed_values recv_values(Session& s, std::size_t from, std::size_t count, unsigned f) {
  packed_values v(count, f);
  s.net().template recv_viewed<std::uint64_t>(from, [&](const std::uint8_t* payload, const shape_t& shape) {
    TFE_ENFORCE(shape.size() == 1 && shape[0] == v.word_count(), protocol_error, "exact truncation: expected ",
                v.word_count(), " words of ", count, " values mod 2^", f, " from '", s.name_of(from), "' but got ",
                shape_str(shape));
    std::memcpy(v.data(), payload, v.byte_size());
  });
  return v;
}

}  // namespace tfe::exact_truncation
