// tests/test_prg.cpp: the AES-128-CTR prg: NIST known answers, stream continuity, shared streams, uniformity.
#include <doctest/doctest.h>

#include "tfe/crypto/prg.hpp"
#include "tfe/ring/wide_ring.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_prg {

namespace {

using tfe::prg;
using tfe::ring128;
using tfe::ring256;
using tfe::ring64;
using tfe::ring_traits;

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> array_from_hex(const std::string& hex) {
  auto v = from_hex(hex);
  REQUIRE(v.size() == N);
  std::array<std::uint8_t, N> a{};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

std::vector<std::uint8_t> stream(prg& g, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  g.fill_bytes(v.data(), n);
  return v;
}

// NIST SP 800-38A, F.5.1 CTR-AES128.Encrypt (also checked against `openssl enc -aes-128-ctr`).
const std::string nist_key = "2b7e151628aed2a6abf7158809cf4f3c";
const std::string nist_counter = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const std::array<std::string, 4> nist_plain = {"6bc1bee22e409f96e93d7e117393172a", "ae2d8a571e03ac9c9eb76fac45af8e51",
                                               "30c81c46a35ce411e5fbc1191a0a52ef", "f69f2445df4f9b17ad2b417be66c3710"};
const std::array<std::string, 4> nist_cipher = {"874d6191b620e3261bef6864990db6ce", "9806f66b7970fdff8617187bb9fffdff",
                                                "5ae4df3edbd5d35e5b4f09020db03eab", "1e031dda2fbe03d1792170a0f3009cee"};

prg nist_prg() { return prg(array_from_hex<16>(nist_key), array_from_hex<16>(nist_counter)); }

void check_nist_blocks(const std::vector<std::uint8_t>& keystream) {
  REQUIRE(keystream.size() == 64);
  for (std::size_t b = 0; b < 4; ++b) {
    auto pt = from_hex(nist_plain[b]);
    auto ct = from_hex(nist_cipher[b]);
    for (std::size_t i = 0; i < 16; ++i) {
      CAPTURE(b);
      CAPTURE(i);
      CHECK((keystream[16 * b + i] ^ pt[i]) == ct[i]);
    }
  }
}

/// Fraction of samples with each bit position set, over the ring's little-endian byte layout.
template <class R>
std::vector<double> bit_frequencies(const tfe::ring_tensor<R>& a) {
  constexpr std::size_t bytes = ring_traits<R>::bytes;
  std::vector<std::size_t> ones(bytes * 8, 0);
  std::array<std::uint8_t, bytes> buf{};
  for (const R& x : a) {
    ring_traits<R>::store(x, buf.data());
    for (std::size_t i = 0; i < bytes * 8; ++i) ones[i] += (buf[i / 8] >> (i % 8)) & 1U;
  }
  std::vector<double> freq(ones.size());
  for (std::size_t i = 0; i < ones.size(); ++i) freq[i] = static_cast<double>(ones[i]) / static_cast<double>(a.size());
  return freq;
}

template <class R>
void check_uniform_ring() {
  prg g;
  constexpr std::size_t n = std::size_t{1} << 16;
  auto a = g.template uniform<R>({n});
  REQUIRE(a.size() == n);
  auto freq = bit_frequencies(a);
  REQUIRE(freq.size() == ring_traits<R>::bits);
  for (std::size_t i = 0; i < freq.size(); ++i) {
    CAPTURE(i);
    CHECK(freq[i] >= 0.48);
    CHECK(freq[i] <= 0.52);
  }
  // Values are spread over the whole ring, not just small: P(x < 2^(K-8)) = 1/256 for uniform x.
  const R small = ring_traits<R>::shl(ring_traits<R>::one(), ring_traits<R>::bits - 8);
  std::size_t n_small = 0;
  for (const R& x : a) n_small += (x < small) ? 1 : 0;
  CHECK(static_cast<double>(n_small) / n < 0.01);
  CHECK(g.bytes_generated() == n * ring_traits<R>::bytes);
}

}  // namespace

TEST_SUITE("prg") {
  TEST_CASE("NIST SP 800-38A F.5.1 known answer, in one call and in odd pieces") {
    {
      prg g = nist_prg();
      check_nist_blocks(stream(g, 64));
      CHECK(g.bytes_generated() == 64);
    }
    {
      prg g = nist_prg();
      std::vector<std::uint8_t> ks;
      for (std::size_t piece : {1, 2, 5, 7, 13, 3, 17, 16}) {
        auto part = stream(g, piece);
        ks.insert(ks.end(), part.begin(), part.end());
      }
      check_nist_blocks(ks);
    }
  }

  TEST_CASE("byte-at-a-time, odd-sized and bulk generation give the same stream") {
    // Long enough to cross several 64 KiB chunks inside fill_bytes, with a ragged end.
    constexpr std::size_t total = 3 * 64 * 1024 + 4099;
    prg bulk = prg::insecure_from_fixed_seed(42);
    auto ref = stream(bulk, total);
    CHECK(bulk.bytes_generated() == total);

    prg bytewise = prg::insecure_from_fixed_seed(42);
    std::vector<std::uint8_t> one(total);
    for (std::size_t i = 0; i < total; ++i) bytewise.fill_bytes(&one[i], 1);
    CHECK(one == ref);

    prg ragged = prg::insecure_from_fixed_seed(42);
    std::vector<std::uint8_t> pieces;
    const std::size_t sizes[] = {1, 15, 16, 17, 31, 33, 65535, 65537, 3, 0, 100000};
    std::size_t k = 0;
    while (pieces.size() < total) {
      std::size_t s = std::min(sizes[k++ % std::size(sizes)], total - pieces.size());
      auto part = stream(ragged, s);
      pieces.insert(pieces.end(), part.begin(), part.end());
    }
    CHECK(pieces == ref);
    CHECK(ragged.bytes_generated() == total);
  }

  TEST_CASE("insecure_from_fixed_seed is reproducible and seed-dependent") {
    prg a = prg::insecure_from_fixed_seed(7);
    prg b = prg::insecure_from_fixed_seed(7);
    prg c = prg::insecure_from_fixed_seed(8);
    auto sa = stream(a, 64);
    CHECK(sa == stream(b, 64));
    CHECK(sa != stream(c, 64));
  }

  TEST_CASE("shared streams: same key agrees, fork agrees and is independent of the parent") {
    const tfe::seed_t key = tfe::os_random_seed();
    prg a(key);
    prg b(key);
    CHECK(stream(a, 1000) == stream(b, 1000));
    CHECK(a.next_seed() == b.next_seed());

    // Different IV under the same key is a different stream.
    std::array<std::uint8_t, 16> iv{};
    iv[0] = 1;
    prg a_iv(key, iv);
    prg a0(key);
    CHECK(stream(a_iv, 64) != stream(a0, 64));

    prg fa = a.fork();
    prg fb = b.fork();
    auto sfa = stream(fa, 256);
    CHECK(sfa == stream(fb, 256));
    // The parents stay in lockstep after forking, and their continuation is not the child's stream.
    auto pa = stream(a, 256);
    CHECK(pa == stream(b, 256));
    CHECK(pa != sfa);
    // Forks of a fork are independent again.
    prg ffa = fa.fork();
    prg ffb = fb.fork();
    auto sffa = stream(ffa, 64);
    CHECK(sffa == stream(ffb, 64));
    CHECK(std::vector<std::uint8_t>(sfa.begin(), sfa.begin() + 64) != sffa);
    // Two successive forks differ.
    prg f1 = a.fork();
    prg f2 = a.fork();
    CHECK(stream(f1, 64) != stream(f2, 64));
  }

  TEST_CASE("OS-seeded prgs differ, and successive samples differ") {
    CHECK(tfe::os_random_seed() != tfe::os_random_seed());
    prg a;
    prg b;
    CHECK(stream(a, 32) != stream(b, 32));
    CHECK(a.next_seed() != a.next_seed());
    CHECK(a.next<ring128>() != a.next<ring128>());
    auto u = a.uniform<ring64>({64});
    auto v = a.uniform<ring64>({64});
    CHECK(u != v);
    // Not the all-zero stream (what an unkeyed or broken generator would give).
    auto z = stream(a, 64);
    CHECK(z != std::vector<std::uint8_t>(64, 0));
  }

  TEST_CASE("next and fill use the ring's little-endian layout of the stream") {
    prg g1 = prg::insecure_from_fixed_seed(3);
    prg g2 = prg::insecure_from_fixed_seed(3);
    auto a64 = g1.uniform<ring64>({3, 5});
    auto a128 = g1.uniform<ring128>({7});
    auto a256 = g1.uniform<ring256>({2, 2});
    ring64 n64 = g1.next<ring64>();
    ring256 n256 = g1.next<ring256>();

    auto bytes = stream(g2, 15 * 8 + 7 * 16 + 4 * 32 + 8 + 32);
    const std::uint8_t* p = bytes.data();
    for (std::size_t i = 0; i < a64.size(); ++i, p += 8) CHECK(a64.data()[i] == ring_traits<ring64>::load(p));
    for (std::size_t i = 0; i < a128.size(); ++i, p += 16) CHECK(a128.data()[i] == ring_traits<ring128>::load(p));
    for (std::size_t i = 0; i < a256.size(); ++i, p += 32) CHECK(a256.data()[i] == ring_traits<ring256>::load(p));
    CHECK(n64 == ring_traits<ring64>::load(p));
    p += 8;
    CHECK(n256 == ring_traits<ring256>::load(p));
    CHECK(g1.bytes_generated() == g2.bytes_generated());

    CHECK(a64.shape() == std::vector<std::size_t>{3, 5});
    CHECK(a256.shape() == std::vector<std::size_t>{2, 2});
  }

  TEST_CASE("fill of a large wide-ring tensor spans several chunks") {
    prg g1 = prg::insecure_from_fixed_seed(11);
    prg g2 = prg::insecure_from_fixed_seed(11);
    constexpr std::size_t n = 5000;  // 160000 bytes: more than two 64 KiB chunks
    auto a = g1.uniform<ring256>({n});
    auto bytes = stream(g2, n * 32);
    for (std::size_t i = 0; i < n; ++i) {
      if (a.data()[i] != ring_traits<ring256>::load(bytes.data() + 32 * i)) {
        FAIL("mismatch at ", i);
      }
    }
  }

  TEST_CASE("empty tensors consume nothing") {
    prg g = prg::insecure_from_fixed_seed(1);
    CHECK(g.uniform<ring64>({0}).size() == 0);
    CHECK(g.uniform<ring256>({2, 0}).size() == 0);
    CHECK(g.uniform_bits<ring64>({0}).size() == 0);
    CHECK(g.uniform_below<ring64>(67, {0}).size() == 0);
    CHECK(g.bytes_generated() == 0);
  }

  TEST_CASE("uniform<ring64> is uniform over every bit") { check_uniform_ring<ring64>(); }
  TEST_CASE("uniform<ring128> is uniform over every bit") { check_uniform_ring<ring128>(); }
  TEST_CASE("uniform<ring256> is uniform over every bit") { check_uniform_ring<ring256>(); }

  TEST_CASE("uniform_bits gives balanced 0/1") {
    prg g;
    constexpr std::size_t n = std::size_t{1} << 16;
    auto check_bits = [&](const auto& a) {
      using R = typename std::decay_t<decltype(a)>::value_type;
      std::size_t ones = 0;
      bool only01 = true;
      for (const R& x : a) {
        if (x == R(1))
          ++ones;
        else if (x != R(0))
          only01 = false;
      }
      CHECK(only01);
      double f = static_cast<double>(ones) / static_cast<double>(a.size());
      CHECK(f >= 0.48);
      CHECK(f <= 0.52);
    };
    check_bits(g.uniform_bits<ring64>({n}));
    check_bits(g.uniform_bits<ring128>({256, 256}));
    check_bits(g.uniform_bits<ring256>({n}));
    // One keystream bit per element.
    prg h = prg::insecure_from_fixed_seed(5);
    auto b = h.uniform_bits<ring64>({17});
    CHECK(h.bytes_generated() == 3);
    CHECK(b.shape() == std::vector<std::size_t>{17});
  }

  TEST_CASE("uniform_below(67) is in range and uniform (chi-square)") {
    prg g;
    constexpr std::uint64_t p = 67;
    constexpr std::size_t per_bucket = 2000;
    constexpr std::size_t n = p * per_bucket;
    auto a = g.uniform_below<ring64>(p, {n});
    REQUIRE(a.size() == n);
    std::vector<std::size_t> counts(p, 0);
    bool in_range = true;
    for (ring64 x : a) {
      if (x >= p)
        in_range = false;
      else
        ++counts[x];
    }
    REQUIRE(in_range);
    double chi2 = 0;
    for (std::size_t c : counts) {
      double d = static_cast<double>(c) - static_cast<double>(per_bucket);
      chi2 += d * d / static_cast<double>(per_bucket);
    }
    // 66 degrees of freedom: mean 66, sd ~11.5; 160 is > 8 sd, so a failure means bias, not bad luck.
    CAPTURE(chi2);
    CHECK(chi2 < 160.0);
    // Rejection sampling consumes about n / (201/256) bytes: one byte per draw, not eight.
    CHECK(g.bytes_generated() < 2 * n);
  }

  TEST_CASE("uniform_below on other bounds and rings") {
    prg g;
    auto ones = g.uniform_below<ring64>(1, {100});
    CHECK(xt::all(xt::equal(ones, ring64(0))));

    auto check_range = [&](auto tag, std::uint64_t bound, std::size_t n) {
      using R = decltype(tag);
      auto a = g.uniform_below<R>(bound, {n});
      bool in_range = true;
      for (const R& x : a) in_range = in_range && (x < R(bound));
      CAPTURE(bound);
      CHECK(in_range);
      return a;
    };
    check_range(ring64{}, 2, 1000);
    check_range(ring64{}, 256, 1000);
    check_range(ring64{}, 257, 1000);
    check_range(ring128{}, 67, 1000);
    check_range(ring256{}, 67, 1000);
    check_range(ring64{}, (std::uint64_t{1} << 32) + 1, 1000);

    // A bound near 2^64 exercises the 8-byte path; half the values should be >= bound/2.
    const std::uint64_t big = ~std::uint64_t{0} - 12345;
    auto a = check_range(ring64{}, big, 4096);
    std::size_t high = 0;
    for (ring64 x : a) high += x >= big / 2 ? 1 : 0;
    CHECK(high > 1800);
    CHECK(high < 2300);

    // Bound 2: both values show up in balance.
    auto bits = check_range(ring64{}, 2, 1 << 14);
    double f = static_cast<double>(xt::sum(bits)()) / (1 << 14);
    CHECK(f > 0.47);
    CHECK(f < 0.53);

    CHECK_THROWS_AS(g.uniform_below<ring64>(0, {4}), tfe::error);
  }

  TEST_CASE("uniform_below is deterministic for shared streams") {
    const tfe::seed_t key = tfe::os_random_seed();
    prg a(key);
    prg b(key);
    CHECK(a.uniform_below<ring64>(67, {1000}) == b.uniform_below<ring64>(67, {1000}));
    CHECK(a.bytes_generated() == b.bytes_generated());
    CHECK(a.next_seed() == b.next_seed());
  }

  TEST_CASE("prg is move-only; a moved-from prg refuses to generate") {
    static_assert(!std::is_copy_constructible_v<prg>);
    static_assert(!std::is_copy_assignable_v<prg>);
    static_assert(std::is_nothrow_move_constructible_v<prg>);
    prg a = prg::insecure_from_fixed_seed(9);
    prg ref = prg::insecure_from_fixed_seed(9);
    auto first = stream(a, 10);
    prg b = std::move(a);
    // The moved-to prg continues the stream where the source left off.
    auto all = stream(ref, 20);
    auto rest = stream(b, 10);
    CHECK(std::vector<std::uint8_t>(all.begin(), all.begin() + 10) == first);
    CHECK(std::vector<std::uint8_t>(all.begin() + 10, all.end()) == rest);
    std::uint8_t byte = 0;
    CHECK_THROWS_AS(a.fill_bytes(&byte, 1), tfe::error);  // NOLINT(bugprone-use-after-move): on purpose
  }

}  // TEST_SUITE

}  // namespace test_prg
