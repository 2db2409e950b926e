// tests/test_securenn_protocols.cpp: SecureNN's building blocks, exactly, on random values and on the
// edge values: PrivateCompare (including β = 1 with r = 2^k − 1), ShareConvert (a = 0, L − 2, r = 0 is
// covered by the formula test), ComputeMSB, the paper's DReLU on its range [−2^(ℓ−2), 2^(ℓ−2)) and
// its documented behaviour just outside, the full-ring DReLU on the whole ring (0, ±1 ulp, −2^(ℓ−1),
// 2^(ℓ−1) − 1), and the protocol hooks sign_bit / zero_bit at every width.
//
// Shares are made here in the main thread from a test-only generator (std::mt19937_64: test data, not
// protocol randomness) and handed to the servers; results come back from run_local and are combined
// here.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_securenn_protocols {

namespace {

namespace sd = tfe::securenn_detail;
const std::vector<std::string> players = {"server0", "server1", "helper"};

template <class R>
R rnd(std::mt19937_64& g) {
  if constexpr (sizeof(R) == 8) {
    return g();
  } else {
    return (R(g()) << 64) | R(g());
  }
}

template <class R>
using vec = std::vector<R>;

template <class R>
tfe::ring_tensor<R> tensor(const vec<R>& v) {
  tfe::ring_tensor<R> t = tfe::ring_tensor<R>::from_shape({v.size()});
  for (std::size_t i = 0; i < v.size(); ++i) t(i) = v[i];
  return t;
}

/// Random additive shares of v over Z_L.
template <class R>
std::pair<vec<R>, vec<R>> share(const vec<R>& v, std::mt19937_64& g) {
  vec<R> a0(v.size()), a1(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    a0[i] = rnd<R>(g);
    a1[i] = R(v[i] - a0[i]);
  }
  return {a0, a1};
}

/// The values every test runs on: random ones plus the edges of the range [lo, hi] (two's complement).
template <class R>
vec<R> values(std::mt19937_64& g, unsigned width, std::size_t random_count) {
  using T = tfe::ring_traits<R>;
  const R hi = R(T::shl(R(1), width - 1) - 1);   // 2^(w−1) − 1
  const R lo = T::neg(T::shl(R(1), width - 1));  // −2^(w−1)
  // The hooks' contract is the width-bit range: 2 is outside it at width 2 (where the masked DReLU
  // reads bit 1 of 2 as the sign, as it should).
  vec<R> v = {R(0), R(1), T::neg(R(1)), T::neg(R(2)), hi, lo, R(hi - 1), R(lo + 1)};
  if (width > 2) v.push_back(R(2));
  if (width > 17) {
    v.push_back(R(1) << 16);
    v.push_back(T::neg(R(1) << 16));
  }
  for (std::size_t i = 0; i < random_count; ++i) {
    R x = rnd<R>(g);
    // sign-extend from `width` bits so x is in range
    x = T::shr_arith(T::shl(x, T::bits - width), T::bits - width);
    v.push_back(x);
  }
  return v;
}

template <class R>
bool negative(R x) {
  return tfe::ring_traits<R>::msb(x);
}

// ---- PrivateCompare ---------------------------------------------------------------------------

template <class R>
void check_private_compare(unsigned k, int random_pairs = 400) {
  CAPTURE(k);
  const unsigned p = sd::prime<R>;
  std::mt19937_64 g(1234 + k);
  const R kmask = k == tfe::ring_traits<R>::bits ? R(~R(0)) : R((R(1) << k) - 1);
  vec<R> xs, rs;
  std::vector<std::uint8_t> beta;
  // Edges: x = r, x = r ± 1, r = 0, r = 2^k − 1 (with β = 1: the special case), x = 0, x = 2^k − 1.
  const vec<R> special = {R(0), R(1), kmask, R(kmask - 1), R(R(1) << (k - 1)), R((R(1) << (k - 1)) - 1)};
  for (R x : special)
    for (R r : special)
      for (std::uint8_t b : {0, 1}) {
        xs.push_back(x);
        rs.push_back(r);
        beta.push_back(b);
      }
  for (int i = 0; i < random_pairs; ++i) {
    const R x = rnd<R>(g) & kmask;
    xs.push_back(x);
    rs.push_back(i % 3 == 0 ? x : (rnd<R>(g) & kmask));  // many equal pairs
    beta.push_back(static_cast<std::uint8_t>(g() & 1));
  }
  const std::size_t n = xs.size();
  // Z_p shares of the bits.
  sd::zp_vec b0(n * k), b1(n * k);
  std::uniform_int_distribution<unsigned> u(0, p - 1);
  for (std::size_t e = 0; e < n; ++e)
    for (unsigned i = 0; i < k; ++i) {
      const unsigned bit = sd::bit_of(xs[e], i);
      const std::size_t at = sd::zp_index(e, i, n, k);  // block-major, as the protocol lays them out
      b0[at] = static_cast<std::uint8_t>(u(g));
      b1[at] = static_cast<std::uint8_t>((bit + p - b0[at]) % p);
    }
  auto res = tfe::run_local<tfe::securenn<R>>(players, [&](auto& s) {
    const sd::zp_vec& mine = s.id() == 0 ? b0 : b1;
    return sd::private_compare<R>(s, mine, rs.data(), beta.data(), n, k);
  });
  REQUIRE(res[2].size() == n);
  CHECK(res[0].empty());
  CHECK(res[1].empty());
  std::size_t bad = 0;
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint8_t want = static_cast<std::uint8_t>(beta[e] ^ (xs[e] > rs[e] ? 1 : 0));
    bad += res[2][e] != want;
  }
  CHECK(bad == 0);
}

TEST_CASE("PrivateCompare: the helper learns beta xor [x > r], edges included (ring64, ring128)") {
  for (unsigned k : {1u, 2u, 7u, 63u, 64u}) check_private_compare<tfe::ring64>(k);
  // several blocks of the layout (bit_shares.hpp), the last one partial
  for (unsigned k : {5u, 64u}) check_private_compare<tfe::ring64>(k, 2 * static_cast<int>(sd::zp_block) + 333);
  for (unsigned k : {3u, 64u, 127u, 128u}) check_private_compare<tfe::ring128>(k);
}

TEST_CASE("the PrivateCompare prime exceeds k + 1 for every k up to the ring width") {
  // c_i lies in [0, k + 1]; a prime p <= k + 1 could turn a nonzero c_i into a zero.
  CHECK(sd::prime<tfe::ring64> == 67u);
  CHECK(sd::prime<tfe::ring128> == 131u);
  CHECK(sd::prime<tfe::ring64> > 64u + 1u);
  CHECK(sd::prime<tfe::ring128> > 128u + 1u);
}

// ---- ShareConvert -----------------------------------------------------------------------------

template <class R>
void check_share_convert() {
  using F = sd::odd_ring<R>;
  std::mt19937_64 g(77);
  vec<R> v = {R(0),
              R(1),
              R(2),
              R(~R(0) - 1) /* L − 2 */,
              R(R(1) << (tfe::ring_traits<R>::bits - 1)),
              R((R(1) << (tfe::ring_traits<R>::bits - 1)) - 1)};
  for (int i = 0; i < 500; ++i) {
    R x = rnd<R>(g);
    if (x == R(~R(0))) x = 0;  // a ≠ L − 1
    v.push_back(x);
  }
  // Shares that wrap and shares that do not: a0 = 0, a0 = a, a0 = L − 1 for a few values.
  auto [a0, a1] = share(v, g);
  a0[0] = 0;
  a1[0] = v[0];
  a0[1] = R(~R(0));
  a1[1] = R(v[1] - a0[1]);
  const auto t0 = tensor(a0), t1 = tensor(a1);
  const tfe::shape_t shape{v.size()};
  auto res = tfe::run_local<tfe::securenn<R>>(players, [&](auto& s) {
    const tfe::ring_tensor<R>* mine = s.id() == 0 ? &t0 : s.id() == 1 ? &t1 : nullptr;
    return sd::share_convert<R>(s, mine, shape);
  });
  REQUIRE(res[0].size() == v.size());
  REQUIRE(res[1].size() == v.size());
  std::size_t bad = 0, out_of_range = 0;
  for (std::size_t e = 0; e < v.size(); ++e) {
    out_of_range += res[0].data()[e] == R(~R(0)) || res[1].data()[e] == R(~R(0));
    bad += F::add(res[0].data()[e], res[1].data()[e]) != v[e];
  }
  CHECK(bad == 0);
  CHECK(out_of_range == 0);
}

TEST_CASE("ShareConvert: shares of a in Z_L become shares of a in Z_{L-1} (ring64, ring128)") {
  check_share_convert<tfe::ring64>();
  check_share_convert<tfe::ring128>();
}

TEST_CASE("Z_{L-1} arithmetic wraps by one") {
  using F = sd::odd_ring<tfe::ring64>;
  const tfe::ring64 top = ~tfe::ring64(0);
  CHECK(F::add(top - 1, 1) == 0);  // (L − 2) + 1 = L − 1 ≡ 0
  CHECK(F::add(top - 1, 2) == 1);
  CHECK(F::add(top - 1, top - 1) == top - 2);  // 2(L − 2) = 2L − 4 ≡ L − 3
  CHECK(F::neg(5) == top - 5);
  CHECK(F::sub(3, 5) == top - 2);
  CHECK(F::reduce(top) == 0);
  CHECK(F::from_int(-1) == top - 1);
}

// ---- ComputeMSB -------------------------------------------------------------------------------

template <class R>
void check_compute_msb() {
  using F = sd::odd_ring<R>;
  constexpr unsigned ell = tfe::ring_traits<R>::bits;
  std::mt19937_64 g(99);
  const R half = R(R(1) << (ell - 1));
  vec<R> v = {R(0), R(1), R(half - 1), half, R(half + 1), R(~R(0) - 1)};
  for (int i = 0; i < 500; ++i) v.push_back(F::reduce(rnd<R>(g)));
  vec<R> a0(v.size()), a1(v.size());
  for (std::size_t e = 0; e < v.size(); ++e) {
    a0[e] = F::reduce(rnd<R>(g));
    a1[e] = F::sub(v[e], a0[e]);
  }
  const auto t0 = tensor(a0), t1 = tensor(a1);
  const tfe::shape_t shape{v.size()};
  auto res = tfe::run_local<tfe::securenn<R>>(players, [&](auto& s) {
    const tfe::ring_tensor<R>* mine = s.id() == 0 ? &t0 : s.id() == 1 ? &t1 : nullptr;
    return sd::compute_msb<R>(s, mine, shape);
  });
  std::size_t bad = 0;
  for (std::size_t e = 0; e < v.size(); ++e) {
    const R got = R(res[0].data()[e] + res[1].data()[e]);
    bad += got != (v[e] >= half ? R(1) : R(0));
  }
  CHECK(bad == 0);
}

TEST_CASE("ComputeMSB: Z_{L-1} shares of a to Z_L shares of [a >= 2^(l-1)] (ring64, ring128)") {
  check_compute_msb<tfe::ring64>();
  check_compute_msb<tfe::ring128>();
}

// ---- DReLU ------------------------------------------------------------------------------------

template <class R, class F>
vec<R> run_drelu(const vec<R>& v, F&& fn) {
  std::mt19937_64 g(5);
  auto [a0, a1] = share(v, g);
  const auto t0 = tensor(a0), t1 = tensor(a1);
  const tfe::shape_t shape{v.size()};
  auto res = tfe::run_local<tfe::securenn<R>>(players, [&](auto& s) {
    const tfe::ring_tensor<R>* mine = s.id() == 0 ? &t0 : s.id() == 1 ? &t1 : nullptr;
    return fn(s, mine, shape);
  });
  vec<R> out(v.size());
  for (std::size_t e = 0; e < v.size(); ++e) out[e] = R(res[0].data()[e] + res[1].data()[e]);
  return out;
}

template <class R>
void check_drelu() {
  constexpr unsigned ell = tfe::ring_traits<R>::bits;
  std::mt19937_64 g(11);
  // The paper's DReLU on its range: values of ℓ − 1 bits, edges −2^(ℓ−2) and 2^(ℓ−2) − 1 included.
  {
    const vec<R> v = values<R>(g, ell - 1, 600);
    auto d = run_drelu(v, [](auto& s, auto* a, const auto& sh) { return sd::drelu<R>(s, a, sh); });
    std::size_t bad = 0;
    for (std::size_t e = 0; e < v.size(); ++e) bad += d[e] != (negative(v[e]) ? R(0) : R(1));
    CHECK(bad == 0);
  }
  // Outside it, the paper's DReLU reads bit ℓ−2 (documented in drelu.hpp): 2^(ℓ−2) gives 0,
  // −2^(ℓ−2) − 1 gives 1; the full-ring variant is right on all of them.
  {
    const R q = R(R(1) << (ell - 2));
    const vec<R> v = {q, R(q + 5), R(R(0) - q - 1), R(R(1) << (ell - 1)), R((R(1) << (ell - 1)) - 1)};
    auto d = run_drelu(v, [](auto& s, auto* a, const auto& sh) { return sd::drelu<R>(s, a, sh); });
    for (std::size_t e = 0; e < v.size(); ++e) {
      CAPTURE(e);
      CHECK(d[e] == R(1 - sd::bit_of(v[e], ell - 2)));
    }
    auto f = run_drelu(v, [](auto& s, auto* a, const auto& sh) { return sd::drelu_full<R>(s, a, sh); });
    for (std::size_t e = 0; e < v.size(); ++e) CHECK(f[e] == (negative(v[e]) ? R(0) : R(1)));
  }
  // The full-ring DReLU everywhere: edges 0, ±1, −2^(ℓ−1), 2^(ℓ−1) − 1 and random ring elements.
  {
    const vec<R> v = values<R>(g, ell, 600);
    auto d = run_drelu(v, [](auto& s, auto* a, const auto& sh) { return sd::drelu_full<R>(s, a, sh); });
    std::size_t bad = 0;
    for (std::size_t e = 0; e < v.size(); ++e) bad += d[e] != (negative(v[e]) ? R(0) : R(1));
    CHECK(bad == 0);
  }
}

TEST_CASE("DReLU: the paper's on [-2^(l-2), 2^(l-2)), the full-ring variant everywhere (ring64, ring128)") {
  check_drelu<tfe::ring64>();
  check_drelu<tfe::ring128>();
}

// ---- the protocol hooks ---------------------------------------------------------------------------

template <class R>
void check_hooks() {
  using P = tfe::securenn<R>;
  constexpr unsigned ell = tfe::ring_traits<R>::bits;
  std::mt19937_64 g(21);
  for (unsigned width : {2u, 17u, 33u, ell - 1, ell}) {
    CAPTURE(width);
    const vec<R> v = values<R>(g, width, 200);
    auto [a0, a1] = share(v, g);
    // A 2-D shape, to check that shapes pass through the hooks.
    const tfe::shape_t shape2{v.size(), 1};
    auto res = tfe::run_local<P>({"server0", "server1", "helper", "alice"}, [&](auto& s) {
      typename P::parts_type x;
      if (s.id() < 2) {
        auto t = tensor(s.id() == 0 ? a0 : a1);
        t.reshape(shape2);
        x.push_back(t);
      }
      auto sb = P::sign_bit(s, x, shape2, width);
      auto zb = P::zero_bit(s, x, shape2, width);
      return std::pair{sb, zb};
    });
    for (std::size_t p = 2; p < 4; ++p) {
      CHECK(res[p].first.empty());
      CHECK(res[p].second.empty());
    }
    REQUIRE(res[0].first.size() == 1);
    REQUIRE(res[1].second.size() == 1);
    CHECK(tfe::shape_of(res[0].first.at(0)) == shape2);
    CHECK(tfe::shape_of(res[1].second.at(0)) == shape2);
    std::size_t bad_sign = 0, bad_zero = 0;
    for (std::size_t e = 0; e < v.size(); ++e) {
      const R sgn = R(res[0].first.at(0).data()[e] + res[1].first.at(0).data()[e]);
      const R zer = R(res[0].second.at(0).data()[e] + res[1].second.at(0).data()[e]);
      bad_sign += sgn != (negative(v[e]) ? R(1) : R(0));
      bad_zero += zer != (v[e] == 0 ? R(1) : R(0));
    }
    CHECK(bad_sign == 0);
    CHECK(bad_zero == 0);
  }
}

TEST_CASE("securenn sign_bit and zero_bit hooks at widths 2 .. l (ring64, ring128)") {
  check_hooks<tfe::ring64>();
  check_hooks<tfe::ring128>();
}

TEST_CASE("securenn is a protocol with its own name and players") {
  static_assert(tfe::protocol<tfe::securenn<tfe::ring64>> && tfe::protocol<tfe::securenn<tfe::ring128>>);
  CHECK(tfe::securenn<tfe::ring64>::name() == "securenn<ring64>");
  CHECK(tfe::securenn<tfe::ring128>::name() == "securenn<ring128>");
  CHECK(tfe::securenn<tfe::ring64>::default_players() == std::vector<std::string>{"server0", "server1", "helper"});
  // Too few players: the session names the roles.
  CHECK_THROWS_WITH_AS(tfe::run_local<tfe::securenn<tfe::ring64>>({"server0", "server1"}, [](auto&) {}),
                       doctest::Contains("helper"), tfe::player_error);
}

}  // namespace

namespace {

template <class R>
void check_api_edges() {
  using P = tfe::securenn<R>;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const double ulp = cfg.resolution();
  // The largest grid value below the bound that is a double (ring64: bound − ulp exactly).
  const double top = std::floor(std::nextafter(cfg.bound(), 0.0) / ulp) * ulp;
  const std::vector<double> xs = {0.0, ulp, -ulp, 2 * ulp, -2 * ulp, top, -top, 1.0, -1.0};
  const std::size_t n = xs.size();
  auto res = tfe::run_local<P>({"server0", "server1", "helper", "alice"}, [&](auto& s) {
    auto x = s.define_private_input("alice", [&] {
      xt::xarray<double> v = xt::zeros<double>({n});
      for (std::size_t i = 0; i < n; ++i) v(i) = xs[i];
      return v;
    });
    // Shapes the protocol must also take: a 0-d tensor and an empty one.
    auto scalar = tfe::reshape(tfe::slice(x, 0, 1, 2), {});
    auto empty = tfe::slice(x, 0, 0, 0);
    std::vector<tfe::private_tensor<P>> outs = {tfe::relu(x),
                                                tfe::relu(x, tfe::sign_width::full),
                                                tfe::relu_derivative(x),
                                                tfe::relu_derivative(x, tfe::sign_width::full),
                                                tfe::equal(x, tfe::to_private(s.constant(xt::zeros<double>({n})))),
                                                tfe::relu(-scalar),
                                                tfe::relu(empty)};
    std::vector<xt::xarray<double>> got;
    for (const auto& o : outs) {
      auto v = s.reveal_to("alice", o);
      if (v) got.push_back(*v);
    }
    return got;
  });
  const auto& got = res[3];
  REQUIRE(got.size() == 7);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(xs[i]);
    const double relu = xs[i] > 0 ? xs[i] : 0.0;
    CHECK(got[0](i) == relu);
    CHECK(got[1](i) == relu);
    CHECK(got[2](i) == (xs[i] >= 0 ? 1.0 : 0.0));
    CHECK(got[3](i) == (xs[i] >= 0 ? 1.0 : 0.0));
    CHECK(got[4](i) == (xs[i] == 0 ? 1.0 : 0.0));
  }
  CHECK(got[5].dimension() == 0);
  CHECK(got[5]() == 0.0);  // relu(−ulp)
  CHECK(got[6].size() == 0);
}

}  // namespace

TEST_CASE("relu, relu_derivative, equal at 0, +-1 ulp and the fixed-point range limits; 0-d and empty tensors") {
  check_api_edges<tfe::ring64>();
  check_api_edges<tfe::ring128>();
}

}  // namespace test_securenn_protocols
