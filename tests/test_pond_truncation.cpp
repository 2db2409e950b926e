// tests/test_pond_truncation.cpp: how often pond's share-local truncation (SecureML, Thm. 1; see
// ring/fixed_point.hpp truncate_share) fails, measured on large samples.
//
// Model (from fixed_point.hpp): for x = x0 + x1 mod 2^ℓ with x1 uniform and |x| < 2^b, the truncated
// shares sum to floor(x/2^f) + {0, 1}, except with probability < 2^(b+1−ℓ), when the sum is off by
// about 2^(ℓ−f). The exact mechanism: the shares, read as signed ℓ-bit integers, overflow when added
// (x0 + x1 = x ± 2^ℓ over the integers), which for uniform x1 happens with probability ≈ |x|/2^ℓ.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_pond_truncation {

namespace {

using int128 = tfe::int128;

template <class R>
int128 as_signed(R v) {
  return static_cast<int128>(static_cast<typename tfe::ring_traits<R>::signed_type>(v));
}

/// Floor division by 2^f of a signed integer (arithmetic shift; C++20 defines >> on negatives so).
int128 floor_shift(int128 v, unsigned f) { return v >> f; }

// ---- the truncation primitive on synthetic shares ------------------------------------------------

struct synthetic_result {
  std::uint64_t n = 0, failures = 0, overflow_predicted_failures = 0, failures_matching_overflow = 0,
                failures_off_by_2_pow_l_minus_f = 0, correct_floor_or_plus_one = 0;
  long double expected = 0;  // Σ |x| / 2^ℓ
};

/// n values uniform in [−2^b, 2^b), shared with a uniform x1, truncated by f with truncate_share.
synthetic_result synthetic(unsigned b, std::size_t n, unsigned f, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  tfe::ring_tensor<tfe::ring64> x0 = xt::zeros<tfe::ring64>({n}), x1 = xt::zeros<tfe::ring64>({n}),
                                x = xt::zeros<tfe::ring64>({n});
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t v = static_cast<std::int64_t>(rng() >> (63 - b)) - (std::int64_t(1) << b);
    x(i) = static_cast<tfe::ring64>(v);
    x1(i) = rng();
    x0(i) = x(i) - x1(i);
  }
  auto t0 = tfe::truncate_share(x0, f, 0), t1 = tfe::truncate_share(x1, f, 1);
  synthetic_result r;
  r.n = n;
  for (std::size_t i = 0; i < n; ++i) {
    const int128 v = as_signed(x(i));
    const int128 fl = floor_shift(v, f);
    const int128 got = as_signed<tfe::ring64>(t0(i) + t1(i));
    const int128 d = got - fl;
    const bool ok = d == 0 || d == 1;
    const bool overflow = as_signed(x0(i)) + as_signed(x1(i)) != v;
    r.correct_floor_or_plus_one += ok;
    r.failures += !ok;
    r.overflow_predicted_failures += overflow;
    r.failures_matching_overflow += (!ok && overflow);
    const int128 big = int128(1) << (64 - f);
    if (!ok && ((d >= big - 1 && d <= big + 1) || (d >= -big - 1 && d <= -big + 1)))
      ++r.failures_off_by_2_pow_l_minus_f;
    r.expected += std::ldexp(static_cast<long double>(v < 0 ? -v : v), -64);
  }
  return r;
}

// ---- pond end to end ---------------------------------------------------------------------------------

const std::vector<std::string> players = {"server0", "server1", "crypto-producer", "alice"};

struct product_result {
  std::uint64_t n = 0;
  std::uint64_t failures = 0;                       // |result − X·Y/2^2f| > 2^-10
  std::uint64_t nonfailures_within_bound = 0;       // ≤ 2 ulp + encoding error
  std::uint64_t nonfailures_floor_or_plus_one = 0;  // ring result = floor(X·Y/2^f) + {0, 1} exactly
  std::uint64_t failures_off_by_2_pow_l_minus_f = 0;
  double max_nonfailure_error = 0;
  long double expected = 0;   // Σ |X·Y| / 2^ℓ
  unsigned product_bits = 0;  // b: every |X·Y| < 2^b
};

/// x·y for two private inputs of alice in pond<R>, the two servers' shares summed here.
template <class R>
product_result pond_products(const xt::xarray<double>& x, const xt::xarray<double>& y) {
  using T = tfe::ring_traits<R>;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  auto parts = tfe::run_local<tfe::pond<R>>(players, [&](auto& s) {
    auto a = s.define_private_input("alice", [&] { return x; });
    auto b = s.define_private_input("alice", [&] { return y; });
    auto z = a * b;
    return z.parts();
  });
  REQUIRE(parts[0].size() == 1);
  REQUIRE(parts[1].size() == 1);
  const auto& z0 = parts[0][0];
  const auto& z1 = parts[1][0];
  const std::size_t n = x.size();
  REQUIRE(z0.size() == n);
  REQUIRE(z1.size() == n);

  const unsigned f = cfg.frac_bits;
  const double ulp = cfg.resolution();
  product_result r;
  r.n = n;
  int128 max_abs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int128 X = as_signed(tfe::encode_value<R>(x(i), cfg)), Y = as_signed(tfe::encode_value<R>(y(i), cfg));
    const int128 prod = X * Y;  // < 2^78 for ring128's 32 fractional bits and |x|, |y| < 2^8
    const int128 mag = prod < 0 ? -prod : prod;
    if (mag > max_abs) max_abs = mag;
    r.expected += std::ldexp(static_cast<long double>(mag), -static_cast<int>(T::bits));
    const R sum = R(z0(i) + z1(i));
    const int128 d = as_signed(sum) - floor_shift(prod, f);
    const double err = std::fabs(tfe::decode_value(sum, cfg) - x(i) * y(i));
    // A failure: the truncation's own error (against the exact product of the encodings, so the
    // encoding error of x and y, up to (|x| + |y|)·2^-(f+1), does not count) exceeds 2^-10.
    const long double exact = std::ldexp(static_cast<long double>(prod), -2 * static_cast<int>(f));
    const long double trunc_err = std::fabs(static_cast<long double>(tfe::decode_value(sum, cfg)) - exact);
    if (trunc_err > std::ldexp(1.0L, -10)) {
      ++r.failures;
      const int128 big = int128(1) << (T::bits - f);
      if ((d >= big - 1 && d <= big + 1) || (d >= -big - 1 && d <= -big + 1)) ++r.failures_off_by_2_pow_l_minus_f;
      continue;
    }
    // Normal case: floor or one more (≤ 1 ulp from the exact product of the encodings), plus the
    // encoding error of x and y (each ≤ ulp/2): ≤ 2 ulp + (|x| + |y|)·ulp/2 + ulp²/4.
    const double bound = 2 * ulp + (std::fabs(x(i)) + std::fabs(y(i))) * ulp / 2 + ulp * ulp / 4;
    r.nonfailures_within_bound += err <= bound;
    r.nonfailures_floor_or_plus_one += d == 0 || d == 1;
    if (err > r.max_nonfailure_error) r.max_nonfailure_error = err;
  }
  while (r.product_bits < 127 && (int128(1) << r.product_bits) <= max_abs) ++r.product_bits;
  return r;
}

/// n values with magnitude uniform in [lo, hi) and a random sign.
xt::xarray<double> sample(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> mag(lo, hi);
  xt::xarray<double> v = xt::zeros<double>({n});
  for (std::size_t i = 0; i < n; ++i) v(i) = (rng() & 1u) ? -mag(rng) : mag(rng);
  return v;
}

void report(const std::string& what, const product_result& r, unsigned ell) {
  const double documented =
      static_cast<double>(r.n) * std::ldexp(1.0, static_cast<int>(r.product_bits) + 1 - static_cast<int>(ell));
  MESSAGE(what, ": n = ", r.n, ", product bits b = ", r.product_bits, ", failures = ", r.failures, " (rate ",
          static_cast<double>(r.failures) / static_cast<double>(r.n),
          "), expected count sum|X*Y|/2^l = ", static_cast<double>(r.expected),
          ", documented bound n*2^(b+1-l) = ", documented, ", max normal-case error = ", r.max_nonfailure_error);
}

void check_normal_case(const product_result& r) {
  CHECK(r.nonfailures_within_bound == r.n - r.failures);
  CHECK(r.nonfailures_floor_or_plus_one == r.n - r.failures);
  CHECK(r.failures_off_by_2_pow_l_minus_f == r.failures);  // a failure is wrong by ≈ 2^(ℓ−f)
}

}  // namespace

TEST_CASE("truncate_share: failures are exactly the signed overflows of the shares, at the documented rate") {
  const std::size_t n = std::size_t(1) << 20;
  const unsigned f = 16;
  for (unsigned b : {40u, 50u, 56u, 62u}) {
    CAPTURE(b);
    const auto r = synthetic(b, n, f, 1000 + b);
    const double bound = static_cast<double>(n) * std::ldexp(1.0, static_cast<int>(b) + 1 - 64);
    const double expected = static_cast<double>(r.expected);
    MESSAGE("b = ", b, ": ", r.failures, " failures in ", n, " (rate ",
            static_cast<double>(r.failures) / static_cast<double>(n), "), expected Σ|x|/2^64 = ", expected,
            ", documented bound n·2^(b+1-64) = ", bound);
    CHECK(r.failures + r.correct_floor_or_plus_one == n);
    CHECK(r.failures == r.overflow_predicted_failures);  // the mechanism, exactly
    CHECK(r.failures_matching_overflow == r.failures);
    CHECK(r.failures_off_by_2_pow_l_minus_f == r.failures);
    CHECK(static_cast<double>(r.failures) <= bound);
    // Binomial around the expectation: within 6 standard deviations (+3 for tiny expectations).
    CHECK(std::fabs(static_cast<double>(r.failures) - expected) <= 6 * std::sqrt(expected) + 3);
  }
}

TEST_CASE("pond<ring64>: failure rate of share-local truncation on 2^18 products of |x|, |y| < 2^7") {
  const std::size_t n = std::size_t(1) << 18;
  const auto x = sample(n, 0.0, 128.0, 1), y = sample(n, 0.0, 128.0, 2);
  const auto r = pond_products<tfe::ring64>(x, y);
  report("ring64, |x|,|y| < 2^7", r, 64);
  // |x·y| < 2^14 with 2·16 fractional bits: the encoded product has b ≤ 46 bits.
  CHECK(r.product_bits <= 46);
  const double documented = static_cast<double>(n) * std::ldexp(1.0, static_cast<int>(r.product_bits) + 1 - 64);  // ≈ 2
  CHECK(static_cast<double>(r.failures) <= 10 * documented);  // ≤ 20
  check_normal_case(r);
}

TEST_CASE("pond<ring64>: failure rate at the top of the fixed-point range (2^14 <= |x·y| < 2^15)") {
  // The largest products whose result is still representable (|x·y| < 2^int_bits): b = 47, the
  // documented worst in-range rate 2^(48-64) = 2^-16 per element.
  const std::size_t n = std::size_t(1) << 18;
  const auto x = sample(n, 128.0, 181.0, 3), y = sample(n, 128.0, 181.0, 4);
  const auto r = pond_products<tfe::ring64>(x, y);
  report("ring64, 2^14 <= |x*y| < 2^15", r, 64);
  CHECK(r.product_bits == 47);
  const double documented = static_cast<double>(n) * std::ldexp(1.0, 47 + 1 - 64);  // 4
  CHECK(static_cast<double>(r.failures) <= 10 * documented);
  check_normal_case(r);
}

TEST_CASE("pond<ring128>: no truncation failure on 2^18 products of |x|, |y| < 2^7") {
  const std::size_t n = std::size_t(1) << 18;
  const auto x = sample(n, 0.0, 128.0, 5), y = sample(n, 0.0, 128.0, 6);
  const auto r = pond_products<tfe::ring128>(x, y);
  report("ring128, |x|,|y| < 2^7", r, 128);
  CHECK(r.product_bits <= 2 * (7 + 32));  // probability ≈ 2^(79-128) = 2^-49 per element
  CHECK(r.failures == 0);
  check_normal_case(r);
}

}  // namespace test_pond_truncation
