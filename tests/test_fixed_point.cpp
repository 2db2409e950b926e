// tests/test_fixed_point.cpp: fixed-point encoding, range errors, preset validation, truncation in the clear
// and SecureML's local truncation of additive shares.
#include <doctest/doctest.h>

#include "tfe/crypto/prg.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/wide_ring.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_fixed_point {

namespace {

using tfe::config_error;
using tfe::encoding_error;
using tfe::fixed_point_config;
using tfe::ring128;
using tfe::ring256;
using tfe::ring64;
using tfe::ring_traits;

/// The message of the encoding_error thrown by f, or "" when nothing (or something else) is thrown.
template <class F>
std::string encoding_message(F&& f) {
  try {
    f();
  } catch (const encoding_error& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE_TEMPLATE("encode/decode round trips within half a step", R, ring64, ring128, ring256) {
  const auto cfg = fixed_point_config::preset<R>();
  CHECK(2 * cfg.used_bits() <= ring_traits<R>::bits);
  const double tol = cfg.resolution() / 2;
  const double b = cfg.bound();
  // The largest grid point below the bound that a double can hold (2^31 - 2^-32 is not a double).
  const double top = b - std::max(cfg.resolution(), std::ldexp(b, -52));
  std::mt19937_64 gen(1234 + ring_traits<R>::bits);
  std::uniform_real_distribution<double> wide(-b, b), narrow(-4.0, 4.0);
  std::vector<double> vals = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, cfg.resolution(), -cfg.resolution(),
                              0.3 * cfg.resolution(), -0.7 * cfg.resolution(), 3.14159, -2.71828,
                              // Edges near +-bound: the largest step below it, and a value just inside.
                              top, -top, b - 0.5, -b + 0.5};
  for (int i = 0; i < 2000; ++i) vals.push_back(i % 2 ? wide(gen) : narrow(gen));
  int bad = 0;
  for (double x : vals) {
    R enc = tfe::encode_value<R>(x, cfg);
    double back = tfe::decode_value<R>(enc, cfg);
    if (!(std::fabs(back - x) <= tol)) {
      ++bad;
      MESSAGE("round trip of ", x, " gave ", back);
    }
    // Negatives are two's complement: the encoding of -x is the ring negation of x's.
    if (x != 0 && std::fabs(x) < b) {
      R neg = tfe::encode_value<R>(-x, cfg);
      if (!(ring_traits<R>::neg(enc) == neg)) ++bad;
    }
  }
  CHECK(bad == 0);
  // Just below the bound but rounding up to 2^(i+f): outside the range, rejected (checked after rounding).
  if (cfg.resolution() > std::ldexp(b, -52)) {
    CHECK_THROWS_AS((void)tfe::encode_value<R>(std::nextafter(b, 0.0), cfg), tfe::encoding_error);
    CHECK_THROWS_AS((void)tfe::encode_value<R>(-std::nextafter(b, 0.0), cfg), tfe::encoding_error);
  }
  // Exact values: integers and multiples of 2^-f are represented exactly.
  CHECK(tfe::decode_value<R>(tfe::encode_value<R>(-1234.25, cfg), cfg) == -1234.25);
  CHECK(ring_traits<R>::to_double(tfe::encode_value<R>(1.0, cfg)) == cfg.scale());
  CHECK(ring_traits<R>::msb(tfe::encode_value<R>(-cfg.resolution(), cfg)));

  // Tensor versions agree with the scalar ones.
  xt::xarray<double> t = {{1.5, -2.25, 0.0}, {b - 1, -(b - 1), 1e-3}};
  auto enc = tfe::encode<R>(t, cfg);
  CHECK(enc.shape() == t.shape());
  CHECK(enc(0, 1) == tfe::encode_value<R>(-2.25, cfg));
  auto dec = tfe::decode(enc, cfg);
  CHECK(xt::amax(xt::abs(dec - t))() <= tol);
}

TEST_CASE("encoding errors name the value and the range") {
  const auto cfg = fixed_point_config::preset<ring64>();  // range (-32768, 32768)
  REQUIRE(cfg.bound() == 32768.0);

  std::string m = encoding_message([&] { (void)tfe::encode_value<ring64>(40000.5, cfg); });
  CHECK(contains(m, "40000.5"));
  CHECK(contains(m, "32768"));
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(-1e6, cfg); });
  CHECK(contains(m, "-1000000"));
  CHECK(contains(m, "32768"));
  // The bound itself is outside the open range.
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(32768.0, cfg); });
  CHECK(contains(m, "32768"));
  CHECK(contains(m, "range"));
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(-32768.0, cfg); });
  CHECK(contains(m, "-32768"));
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(std::numeric_limits<double>::quiet_NaN(), cfg); });
  CHECK(contains(m, "nan"));
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(std::numeric_limits<double>::infinity(), cfg); });
  CHECK(contains(m, "inf"));
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(-std::numeric_limits<double>::infinity(), cfg); });
  CHECK(contains(m, "-inf"));
  // Just inside the range encodes fine.
  CHECK_NOTHROW((void)tfe::encode_value<ring64>(32767.99, cfg));
  CHECK_NOTHROW((void)tfe::encode_value<ring64>(-32767.99, cfg));

  // Tensors: the error names the offending value and its index.
  xt::xarray<double> t = {1.0, 2.0, 50000.0, 3.0};
  m = encoding_message([&] { (void)tfe::encode<ring64>(t, cfg); });
  CHECK(contains(m, "50000"));
  CHECK(contains(m, "element 2"));
  xt::xarray<double> t2 = {{1.0, std::numeric_limits<double>::quiet_NaN()}};
  m = encoding_message([&] { (void)tfe::encode<ring64>(t2, cfg); });
  CHECK(contains(m, "nan"));
  CHECK(contains(m, "element 1"));

  // The ring128 preset has a much wider range.
  const auto cfg128 = fixed_point_config::preset<ring128>();
  CHECK_NOTHROW((void)tfe::encode_value<ring128>(1e9, cfg128));
  m = encoding_message([&] { (void)tfe::encode_value<ring128>(3e9, cfg128); });
  CHECK(contains(m, "3000000000"));
  CHECK(contains(m, "2147483648"));  // 2^31, printed exactly (max_digits10)
  // Values next to the bound are distinguishable from it in the message.
  m = encoding_message([&] { (void)tfe::encode_value<ring64>(32768.25, cfg); });
  CHECK(contains(m, "32768.25"));
}

TEST_CASE("validate rejects configs too wide for the ring") {
  CHECK_NOTHROW(fixed_point_config::preset<ring64>());
  CHECK_NOTHROW(fixed_point_config::preset<ring128>());
  CHECK_NOTHROW(fixed_point_config::preset<ring256>());
  CHECK(fixed_point_config::preset<ring64>().frac_bits == 16);
  CHECK(fixed_point_config::preset<ring128>().frac_bits == 32);

  fixed_point_config c{16, 16};  // 33 bits per value, 66 per product
  CHECK_THROWS_AS(c.validate<ring64>(), config_error);
  CHECK_NOTHROW(c.validate<ring128>());
  fixed_point_config c2{32, 32};  // 65 bits, 130 per product
  CHECK_THROWS_AS(c2.validate<ring128>(), config_error);
  CHECK_NOTHROW(c2.validate<ring256>());
  fixed_point_config c3{0, 10};
  CHECK_THROWS_AS(c3.validate<ring64>(), config_error);
  fixed_point_config c4{53, 10};  // fits ring256 but cannot be encoded from a double
  CHECK_THROWS_AS(c4.validate<ring256>(), config_error);
  try {
    c.validate<ring64>();
  } catch (const config_error& e) {
    CHECK(contains(e.what(), "ring64"));
  }
}

TEST_CASE_TEMPLATE("truncate is floor division by 2^bits", R, ring64, ring128) {
  using T = ring_traits<R>;
  const std::vector<std::int64_t> xs = {
      0,     1,     7,      8,      9,      -1,        -7,        -8,           -9,
      65535, 65536, -65535, -65536, -65537, INT64_MAX, INT64_MIN, 123456789012, -123456789012};
  tfe::ring_tensor<R> t = xt::zeros<R>({xs.size()});
  for (std::size_t i = 0; i < xs.size(); ++i) t(i) = T::from_int(xs[i]);
  for (unsigned bits : {1u, 3u, 16u, 40u}) {
    auto out = tfe::truncate(t, bits);
    REQUIRE(out.size() == xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      // floor(x / 2^bits) computed in long double-free integer arithmetic.
      std::int64_t d = std::int64_t{1} << bits;
      std::int64_t q = xs[i] / d;
      if (xs[i] % d != 0 && xs[i] < 0) --q;
      CAPTURE(xs[i]);
      CAPTURE(bits);
      CHECK(out(i) == T::from_int(q));
    }
  }
  // As a fixed-point op: the product of two encodings, truncated by f, decodes to the product.
  const auto cfg = fixed_point_config::preset<R>();
  tfe::ring_tensor<R> a = tfe::encode<R>(xt::xarray<double>{1.5, -2.25, -0.1}, cfg);
  tfe::ring_tensor<R> b = tfe::encode<R>(xt::xarray<double>{2.0, 3.0, 0.1}, cfg);
  tfe::ring_tensor<R> prod = a * b;
  auto back = tfe::decode(tfe::truncate(prod, cfg.frac_bits), cfg);
  CHECK(back(0) == 3.0);
  CHECK(back(1) == -6.75);
  CHECK(back(2) == doctest::Approx(-0.01).epsilon(0.01));
}

TEST_CASE("truncate_share of random additive shares: floor or floor+1, rare documented failures") {
  using T = ring_traits<ring64>;
  const auto cfg = fixed_point_config::preset<ring64>();
  const unsigned f = cfg.frac_bits;
  const std::size_t n = 100000;
  // Products of in-range values whose product is also in range: |a|, |b| < 181, |a*b| < 2^15,
  // so the encoded product x satisfies |x| < 2^(15 + 2f) = 2^47 =: 2^bbits.
  const unsigned bbits = 15 + 2 * f;
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> dist(-181.0, 181.0);
  tfe::ring_tensor<ring64> x = xt::zeros<ring64>({n});
  for (std::size_t i = 0; i < n; ++i)
    x(i) = tfe::encode_value<ring64>(dist(gen), cfg) * tfe::encode_value<ring64>(dist(gen), cfg);

  tfe::prg g;  // x0 uniform from the OS-keyed prg, x1 = x - x0
  tfe::ring_tensor<ring64> x0 = g.uniform<ring64>({n});
  tfe::ring_tensor<ring64> x1 = x - x0;
  auto y0 = tfe::truncate_share(x0, f, 0);
  auto y1 = tfe::truncate_share(x1, f, 1);
  auto exact = tfe::truncate(x, f);

  std::size_t failures = 0, plus_one = 0, big_errors = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ring64 diff = ring64(y0(i) + y1(i)) - exact(i);
    if (diff == 0) continue;
    if (diff == 1) {
      ++plus_one;
      continue;
    }
    ++failures;
    // A failure is off by about +-2^(k-f).
    double err = std::fabs(T::to_double(diff));
    if (err > std::ldexp(1.0, 64 - static_cast<int>(f) - 1)) ++big_errors;
  }
  const double rate = std::ldexp(1.0, static_cast<int>(bbits) + 1 - 64);  // documented bound 2^(b+1-k)
  const double bound = 10.0 * rate * static_cast<double>(n) + 10.0;
  MESSAGE("truncate_share: ", failures, " failures and ", plus_one, " off-by-one in ", n,
          " products (documented rate < 2^", int(bbits) + 1 - 64, ", generous bound ", bound, ")");
  CHECK(static_cast<double>(failures) <= bound);
  CHECK(big_errors == failures);
  // The +1 case is common (about half of the elements), so the test does see both outcomes.
  CHECK(plus_one > n / 4);
  CHECK(plus_one < 3 * n / 4);

  // Decoded, the truncated shares give the real products up to 2^-f (plus rare failures).
  std::size_t far = 0;
  auto real = tfe::decode(tfe::ring_tensor<ring64>(y0 + y1), cfg);
  auto want = tfe::decode(exact, cfg);
  for (std::size_t i = 0; i < n; ++i)
    if (std::fabs(real(i) - want(i)) > 1.5 * cfg.resolution()) ++far;
  CHECK(far == failures);
}

TEST_CASE("truncate_share with x1 = x - x0 fails near the wrap-around of x0, as documented") {
  // Deterministic illustration of the failure mode: x = 2^20 (small, positive) and x0 just above 2^63
  // (signed: close to -2^63), so x1 = x - x0 is also close to -2^63 and the signed shares sum to x - 2^64:
  // the truncated shares then sum to floor(x/2^f) - 2^(k-f).
  const unsigned f = 16;
  tfe::ring_tensor<ring64> x = {ring64{1} << 20};
  tfe::ring_tensor<ring64> x0 = {(ring64{1} << 63) + 5};
  tfe::ring_tensor<ring64> x1 = x - x0;
  ring64 sum = tfe::truncate_share(x0, f, 0)(0) + tfe::truncate_share(x1, f, 1)(0);
  ring64 want = ring64{1} << (20 - f);
  CHECK(sum == want - (ring64{1} << (64 - f)));
  // A safe x0 (small) gives floor or floor + 1.
  tfe::ring_tensor<ring64> s0 = {ring64{12345}};
  tfe::ring_tensor<ring64> s1 = x - s0;
  ring64 ok = tfe::truncate_share(s0, f, 0)(0) + tfe::truncate_share(s1, f, 1)(0);
  CHECK((ok == want || ok == want + 1));
}

}  // namespace test_fixed_point
