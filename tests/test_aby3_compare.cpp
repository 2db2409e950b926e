// tests/test_aby3_compare.cpp: ABY3's sign_bit and zero_bit hooks (protocol/aby3/compare.hpp) against
// plaintext at every kind of width: tiny (2, 3), odd and even (the leaf blocks pair positions, so
// both parities of the position count matter), the fixed-point widths (32, 33 on ring64; 64, 65 on
// ring128) and the full ring. Inputs are random values of the width-bit range with the edges planted:
// −2^(k−1), 2^(k−1) − 1, −1, 0, 1, many zeros for the zero test, and sizes that are not multiples of
// 64 (bit-slicing pads the last word). Results must be exact, with the replicated layout.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_aby3_compare {

namespace {

const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};
constexpr std::size_t ALICE = 3, BOB = 4;

template <class R>
using parts_t = std::vector<tfe::ring_tensor<R>>;

/// Values of the k-bit two's-complement range, as ring elements (sign-extended), with edges.
template <class R>
tfe::ring_tensor<R> values(const tfe::shape_t& shape, unsigned k, std::uint64_t seed) {
  using T = tfe::ring_traits<R>;
  std::mt19937_64 rng(seed);
  tfe::ring_tensor<R> v = tfe::ring_tensor<R>::from_shape(shape);
  const std::size_t n = v.size();
  for (std::size_t i = 0; i < n; ++i) {
    R w = sizeof(R) == 8 ? R(rng()) : R((R(rng()) << 64) | R(rng()));
    // keep the low k bits and sign-extend: a uniform value of the k-bit range
    w = T::shr_arith(T::shl(w, T::bits - k), T::bits - k);
    switch (rng() % 8) {
      case 0:
        w = R(0);
        break;  // zeros (the zero test needs many)
      case 1:
        w = T::from_int(static_cast<std::int64_t>(rng() % 3) - 1);
        break;  // −1, 0, 1
      default:
        break;
    }
    v.data()[i] = w;
  }
  const R lo = T::neg(T::shl(R(1), k - 1)), hi = R(T::shl(R(1), k - 1) - 1);
  const std::vector<R> edges = {lo, hi, R(~R(0)), R(0), R(1), R(lo + 1), R(hi - 1)};
  for (std::size_t i = 0; i < edges.size() && i < n; ++i) v.data()[(i * 7919) % n] = edges[i];
  return v;
}

template <class R>
bool layout_ok(const std::vector<parts_t<R>>& parts) {
  for (std::size_t i = 0; i < 3; ++i) {
    if (parts[i].size() != 2) return false;
    const auto& a = parts[i][1];
    const auto& b = parts[(i + 1) % 3][0];
    if (a.size() != b.size() || !std::equal(a.data(), a.data() + a.size(), b.data())) return false;
  }
  for (std::size_t p = 3; p < parts.size(); ++p)
    if (!parts[p].empty()) return false;
  return true;
}

struct case_result {
  std::size_t sign_wrong = 0, zero_wrong = 0, n = 0;
  bool layout = true;
};

/// For every width: share the values (from alice and from server 1), run both hooks, reveal to bob.
template <class R>
void check_widths(const std::vector<unsigned>& widths, const tfe::shape_t& shape, std::uint64_t seed) {
  using P = tfe::aby3<R>;
  using T = tfe::ring_traits<R>;
  std::vector<tfe::ring_tensor<R>> inputs;
  for (unsigned k : widths) inputs.push_back(values<R>(shape, k, seed + k));
  struct player_out {
    std::vector<parts_t<R>> parts;         // per result
    std::vector<tfe::ring_tensor<R>> bob;  // per result, at bob
  };
  auto out = tfe::run_local<P>(players, [&](tfe::session<P>& s) {
    player_out o;
    for (std::size_t w = 0; w < widths.size(); ++w) {
      const std::size_t owner = w % 2 ? 1 : ALICE;
      auto x = s.share_encoded(owner, s.id() == owner ? std::optional<tfe::ring_tensor<R>>(inputs[w]) : std::nullopt);
      for (auto parts : {P::sign_bit(s, x.parts(), shape, widths[w]), P::zero_bit(s, x.parts(), shape, widths[w])}) {
        o.parts.push_back(parts);
        auto v = P::reveal(s, parts, shape, BOB);
        if (v) o.bob.push_back(*v);
      }
    }
    return o;
  });
  REQUIRE(out[BOB].bob.size() == 2 * widths.size());
  for (std::size_t w = 0; w < widths.size(); ++w) {
    const unsigned k = widths[w];
    CAPTURE(k);
    CAPTURE(tfe::shape_str(shape));
    std::vector<parts_t<R>> sp, zp;
    for (std::size_t p = 0; p < players.size(); ++p) {
      sp.push_back(out[p].parts[2 * w]);
      zp.push_back(out[p].parts[2 * w + 1]);
    }
    CHECK(layout_ok<R>(sp));
    CHECK(layout_ok<R>(zp));
    const auto& sign = out[BOB].bob[2 * w];
    const auto& zero = out[BOB].bob[2 * w + 1];
    std::size_t sign_wrong = 0, zero_wrong = 0, zeros = 0, negatives = 0;
    std::string first;
    for (std::size_t i = 0; i < inputs[w].size(); ++i) {
      const R x = inputs[w].data()[i];
      const R es = T::msb(x) ? R(1) : R(0), ez = x == R(0) ? R(1) : R(0);
      zeros += ez == R(1);
      negatives += es == R(1);
      if (sign.data()[i] != es || zero.data()[i] != ez) {
        if (first.empty())
          first = "element " + std::to_string(i) + " value " + std::to_string(T::to_double(x)) + ": sign " +
                  T::to_string(sign.data()[i]) + ", zero " + T::to_string(zero.data()[i]);
      }
      sign_wrong += sign.data()[i] != es;
      zero_wrong += zero.data()[i] != ez;
    }
    INFO(first);
    CHECK(sign_wrong == 0);
    CHECK(zero_wrong == 0);
    if (inputs[w].size() >= 64) {  // the data has both answers for both tests
      CHECK(zeros > 0);
      CHECK(negatives > 0);
      CHECK(zeros < inputs[w].size());
    }
  }
}

}  // namespace

TEST_CASE("aby3<ring64>: sign_bit and zero_bit are exact at every width") {
  const std::vector<unsigned> widths = {2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 31, 32, 33, 34, 47, 62, 63, 64};
  check_widths<tfe::ring64>(widths, {200}, 100);
  check_widths<tfe::ring64>(widths, {1}, 200);
  check_widths<tfe::ring64>({2, 32, 33, 64}, {3, 5, 7}, 300);
  check_widths<tfe::ring64>({32, 33, 64}, {64}, 400);
  check_widths<tfe::ring64>({32, 33, 64}, {65}, 500);
  check_widths<tfe::ring64>({33}, {4099}, 600);
}

TEST_CASE("aby3<ring128>: sign_bit and zero_bit are exact at every width") {
  const std::vector<unsigned> widths = {2, 3, 5, 32, 33, 63, 64, 65, 66, 96, 127, 128};
  check_widths<tfe::ring128>(widths, {200}, 700);
  check_widths<tfe::ring128>({2, 64, 65, 128}, {1}, 800);
  check_widths<tfe::ring128>({65, 128}, {2, 67}, 900);
}

TEST_CASE("sign_bit and zero_bit reject widths outside the ring") {
  using P = tfe::aby3<tfe::ring64>;
  for (unsigned bad : {0u, 1u, 65u}) {
    CAPTURE(bad);
    bool threw = false;
    try {
      tfe::run_local<P>(players, [&](tfe::session<P>& s) {
        auto x =
            s.share_encoded(ALICE, s.id() == ALICE ? std::optional<tfe::ring_tensor<tfe::ring64>>(
                                                         tfe::ring_tensor<tfe::ring64>(xt::zeros<tfe::ring64>({4})))
                                                   : std::nullopt);
        if (bad == 0 || bad == 65) (void)P::zero_bit(s, x.parts(), x.shape(), bad);
        (void)P::sign_bit(s, x.parts(), x.shape(), bad);
      });
    } catch (const tfe::player_error& e) {
      threw = std::string(e.what()).find("width") != std::string::npos;
    }
    CHECK(threw);
  }
}

}  // namespace test_aby3_compare
