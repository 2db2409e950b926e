// tfe/ring/ring_traits.hpp: the rings Z_2^k tfe computes in, behind one ring_traits.
//
// A ring is an unsigned integer type whose arithmetic wraps mod 2^k:
//   ring64  = std::uint64_t
//   ring128 = unsigned __int128 (a GCC/Clang extension; std::is_integral is false for it under
//             strict -std=c++20, which is why everything goes through ring_traits)
//   wide_ring<K>, ring256 = Boost.Multiprecision fixed-width integers (K = 256, 512, ...): opt-in, in
//             tfe/ring/wide_ring.hpp, so that a unit on the built-in rings does not parse Boost.
// ring_traits<R> gives the width, two's-complement views (signed value, sign bit, arithmetic shift),
// conversions to and from double, and a little-endian byte layout used by the PRG and the channels.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace tfe {

using ring64 = std::uint64_t;
__extension__ using ring128 = unsigned __int128;
__extension__ using int128 = __int128;

template <class R>
struct ring_traits;  // specialised below and in wide_ring.hpp; a missing one is a compile error

namespace detail {

/// Shared implementation for the built-in unsigned types (64 and 128 bits).
template <class U, class S, unsigned K>
struct builtin_ring_traits {
  using value_type = U;
  using signed_type = S;
  static constexpr unsigned bits = K;
  static constexpr std::size_t bytes = K / 8;

  static constexpr U zero() { return U(0); }
  static constexpr U one() { return U(1); }
  static constexpr U neg(U x) { return U(0) - x; }
  static constexpr bool msb(U x) { return (x >> (K - 1)) & 1U; }
  static constexpr U bit(U x, unsigned i) { return (x >> i) & U(1); }
  static constexpr U shl(U x, unsigned n) { return n >= K ? U(0) : U(x << n); }
  static constexpr U shr_logical(U x, unsigned n) { return n >= K ? U(0) : U(x >> n); }
  /// Arithmetic shift: the two's-complement value divided by 2^n, rounded toward -infinity.
  static constexpr U shr_arith(U x, unsigned n) {
    if (n >= K) return msb(x) ? ~U(0) : U(0);
    return msb(x) ? ~((~x) >> n) : (x >> n);
  }
  static constexpr U from_int(std::int64_t v) { return static_cast<U>(static_cast<S>(v)); }
  static constexpr U from_uint(std::uint64_t v) { return static_cast<U>(v); }
  /// The two's-complement value as a double (exact up to 53 bits).
  static double to_double(U x) { return msb(x) ? -static_cast<double>(neg(x)) : static_cast<double>(x); }
  /// Rounds v to the nearest integer and reduces it mod 2^K; |v| must be < 2^(K-1).
  static U from_double(double v) {
    double r = std::nearbyint(v);
    U mag = magnitude_from_double(std::fabs(r));
    return r < 0 ? neg(mag) : mag;
  }
  static void store(U x, std::uint8_t* out) { std::memcpy(out, &x, bytes); }  // little-endian host
  static U load(const std::uint8_t* in) {
    U x;
    std::memcpy(&x, in, bytes);
    return x;
  }
  static std::string to_string(U x) {
    if (x == 0) return "0";
    std::string s;
    while (x != 0) {
      s.insert(s.begin(), char('0' + static_cast<int>(x % 10)));
      x /= 10;
    }
    return s;
  }

 private:
  static U magnitude_from_double(double a) {
    if constexpr (K <= 64) {
      return static_cast<U>(a);
    } else {
      // Split into high and low 64-bit halves; a < 2^127 so both conversions are exact.
      double hi = std::floor(std::ldexp(a, -64));
      double lo = a - std::ldexp(hi, 64);
      return (static_cast<U>(static_cast<std::uint64_t>(hi)) << 64) | static_cast<U>(static_cast<std::uint64_t>(lo));
    }
  }
};

}  // namespace detail

template <>
struct ring_traits<ring64> : detail::builtin_ring_traits<ring64, std::int64_t, 64> {
  static std::string name() { return "ring64"; }
};

template <>
struct ring_traits<ring128> : detail::builtin_ring_traits<ring128, int128, 128> {
  static std::string name() { return "ring128"; }
};

/// Concept: a type usable as a tfe ring.
template <class R>
concept ring_type = requires {
  ring_traits<R>::bits;
};

}  // namespace tfe
