// tests/test_aby3_truncation.cpp: how often aby3's truncations fail, measured on large samples, and
// their error otherwise (protocol/aby3/arithmetic.hpp: bilinear_truncated and truncate).
//
// Model (arithmetic.hpp): both truncations split the value z into a 2-out-of-2 sharing a + b with b
// (or a) uniform, and truncate locally (SecureML): a' + b' = ⌊z/2^f⌋ + {0, 1}, except when a and b,
// read as signed ℓ-bit integers, overflow when added (a + b = z ± 2^ℓ over the integers), which for a
// uniform share happens with probability |z|/2^ℓ; the result is then off by about 2^(ℓ−f). So the
// expected number of failures over a sample is Σ|z|/2^ℓ, and below n·2^(b+1−ℓ) when every |z| < 2^b.
// The exact values are recovered from the servers' parts (x_0 + x_1 from server 0, x_2 from server 1).
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_aby3_truncation {

namespace {

using int128 = tfe::int128;
const std::vector<std::string> players = {"server0", "server1", "server2", "alice"};

template <class R>
int128 as_signed(R v) {
  return static_cast<int128>(static_cast<typename tfe::ring_traits<R>::signed_type>(v));
}

struct trunc_result {
  std::uint64_t n = 0, failures = 0, failures_off_by_2_pow_l_minus_f = 0, floor_or_plus_one = 0;
  long double expected = 0;  // Σ|z| / 2^ℓ
  unsigned bits = 0;         // b: every |z| < 2^b
  double max_error = 0;      // largest |result − z/2^f| among non-failures, in units of 2^-f
};

/// The value of a replicated sharing from the parts of servers 0 and 1.
template <class R>
R value_at(const std::vector<std::vector<tfe::ring_tensor<R>>>& parts, std::size_t i) {
  return R(parts[0][0](i) + parts[0][1](i) + parts[1][1](i));
}

/// Compares truncated results with the exact z (as signed integers) they came from.
template <class R>
trunc_result evaluate(const std::vector<std::vector<tfe::ring_tensor<R>>>& parts, const std::vector<int128>& z,
                      unsigned f) {
  using T = tfe::ring_traits<R>;
  trunc_result r;
  r.n = z.size();
  int128 max_abs = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const int128 mag = z[i] < 0 ? -z[i] : z[i];
    if (mag > max_abs) max_abs = mag;
    r.expected += std::ldexp(static_cast<long double>(mag), -static_cast<int>(T::bits));
    const int128 got = as_signed<R>(value_at(parts, i));
    const int128 d = got - (z[i] >> f);  // against the floor
    if (d == 0 || d == 1) {
      ++r.floor_or_plus_one;
      const long double exact = std::ldexp(static_cast<long double>(z[i]), -static_cast<int>(f));
      const double err = static_cast<double>(std::fabs(static_cast<long double>(got) - exact));
      r.max_error = std::max(r.max_error, err);
      continue;
    }
    ++r.failures;
    const int128 big = int128(1) << (T::bits - f);
    if ((d >= big - 1 && d <= big + 1) || (d >= -big - 1 && d <= -big + 1)) ++r.failures_off_by_2_pow_l_minus_f;
  }
  while (r.bits < 127 && (int128(1) << r.bits) <= max_abs) ++r.bits;
  return r;
}

void report(const std::string& what, const trunc_result& r, unsigned ell) {
  const double documented =
      static_cast<double>(r.n) * std::ldexp(1.0, static_cast<int>(r.bits) + 1 - static_cast<int>(ell));
  MESSAGE(what, ": n = ", r.n, ", |z| < 2^", r.bits, ", failures = ", r.failures, " (rate ",
          static_cast<double>(r.failures) / static_cast<double>(r.n),
          "), expected Σ|z|/2^ℓ = ", static_cast<double>(r.expected), ", documented bound n·2^(b+1−ℓ) = ", documented,
          ", max error otherwise = ", r.max_error, " ulp");
}

/// Every non-failure is ⌊z/2^f⌋ or one more (error ≤ 1 ulp), every failure is off by ≈ 2^(ℓ−f).
void check_shape_of_errors(const trunc_result& r) {
  CHECK(r.floor_or_plus_one + r.failures == r.n);
  CHECK(r.failures_off_by_2_pow_l_minus_f == r.failures);
  CHECK(r.max_error <= 1.0);
}

/// The observed count lies within 6 standard deviations of the binomial expectation (+3 for tiny ones).
void check_rate(const trunc_result& r) {
  const double e = static_cast<double>(r.expected);
  CHECK(std::fabs(static_cast<double>(r.failures) - e) <= 6 * std::sqrt(e) + 3);
}

/// n reals with magnitude uniform in [lo, hi) and a random sign (test data, not protocol randomness).
xt::xarray<double> sample(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> mag(lo, hi);
  xt::xarray<double> v = xt::zeros<double>({n});
  for (std::size_t i = 0; i < n; ++i) v(i) = (rng() & 1u) ? -mag(rng) : mag(rng);
  return v;
}

/// x·K·y with the fused product (bilinear_truncated), K = 2^scale applied exactly with mul_int.
template <class R>
trunc_result fused_products(const xt::xarray<double>& x, const xt::xarray<double>& y, unsigned scale) {
  using P = tfe::aby3<R>;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const std::int64_t K = std::int64_t(1) << scale;
  auto parts = tfe::run_local<P>(players, [&](auto& s) {
    auto a = s.define_private_input("alice", [&] { return x; });
    auto b = s.define_private_input("alice", [&] { return y; });
    return (tfe::mul_int(a, K) * b).parts();
  });
  std::vector<int128> z(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    z[i] = as_signed(tfe::encode_value<R>(x(i), cfg)) * K * as_signed(tfe::encode_value<R>(y(i), cfg));
  return evaluate<R>(parts, z, cfg.frac_bits);
}

/// truncate(x·K) with the standalone truncation (the hook tfe::truncate and products with public
/// values use).
template <class R>
trunc_result standalone(const xt::xarray<double>& x, unsigned scale) {
  using P = tfe::aby3<R>;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const std::int64_t K = std::int64_t(1) << scale;
  auto parts = tfe::run_local<P>(players, [&](auto& s) {
    auto a = s.define_private_input("alice", [&] { return x; });
    return tfe::truncate(tfe::mul_int(a, K)).parts();
  });
  std::vector<int128> z(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) z[i] = as_signed(tfe::encode_value<R>(x(i), cfg)) * K;
  return evaluate<R>(parts, z, cfg.frac_bits);
}

}  // namespace

TEST_CASE("aby3<ring64> fused product: failure rate at the top of the fixed-point range (2^14 <= |x·y| < 2^15)") {
  // The largest products whose result is still representable: b = 47, the documented worst in-range
  // rate 2^(48−64) = 2^-16 per element.
  const std::size_t n = std::size_t(1) << 18;
  const auto r = fused_products<tfe::ring64>(sample(n, 128.0, 181.0, 1), sample(n, 128.0, 181.0, 2), 0);
  report("ring64 fused, 2^14 <= |x*y| < 2^15", r, 64);
  CHECK(r.bits == 47);
  CHECK(static_cast<double>(r.failures) <= 10 * static_cast<double>(n) * std::ldexp(1.0, 47 + 1 - 64));
  check_shape_of_errors(r);
  check_rate(r);
}

TEST_CASE("aby3<ring64> fused product: the failure rate follows Σ|z|/2^ℓ (products of up to 2^56)") {
  const std::size_t n = std::size_t(1) << 18;
  for (unsigned scale : {6u, 9u}) {
    CAPTURE(scale);
    const auto r =
        fused_products<tfe::ring64>(sample(n, 0.0, 181.0, 3 + scale), sample(n, 0.0, 181.0, 4 + scale), scale);
    report("ring64 fused, scaled by 2^" + std::to_string(scale), r, 64);
    CHECK(r.bits >= 47 + scale - 1);
    CHECK(r.expected > 20);  // large enough to measure
    check_shape_of_errors(r);
    check_rate(r);
  }
}

TEST_CASE("aby3<ring64> standalone truncation: the failure rate follows Σ|x|/2^ℓ") {
  const std::size_t n = std::size_t(1) << 18;
  for (unsigned scale : {0u, 20u, 25u}) {
    CAPTURE(scale);
    const auto r = standalone<tfe::ring64>(sample(n, 0.0, 32767.0, 10 + scale), scale);
    report("ring64 truncate, scaled by 2^" + std::to_string(scale), r, 64);
    check_shape_of_errors(r);
    check_rate(r);
    if (scale == 0) CHECK(r.failures <= 2);  // |x| < 2^31: expected ≈ 2^-33 · n
  }
}

TEST_CASE("aby3<ring128>: no truncation failure in the fixed-point range") {
  const std::size_t n = std::size_t(1) << 16;
  const auto r = fused_products<tfe::ring128>(sample(n, 0.0, 181.0, 20), sample(n, 0.0, 181.0, 21), 0);
  report("ring128 fused, |x*y| < 2^15", r, 128);
  CHECK(r.failures == 0);  // probability ≈ 2^(80−128) per element
  check_shape_of_errors(r);
  const auto t = standalone<tfe::ring128>(sample(n, 0.0, 1e9, 22), 0);
  report("ring128 truncate", t, 128);
  CHECK(t.failures == 0);
  check_shape_of_errors(t);
}

}  // namespace test_aby3_truncation
