// tfe/protocol/securenn/fields.hpp: the small moduli of SecureNN (Wagh, Gupta, Chandran, PoPETs 2019):
// Z_p for the bits of PrivateCompare and Z_{L−1} (L = 2^ℓ) for ShareConvert / ComputeMSB, plus the
// helper's dealing of shares in each of them.
//
// Z_p. PrivateCompare computes, for bit positions i of a k-bit comparison,
//   c_i = r_i − x_i + 1 + Σ_{m>i} (x_m ⊕ r_m)  ∈ [0, k + 1]   (as an integer),
// and relies on c_i ≡ 0 (mod p) only when c_i = 0, so p must exceed k + 1. The paper's p = 67 serves
// ℓ = 64 (k ≤ 64); for ring128 (k ≤ 128) we use the prime p = 131 (67 would let a c_i of 67 read as
// a zero and flip the comparison). Z_p values travel one per byte, packed 8 to a uint64 word (the
// channel carries ring tensors only): ⌈m/8⌉ words for m values, i.e. log p is counted as 8 bits.
//
// Z_{L−1}. Elements are the integers 0 .. L−2 stored in the ring type R; since L ≡ 1 (mod L−1), a
// sum that overflows R wraps by adding 1, and L−1 itself is 0. ShareConvert's output and
// ComputeMSB's input live here; an element takes ℓ/8 bytes on the wire, like a ring element.
//
// Dealing. The helper (player 2) hands out shares with seed compression, as Pond's crypto producer
// does: server 0's share is drawn from the stream it shares with the helper, and only server 1
// receives a message (value − share0). The paper sends both shares; this halves the helper's traffic
// and is the one systematic difference between our byte counts and the paper's tables.
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/tensor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace tfe::securenn_detail {

/// Player roles: servers 0 and 1 hold the shares, player 2 is SecureNN's helper (P2 in the paper).
inline constexpr std::size_t helper = 2;

template <class R>
inline constexpr bool builtin_ring = std::is_same_v<R, ring64> || std::is_same_v<R, ring128>;

/// The prime of PrivateCompare for an ℓ-bit ring: p > ℓ + 1 (see above).
template <class R>
inline constexpr unsigned prime = ring_traits<R>::bits <= 64 ? 67u : 131u;

/// Z_p values, one per byte (bit_shares.hpp gives the layout of the bit shares and of PrivateCompare's
/// messages).
using zp_vec = frame;  // a received frame is kept as bit shares (bit_shares.hpp)

// ---- Z_p arithmetic ----------------------------------------------------------------------------

/// Z_p with a runtime p (tests and scalar code).
struct zp {
  unsigned p;
  std::uint8_t add(unsigned a, unsigned b) const { return static_cast<std::uint8_t>((a + b) % p); }
  std::uint8_t sub(unsigned a, unsigned b) const { return static_cast<std::uint8_t>((a + p - b % p) % p); }
  std::uint8_t mul(unsigned a, unsigned b) const { return static_cast<std::uint8_t>((a * b) % p); }
};

/// Z_p with p a compile-time constant < 256, on reduced operands (< P), in byte arithmetic: a sum or
/// difference takes a compare and a select instead of %, and a product is reduced by a constant (the
/// compiler turns it into a multiply-high), so loops of these vectorize over 64 bytes at a time.
template <unsigned P>
struct zp_const {
  static_assert(P >= 2 && P < 256);
  /// a + b, without leaving a byte: a − (P − b) when a ≥ P − b, else a + b (then < P).
  static std::uint8_t add(std::uint8_t a, std::uint8_t b) {
    const auto t = static_cast<std::uint8_t>(P - b);
    return a >= t ? static_cast<std::uint8_t>(a - t) : static_cast<std::uint8_t>(a + b);
  }
  /// a − b: the byte difference, plus P when it wrapped.
  static std::uint8_t sub(std::uint8_t a, std::uint8_t b) {
    const auto d = static_cast<std::uint8_t>(a - b);
    return a >= b ? d : static_cast<std::uint8_t>(d + P);
  }
  static std::uint8_t mul(std::uint8_t a, std::uint8_t b) {
    return static_cast<std::uint8_t>(static_cast<std::uint16_t>(a * b) % P);
  }
};

/// How many values below `range` one 32-bit draw yields in sample_below: the largest t ≤ 4 with
/// range^t ≤ 2^32 whose rejection rate (2^32 mod range^t)/2^32 is at most 1/256 (t = 4 for 66 and 67,
/// t = 3 for 131).
/// range^t (t ≤ 4, range ≤ 256: no overflow).
constexpr std::uint64_t power_of(unsigned range, unsigned t) {
  std::uint64_t pw = 1;
  for (unsigned q = 0; q < t; ++q) pw *= range;
  return pw;
}

inline unsigned values_per_draw(unsigned range) {
  const std::uint64_t two32 = std::uint64_t{1} << 32;
  for (unsigned t = 4; t > 1; --t) {
    const std::uint64_t pw = power_of(range, t);
    if (pw <= two32 && (two32 % pw) * 256 <= two32) return t;
  }
  return 1;
}

/// m values uniform in [lo, lo + range) (range ≤ 256 − lo) from g, exactly, t = values_per_draw(range)
/// values per 32-bit draw u: v = ⌊u·range^t / 2^32⌋ is uniform on [0, range^t) once the draws whose
/// fraction u·range^t mod 2^32 lies below 2^32 mod range^t are rejected (Lemire's multiply-shift), and
/// the t base-range digits of v are then independent and uniform. The digits come out one
/// multiplication at a time, most significant first: y = f·range, digit = ⌊y / 2^32⌋, f = y mod 2^32,
/// starting from f = u (so no division anywhere, and the loops vectorize). A rejected draw is replaced
/// in place by fresh draws from the stream, after its chunk (probability ≤ 1/256 each, e.g. 0.07% for
/// p = 67). Values are written digit-major within a chunk of D draws (digit q of draw i at q·D + i).
/// Both holders of a stream run this same code, so they stay in lockstep. Cost: 4/t keystream bytes
/// per value.
/// sample_below's working memory (about 26 KiB), wiped when it goes: a kernel that samples block after
/// block keeps one instead of wiping a fresh one per call.
struct sample_scratch {
  static constexpr std::size_t chunk = 2048;  // draws per chunk
  std::uint32_t draws[chunk], frac[chunk];
  std::uint8_t vals[4 * chunk], bad[chunk];
  sample_scratch() = default;
  sample_scratch(const sample_scratch&) = delete;
  sample_scratch& operator=(const sample_scratch&) = delete;
  ~sample_scratch() {
    secure_wipe(draws, sizeof(draws));
    secure_wipe(frac, sizeof(frac));
    secure_wipe(vals, sizeof(vals));
  }
};

/// One digit of each of d draws: row[i] = lo + ⌊frac[i]·range / 2^32⌋, frac[i] = frac[i]·range mod 2^32.
inline void next_digits(std::uint32_t* __restrict frac, std::uint8_t* __restrict row, std::size_t d, unsigned range,
                        std::uint8_t lo) {
  for (std::size_t i = 0; i < d; ++i) {
    const std::uint64_t y = std::uint64_t{frac[i]} * range;
    row[i] = static_cast<std::uint8_t>(lo + (y >> 32));
    frac[i] = static_cast<std::uint32_t>(y);
  }
}

inline void sample_below(prg& g, unsigned range, std::uint8_t lo, std::uint8_t* out, std::size_t m,
                         sample_scratch& sc) {
  TFE_ENFORCE(range >= 1 && range + lo <= 256, error, "sample_below: range ", range, " from ", unsigned(lo),
              " does not fit a byte");
  const unsigned t = values_per_draw(range);
  const auto reject_below = static_cast<std::uint32_t>((std::uint64_t{1} << 32) % power_of(range, t));
  for (std::size_t done = 0; done < m;) {
    const std::size_t c = std::min(sample_scratch::chunk * t, m - done);  // values of this chunk
    const std::size_t d = (c + t - 1) / t;                                // draws
    // digit-major values: straight into out when the chunk is whole, else through vals
    std::uint8_t* vals = c == t * d ? out + done : sc.vals;
    g.fill_bytes(sc.draws, d * sizeof(std::uint32_t));
    std::memcpy(sc.frac, sc.draws, d * sizeof(std::uint32_t));
    for (unsigned q = 0; q < t; ++q) next_digits(sc.frac, vals + q * d, d, range, lo);
    for (std::size_t i = 0; i < d; ++i) sc.bad[i] = sc.frac[i] < reject_below ? 1 : 0;
    // The rare rejected draws, in index order, each redrawn until accepted (memchr finds the flags).
    const std::uint8_t* bad = sc.bad;
    for (const auto* hit = static_cast<const std::uint8_t*>(std::memchr(bad, 1, d)); hit != nullptr;
         hit = static_cast<const std::uint8_t*>(std::memchr(hit + 1, 1, static_cast<std::size_t>(bad + d - hit - 1)))) {
      const auto i = static_cast<std::size_t>(hit - bad);
      std::uint32_t f = 0;
      do {
        g.fill_bytes(&f, sizeof(f));
        for (unsigned q = 0; q < t; ++q) {
          const std::uint64_t y = std::uint64_t{f} * range;
          vals[q * d + i] = static_cast<std::uint8_t>(lo + (y >> 32));
          f = static_cast<std::uint32_t>(y);
        }
      } while (f < reject_below);
    }
    if (vals == sc.vals) std::memcpy(out + done, sc.vals, c);
    done += c;
  }
}

/// sample_below with its own working memory.
inline void sample_below(prg& g, unsigned range, std::uint8_t lo, std::uint8_t* out, std::size_t m) {
  sample_scratch sc;
  sample_below(g, range, lo, out, m, sc);
}

/// The first m bytes of received words as Z_p values (tests read recorded messages with it).
inline zp_vec unpack_bytes(const ring_tensor<std::uint64_t>& w, std::size_t m, const std::string& from) {
  TFE_ENFORCE(w.dimension() == 1 && w.size() == (m + 7) / 8, protocol_error, "expected ", (m + 7) / 8,
              " words of Z_p values from '", from, "' but got ", w.size());
  zp_vec out(m);
  if (m != 0) std::memcpy(out.data(), w.data(), m);
  return out;
}

/// Words a message of m Z_p values takes (the cost formulas use this).
constexpr std::size_t zp_words(std::size_t m) { return (m + 7) / 8; }

// ---- Z_{L−1} ------------------------------------------------------------------------------------

template <class R>
struct odd_ring {
  static_assert(builtin_ring<R>, "Z_{L-1} arithmetic is implemented for ring64 and ring128");
  static constexpr R top = static_cast<R>(~R(0));  // L − 1 ≡ 0
  // Branch-free (compares turned into 0/1 additions), so loops over tensors vectorize.
  /// L − 1 reads as 0: L − 1 + 1 wraps to 0.
  static R reduce(R a) { return static_cast<R>(a + R(a == top)); }
  /// a + b for a, b in [0, L−2] (a == L−1 is read as 0).
  static R add(R a, R b) {
    a = reduce(a);
    b = reduce(b);
    R s = static_cast<R>(a + b);
    s = static_cast<R>(s + R(s < a));  // wrapped past L: L ≡ 1
    return reduce(s);
  }
  /// −a = L − 1 − a (and −0 = L − 1 reads as 0).
  static R neg(R a) { return reduce(static_cast<R>(top - reduce(a))); }
  static R sub(R a, R b) { return add(a, neg(b)); }
  /// The small integer v (|v| < L − 1) as an element.
  static R from_int(std::int64_t v) {
    return v >= 0 ? reduce(static_cast<R>(static_cast<std::uint64_t>(v)))
                  : neg(static_cast<R>(static_cast<std::uint64_t>(-v)));
  }

  /// Uniform elements of Z_{L−1}: uniform ring values, redrawing each L−1 (probability 2^-ℓ); both
  /// holders of a stream run the same code, so they stay in lockstep.
  static ring_tensor<R> uniform(prg& g, const shape_t& shape) {
    ring_tensor<R> out = g.template uniform<R>(shape);
    for (std::size_t i = 0; i < out.size(); ++i)
      while (out.data()[i] == top) out.data()[i] = g.template next<R>();
    return out;
  }
};

// ---- the helper's dealing (seed-compressed) -----------------------------------------------------

template <class R, class S>
ring_tensor<R> recv_ring(S& s, std::size_t from, const shape_t& shape) {
  auto t = s.net().template recv<R>(from);
  TFE_ENFORCE(shape_of(t) == shape, protocol_error, "expected a tensor of shape ", shape_str(shape), " from '",
              s.name_of(from), "' but got ", shape_str(shape_of(t)));
  return t;
}

/// Z_L shares dealt by the helper (server 1 receives |shape| ring elements).
template <class R, class S>
ring_tensor<R> deal_ring(S& s, const ring_tensor<R>* value, const shape_t& shape) {
  if (s.id() == helper) {
    auto sh0 = s.pair_prg(0).template uniform<R>(shape);
    s.net().send(1, ring_tensor<R>(*value - sh0));
    return {};
  }
  if (s.id() == 0) return s.pair_prg(helper).template uniform<R>(shape);
  return recv_ring<R>(s, helper, shape);
}

/// Z_{L−1} shares dealt by the helper (server 1 receives |shape| elements).
template <class R, class S>
ring_tensor<R> deal_odd(S& s, const ring_tensor<R>* value, const shape_t& shape) {
  using F = odd_ring<R>;
  if (s.id() == helper) {
    auto sh0 = F::uniform(s.pair_prg(0), shape);
    ring_tensor<R> sh1(shape);
    for (std::size_t i = 0; i < sh1.size(); ++i) sh1.data()[i] = F::sub(value->data()[i], sh0.data()[i]);
    s.net().send(1, sh1);
    return {};
  }
  if (s.id() == 0) return F::uniform(s.pair_prg(helper), shape);
  return recv_ring<R>(s, helper, shape);
}

/// Bit i of x (i < ℓ).
template <class R>
inline unsigned bit_of(R x, unsigned i) {
  return static_cast<unsigned>((x >> i) & R(1));
}

/// Uniform bits (0/1), one per element, from g.
inline std::vector<std::uint8_t> uniform_bits(prg& g, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  if (n == 0) return out;
  auto b = g.template uniform_bits<std::uint64_t>(shape_t{n});
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(b.data()[i]);
  return out;
}

}  // namespace tfe::securenn_detail
