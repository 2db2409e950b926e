// tests/test_ring_traits.cpp: ring64/ring128/ring256 arithmetic, shifts, bits, conversions and byte layout,
// checked against a boost::multiprecision::cpp_int reference computed mod 2^k.
#include <doctest/doctest.h>

#include "tfe/ring/ring_traits.hpp"
#include "tfe/ring/wide_ring.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_ring_traits {

namespace {

using boost::multiprecision::cpp_int;
using tfe::ring128;
using tfe::ring256;
using tfe::ring64;
using tfe::ring_traits;

template <class R>
constexpr unsigned K = ring_traits<R>::bits;

template <class R>
cpp_int modulus() {
  return cpp_int(1) << K<R>;
}

/// Non-negative residue of c mod 2^k.
template <class R>
cpp_int reduce(const cpp_int& c) {
  cpp_int m = modulus<R>();
  cpp_int r = c % m;
  if (r < 0) r += m;
  return r;
}

/// The ring element as an unsigned integer in [0, 2^k), computed without ring_traits.
template <class R>
cpp_int to_ref(const R& x) {
  if constexpr (std::is_same_v<R, ring64>) {
    return cpp_int(x);
  } else if constexpr (std::is_same_v<R, ring128>) {
    return (cpp_int(static_cast<std::uint64_t>(x >> 64)) << 64) | cpp_int(static_cast<std::uint64_t>(x));
  } else {
    return cpp_int(x);
  }
}

/// A residue in [0, 2^k) back to the ring type, without ring_traits.
template <class R>
R from_ref(const cpp_int& c0) {
  cpp_int c = reduce<R>(c0);
  if constexpr (std::is_same_v<R, ring64>) {
    return c.convert_to<std::uint64_t>();
  } else if constexpr (std::is_same_v<R, ring128>) {
    auto hi = static_cast<std::uint64_t>(c >> 64);
    auto lo = static_cast<std::uint64_t>(c & cpp_int(~std::uint64_t{0}));
    return (static_cast<ring128>(hi) << 64) | static_cast<ring128>(lo);
  } else {
    return R(c);
  }
}

/// The two's-complement (signed) value of a residue.
template <class R>
cpp_int signed_ref(const cpp_int& c) {
  return c >= (cpp_int(1) << (K<R> - 1)) ? cpp_int(c - modulus<R>()) : c;
}

/// floor(s / 2^n) for a signed s.
cpp_int floor_div_pow2(const cpp_int& s, unsigned n) {
  cpp_int d = cpp_int(1) << n;
  cpp_int q = s / d;  // truncates toward zero
  if (s < 0 && q * d != s) q -= 1;
  return q;
}

/// Edge values and many random values, as residues.
template <class R>
std::vector<cpp_int> sample_values(std::mt19937_64& gen, std::size_t n_random) {
  const cpp_int m = modulus<R>();
  std::vector<cpp_int> v = {0,
                            1,
                            2,
                            3,
                            m - 1,
                            m - 2,
                            cpp_int(1) << (K<R> - 1),
                            (cpp_int(1) << (K<R> - 1)) - 1,
                            (cpp_int(1) << (K<R> - 1)) + 1,
                            cpp_int(1) << 32,
                            m - (cpp_int(1) << 32)};
  for (std::size_t i = 0; i < n_random; ++i) {
    cpp_int c = 0;
    for (unsigned limb = 0; limb < K<R> / 64; ++limb) c = (c << 64) | cpp_int(gen());
    // Every third value small (either sign) so shifts and conversions see short magnitudes too.
    if (i % 3 == 1) c = reduce<R>(cpp_int(static_cast<std::int64_t>(gen() % 2000001) - 1000000));
    v.push_back(c);
  }
  return v;
}

}  // namespace

TEST_CASE_TEMPLATE("ring arithmetic wraps mod 2^k like the cpp_int reference", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  std::mt19937_64 gen(0x5eed0000u + K<R>);
  auto vals = sample_values<R>(gen, 300);
  CHECK(T::bits == K<R>);
  CHECK(T::bytes * 8 == K<R>);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < vals.size(); ++i) {
    const cpp_int& ca = vals[i];
    const cpp_int& cb = vals[(i * 7 + 3) % vals.size()];
    const R a = from_ref<R>(ca), b = from_ref<R>(cb);
    REQUIRE(to_ref<R>(a) == ca);  // the test's own conversions are consistent
    CHECK(to_ref<R>(R(a + b)) == reduce<R>(ca + cb));
    CHECK(to_ref<R>(R(a - b)) == reduce<R>(ca - cb));
    CHECK(to_ref<R>(R(a * b)) == reduce<R>(ca * cb));
    CHECK(to_ref<R>(T::neg(a)) == reduce<R>(-ca));
    CHECK(to_ref<R>(R(T::neg(a) + a)) == 0);
    ++checked;
  }
  // All pairs of edge values.
  const std::array<cpp_int, 5> edges = {0, 1, modulus<R>() - 1, cpp_int(1) << (K<R> - 1),
                                        (cpp_int(1) << (K<R> - 1)) - 1};
  for (const auto& ca : edges) {
    for (const auto& cb : edges) {
      const R a = from_ref<R>(ca), b = from_ref<R>(cb);
      CHECK(to_ref<R>(R(a + b)) == reduce<R>(ca + cb));
      CHECK(to_ref<R>(R(a - b)) == reduce<R>(ca - cb));
      CHECK(to_ref<R>(R(a * b)) == reduce<R>(ca * cb));
    }
    CHECK(to_ref<R>(T::neg(from_ref<R>(ca))) == reduce<R>(-ca));
  }
  CHECK(checked > 300);
  CHECK(to_ref<R>(T::zero()) == 0);
  CHECK(to_ref<R>(T::one()) == 1);
  CHECK(to_ref<R>(T::from_int(-1)) == modulus<R>() - 1);
  CHECK(to_ref<R>(T::from_int(INT64_MIN)) == reduce<R>(cpp_int(INT64_MIN)));
  CHECK(to_ref<R>(T::from_int(INT64_MAX)) == cpp_int(INT64_MAX));
  CHECK(to_ref<R>(T::from_uint(UINT64_MAX)) == cpp_int(UINT64_MAX));
}

TEST_CASE_TEMPLATE("shifts, msb and bit agree with the reference", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  std::mt19937_64 gen(0xb175u + K<R>);
  auto vals = sample_values<R>(gen, 60);
  const std::vector<unsigned> shifts = {0, 1, 2, 7, 16, 31, 63, 64, 65, K<R> / 2, K<R> - 2, K<R> - 1, K<R>, K<R> + 5};
  std::vector<unsigned> all_shifts;
  for (unsigned n = 0; n <= K<R> + 1; ++n) all_shifts.push_back(n);
  for (std::size_t vi = 0; vi < vals.size(); ++vi) {
    const cpp_int& c = vals[vi];
    const R x = from_ref<R>(c);
    const cpp_int s = signed_ref<R>(c);
    CHECK(T::msb(x) == (c >= (cpp_int(1) << (K<R> - 1))));
    for (unsigned i : {0u, 1u, 5u, 63u, K<R> / 2, K<R> - 1}) {
      CHECK(to_ref<R>(T::bit(x, i)) == ((c >> i) & 1));
    }
    for (unsigned n : (vi % 8 == 0 ? all_shifts : shifts)) {  // every shift amount for some values
      CAPTURE(n);
      CHECK(to_ref<R>(T::shl(x, n)) == reduce<R>(c << n));
      CHECK(to_ref<R>(T::shr_logical(x, n)) == (c >> n));
      // Arithmetic shift = floor division of the signed value, including n >= k (0 or -1).
      CHECK(to_ref<R>(T::shr_arith(x, n)) == reduce<R>(floor_div_pow2(s, n)));
    }
  }
  // Spot values a reader can check by hand.
  CHECK(to_ref<R>(T::shr_arith(T::from_int(-1), 3)) == modulus<R>() - 1);  // floor(-1/8) = -1
  CHECK(to_ref<R>(T::shr_arith(T::from_int(-9), 3)) == modulus<R>() - 2);  // floor(-9/8) = -2
  CHECK(to_ref<R>(T::shr_arith(T::from_int(-8), 3)) == modulus<R>() - 1);  // exact: -1
  CHECK(to_ref<R>(T::shr_arith(T::from_int(9), 3)) == 1);
  CHECK(to_ref<R>(T::shr_logical(T::from_int(-1), K<R> - 1)) == 1);
}

TEST_CASE_TEMPLATE("from_double / to_double round trips, including negatives", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  std::mt19937_64 gen(0xd0b1eu + K<R>);
  // Integral doubles m * 2^e with |m| < 2^53 and the value below 2^(k-2): exactly representable.
  for (int i = 0; i < 400; ++i) {
    auto m = static_cast<std::int64_t>(gen() >> 11) - (std::int64_t{1} << 52);
    int max_e = static_cast<int>(K<R>) - 2 - 53;
    int e = static_cast<int>(gen() % static_cast<std::uint64_t>(max_e + 1));
    if (i % 4 == 0) e = 0;
    double v = std::ldexp(static_cast<double>(m), e);
    cpp_int ref = cpp_int(m) * (cpp_int(1) << e);
    CAPTURE(v);
    R x = T::from_double(v);
    CHECK(to_ref<R>(x) == reduce<R>(ref));
    CHECK(T::to_double(x) == v);
  }
  // Powers of two and their negatives up to 2^(k-2).
  for (unsigned e = 0; e <= K<R> - 2; e += 1) {
    double v = std::ldexp(1.0, static_cast<int>(e));
    CHECK(to_ref<R>(T::from_double(v)) == (cpp_int(1) << e));
    CHECK(to_ref<R>(T::from_double(-v)) == reduce<R>(-(cpp_int(1) << e)));
    CHECK(T::to_double(T::from_double(-v)) == -v);
  }
  // Rounding to the nearest integer (ties to even in the default rounding mode).
  CHECK(T::to_double(T::from_double(2.4)) == 2.0);
  CHECK(T::to_double(T::from_double(2.6)) == 3.0);
  CHECK(T::to_double(T::from_double(-2.6)) == -3.0);
  CHECK(T::to_double(T::from_double(-0.4)) == 0.0);
  CHECK(to_ref<R>(T::from_double(-1.0)) == modulus<R>() - 1);
  CHECK(T::to_double(T::from_double(0.0)) == 0.0);
  // to_double of the extreme two's-complement values.
  CHECK(T::to_double(from_ref<R>(cpp_int(1) << (K<R> - 1))) == -std::ldexp(1.0, static_cast<int>(K<R>) - 1));
  CHECK(T::to_double(from_ref<R>(modulus<R>() - 1)) == -1.0);
  // Random ring elements: to_double is the signed value up to double rounding.
  for (const auto& c : sample_values<R>(gen, 100)) {
    double ref = signed_ref<R>(c).template convert_to<double>();
    double got = T::to_double(from_ref<R>(c));
    CHECK(std::fabs(got - ref) <= std::fabs(ref) * std::ldexp(1.0, -52));
  }
}

TEST_CASE_TEMPLATE("store / load use the little-endian byte layout and round trip", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  std::mt19937_64 gen(0x10adu + K<R>);
  for (const auto& c : sample_values<R>(gen, 100)) {
    const R x = from_ref<R>(c);
    std::array<std::uint8_t, T::bytes + 2> buf;
    buf.fill(0xAB);
    T::store(x, buf.data() + 1);
    CHECK(buf[0] == 0xAB);  // no write outside the element
    CHECK(buf[T::bytes + 1] == 0xAB);
    bool layout_ok = true;
    for (std::size_t i = 0; i < T::bytes; ++i) layout_ok = layout_ok && cpp_int(buf[i + 1]) == ((c >> (8 * i)) & 0xff);
    CHECK(layout_ok);
    CHECK(to_ref<R>(T::load(buf.data() + 1)) == c);
  }
  // load of an explicit byte pattern: byte i holds i + 1.
  std::array<std::uint8_t, T::bytes> bytes;
  cpp_int expect = 0;
  for (std::size_t i = 0; i < T::bytes; ++i) {
    bytes[i] = static_cast<std::uint8_t>(i + 1);
    expect |= cpp_int(i + 1) << (8 * i);
  }
  CHECK(to_ref<R>(T::load(bytes.data())) == expect);
}

}  // namespace test_ring_traits
