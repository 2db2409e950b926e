// tfe/ring/ring_traits.hpp: the rings Z_2^k tfe computes in, behind one ring_traits.
//
// A ring is an unsigned integer type whose arithmetic wraps mod 2^k:
//   ring64  = std::uint64_t
//   ring128 = unsigned __int128 (a GCC/Clang extension; std::is_integral is false for it under
//             strict -std=c++20, which is why everything goes through ring_traits)
//   wide_ring<K> = Boost.Multiprecision fixed-width unsigned integers (K = 256, 512, ...), unchecked,
//             so they wrap mod 2^K like the built-in types.
// ring_traits<R> gives the width, two's-complement views (signed value, sign bit, arithmetic shift),
// conversions to and from double, and a little-endian byte layout used by the PRG and the channels.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace tfe {

using ring64 = std::uint64_t;
__extension__ using ring128 = unsigned __int128;
__extension__ using int128 = __int128;

template <unsigned K>
using wide_ring = boost::multiprecision::number<
    boost::multiprecision::cpp_int_backend<K, K, boost::multiprecision::unsigned_magnitude,
                                           boost::multiprecision::unchecked, void>,
    boost::multiprecision::et_off>;

using ring256 = wide_ring<256>;

template <class R>
struct ring_traits;  // specialised below; a missing specialisation is a compile error

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

/// Boost.Multiprecision rings of any width that is a multiple of 64.
template <unsigned K>
struct ring_traits<wide_ring<K>> {
  static_assert(K % 64 == 0 && K >= 64, "wide rings must have a multiple of 64 bits");
  using value_type = wide_ring<K>;
  using U = value_type;
  static constexpr unsigned bits = K;
  static constexpr std::size_t bytes = K / 8;
  static constexpr std::size_t limbs = K / 64;

  static U zero() { return U(0); }
  static U one() { return U(1); }
  static U neg(const U& x) { return U(0) - x; }
  static bool msb(const U& x) { return boost::multiprecision::bit_test(x, K - 1); }
  static U bit(const U& x, unsigned i) { return boost::multiprecision::bit_test(x, i) ? U(1) : U(0); }
  static U shl(const U& x, unsigned n) { return n >= K ? U(0) : U(x << n); }
  static U shr_logical(const U& x, unsigned n) { return n >= K ? U(0) : U(x >> n); }
  static U shr_arith(const U& x, unsigned n) {
    if (n >= K) return msb(x) ? U(~U(0)) : U(0);
    return msb(x) ? U(~(U(~x) >> n)) : U(x >> n);
  }
  static U from_int(std::int64_t v) {
    return v < 0 ? neg(U(static_cast<std::uint64_t>(-(v + 1)) + 1u)) : U(static_cast<std::uint64_t>(v));
  }
  static U from_uint(std::uint64_t v) { return U(v); }
  static double to_double(const U& x) {
    return msb(x) ? -neg(x).template convert_to<double>() : x.template convert_to<double>();
  }
  static U from_double(double v) {
    double r = std::nearbyint(v);
    double a = std::fabs(r);
    U mag(0);
    // Exact: peel 64-bit chunks off the (integral) double from the top.
    int e = 0;
    std::frexp(a, &e);
    for (int shift = ((e > 0 ? e : 0) / 64) * 64; shift >= 0; shift -= 64) {
      double chunk = std::floor(std::ldexp(a, -shift));
      mag |= U(static_cast<std::uint64_t>(chunk)) << shift;
      a -= std::ldexp(chunk, shift);
    }
    return r < 0 ? neg(mag) : mag;
  }
  static void store(const U& x, std::uint8_t* out) {
    const auto& be = x.backend();
    std::memset(out, 0, bytes);
    std::memcpy(out, be.limbs(), be.size() * sizeof(std::uint64_t));
  }
  static U load(const std::uint8_t* in) {
    U x(0);
    for (std::size_t i = limbs; i-- > 0;) {
      std::uint64_t limb;
      std::memcpy(&limb, in + 8 * i, 8);
      x = (x << 64) | U(limb);
    }
    return x;
  }
  static std::string to_string(const U& x) { return x.str(); }
  static std::string name() { return "ring" + std::to_string(K); }
};

/// Concept: a type usable as a tfe ring.
template <class R>
concept ring_type = requires {
  ring_traits<R>::bits;
};

}  // namespace tfe
