// tests/test_truncation_audit.cpp: the plain protocol's record of every truncation
// (ring/truncation_audit.hpp): element counts, the largest bit length and the expected failures
// Σ 2^(b+1−ℓ), checked against the same sum computed here from the encoded products.
#include <doctest/doctest.h>

#include "tfe/ops/arithmetic.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/runtime/runner.hpp"

#include <cmath>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_truncation_audit {

namespace {

/// Bit length of |v| for a signed ring element.
template <class R>
unsigned bit_length(R v) {
  using T = tfe::ring_traits<R>;
  R m = T::msb(v) ? T::neg(v) : v;
  unsigned b = 0;
  while (m != R(0)) m = T::shr_logical(m, 1), ++b;
  return b;
}

template <class R>
void check_audit() {
  using P = tfe::plain<R>;
  using T = tfe::ring_traits<R>;
  std::mt19937_64 gen(std::random_device{}());
  std::uniform_real_distribution<double> u(-100.0, 100.0);
  xt::xarray<double> a = xt::xarray<double>::from_shape({257}), b = xt::xarray<double>::from_shape({257});
  for (auto& v : a) v = u(gen);
  for (auto& v : b) v = u(gen);
  a(0) = 0.0, b(0) = 5.0;  // a zero product (bit length 0)
  const auto cfg = tfe::fixed_point_config::preset<R>();
  // The products the truncation sees: enc(a)·enc(b) in the ring, 2f fractional bits.
  double expected = 0;
  unsigned max_bits = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const R z = R(tfe::encode_value<R>(a(i), cfg) * tfe::encode_value<R>(b(i), cfg));
    const unsigned bits = bit_length<R>(z);
    expected += std::ldexp(1.0, int(bits) + 1 - int(T::bits));
    max_bits = std::max(max_bits, bits);
  }
  tfe::truncation_audit audit;
  tfe::run_local<P>(P::default_players(), [&](tfe::session<P>& s) {
    auto x = s.define_private_input(P::default_players()[0], [&] { return a; });
    auto y = s.define_private_input(P::default_players()[0], [&] { return b; });
    (void)(x * y);  // not recorded: no audit attached yet
    if (s.id() == 0) s.set_truncation_audit(&audit);
    auto z = x * y;
    s.set_truncation_audit(nullptr);
    (void)z;
  });
  REQUIRE(audit.by_scope.size() == 1);
  const auto& [scope, e] = *audit.by_scope.begin();
  CHECK(scope.find("mul") != std::string::npos);
  CHECK(e.elements == a.size());
  CHECK(e.max_bits == max_bits);
  CHECK(e.expected_failures == doctest::Approx(expected).epsilon(1e-12));
  CHECK(audit.total().expected_failures == doctest::Approx(expected).epsilon(1e-12));
  // |a·b| < 10^4 < 2^14 with 2f fractional bits: b ≤ 14 + 2f + 1.
  CHECK(max_bits <= 14 + 2 * cfg.frac_bits + 1);
}

}  // namespace

TEST_CASE("truncation audit: plain ring64 records each truncated element and Σ 2^(b+1-64)") {
  check_audit<tfe::ring64>();
}
TEST_CASE("truncation audit: plain ring128 records each truncated element and Σ 2^(b+1-128)") {
  check_audit<tfe::ring128>();
}

}  // namespace test_truncation_audit
