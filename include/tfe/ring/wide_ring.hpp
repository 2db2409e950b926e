// tfe/ring/wide_ring.hpp: rings wider than 128 bits, opt-in.
//
//   wide_ring<K> = Boost.Multiprecision fixed-width unsigned integers (K = 256, 512, ...), unchecked,
//                  so they wrap mod 2^K like the built-in types; ring256 = wide_ring<256>.
// Include this header to compute in them: it adds their ring_traits and their matmul kernel to the
// ring layer (ring tensors, kernels, PRG, fixed point). It is not in tfe/tfe.hpp, so that units on
// ring64/ring128 do not parse Boost.Multiprecision; its cost is measured in docs/building.md.
#pragma once

#include "tfe/ring/kernels.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tfe {

template <unsigned K>
using wide_ring = boost::multiprecision::number<
    boost::multiprecision::cpp_int_backend<K, K, boost::multiprecision::unsigned_magnitude,
                                           boost::multiprecision::unchecked, void>,
    boost::multiprecision::et_off>;

using ring256 = wide_ring<256>;

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

namespace detail {

// ---- The matmul kernel -----------------------------------------------------------------------
// A Boost.Multiprecision multiply goes through generic, size-tracking limb loops and costs ~35 ns
// at 256 bits. Instead the operands are unpacked once into raw little-endian 64-bit limbs and the
// product is accumulated with a truncated schoolbook multiply: limb i of a times limb j of b only
// matters when i + j < L, which is L(L+1)/2 multiplies (10 for 256 bits), of which the L on the
// top diagonal only need their low 64 bits.

static_assert(sizeof(boost::multiprecision::limb_type) == 8, "wide-ring kernels assume 64-bit limbs");

template <unsigned K>
inline void wide_to_limbs(const wide_ring<K>& x, std::uint64_t* out) {
  constexpr std::size_t L = K / 64;
  const auto& be = x.backend();
  const std::size_t used = std::min<std::size_t>(be.size(), L);
  std::size_t i = 0;
  for (; i < used; ++i) out[i] = be.limbs()[i];
  for (; i < L; ++i) out[i] = 0;
}

template <unsigned K>
inline wide_ring<K> wide_from_limbs(const std::uint64_t* in) {
  constexpr std::size_t L = K / 64;
  wide_ring<K> x;
  auto& be = x.backend();
  be.resize(static_cast<unsigned>(L), static_cast<unsigned>(L));
  for (std::size_t i = 0; i < L; ++i) be.limbs()[i] = in[i];
  be.normalize();  // drops leading zero limbs, as Boost expects
  return x;
}

/// acc += a * b mod 2^(64 L), all L-limb little-endian.
template <std::size_t L>
inline void limbs_mac(std::uint64_t* __restrict acc, const std::uint64_t* __restrict a,
                      const std::uint64_t* __restrict b) {
  __extension__ using u128 = unsigned __int128;
  for (std::size_t i = 0; i < L; ++i) {
    const std::uint64_t ai = a[i];
    std::uint64_t carry = 0;
    for (std::size_t j = 0; j + 1 < L - i; ++j) {
      const u128 t = u128(ai) * b[j] + acc[i + j] + carry;
      acc[i + j] = static_cast<std::uint64_t>(t);
      carry = static_cast<std::uint64_t>(t >> 64);
    }
    acc[L - 1] += ai * b[L - 1 - i] + carry;  // top limb: the carry out of it wraps away
  }
}

template <unsigned K>
void matmul_wide(const wide_ring<K>* a, const wide_ring<K>* b, wide_ring<K>* c, std::size_t n, std::size_t k,
                 std::size_t m) {
  constexpr std::size_t L = K / 64;
  constexpr std::size_t kc_block = 64;  // keeps a KC x m slice of B's limbs warm in L2
  std::vector<std::uint64_t> al(n * k * L), bl(k * m * L), cl(n * m * L, 0);
  for (std::size_t i = 0; i < n * k; ++i) wide_to_limbs(a[i], &al[i * L]);
  for (std::size_t i = 0; i < k * m; ++i) wide_to_limbs(b[i], &bl[i * L]);
  for (std::size_t p0 = 0; p0 < k; p0 += kc_block) {
    const std::size_t p1 = std::min(k, p0 + kc_block);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t* ci = &cl[i * m * L];
      for (std::size_t p = p0; p < p1; ++p) {
        const std::uint64_t* ap = &al[(i * k + p) * L];
        const std::uint64_t* bp = &bl[p * m * L];
        for (std::size_t j = 0; j < m; ++j) limbs_mac<L>(ci + j * L, ap, bp + j * L);
      }
    }
  }
  for (std::size_t i = 0; i < n * m; ++i) c[i] += wide_from_limbs<K>(&cl[i * L]);
}

/// matmul_kernel's single-threaded product on a wide ring (tfe/ring/kernels.hpp).
template <unsigned K>
struct serial_matmul<wide_ring<K>> {
  static void run(const wide_ring<K>* a, const wide_ring<K>* b, wide_ring<K>* c, std::size_t n, std::size_t k,
                  std::size_t m) {
    matmul_wide(a, b, c, n, k, m);
  }
};

}  // namespace detail
}  // namespace tfe
