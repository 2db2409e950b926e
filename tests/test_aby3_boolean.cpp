// tests/test_aby3_boolean.cpp: ABY3's boolean sharing (protocol/aby3/boolean.hpp) and the
// conversions (protocol/aby3/conversions.hpp) against plaintext, on random ring words with the edges
// planted: 0, 1, −1 (all ones), the largest positive and most negative ring values, and the largest
// fixed-point encodings ±(2^(int+frac) − 1). Every result is revealed and compared exactly; the
// replicated layout (server i's part 1 is server i+1's part 0) is checked on every sharing.
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_aby3_boolean {

namespace {

using namespace tfe::aby3_ops;

const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};
constexpr std::size_t ALICE = 3, BOB = 4;

template <class R>
R random_word(std::mt19937_64& rng) {
  if constexpr (sizeof(R) == 8) {
    return rng();
  } else {
    return (R(rng()) << 64) | R(rng());
  }
}

/// "" when a == b (same shape, same words), else where they first differ.
template <class R>
std::string mismatch(const tfe::ring_tensor<R>& a, const tfe::ring_tensor<R>& b) {
  using T = tfe::ring_traits<R>;
  if (tfe::shape_of(a) != tfe::shape_of(b))
    return "shapes " + tfe::shape_str(tfe::shape_of(a)) + " and " + tfe::shape_str(tfe::shape_of(b));
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i])
      return "element " + std::to_string(i) + ": " + T::to_string(a.data()[i]) + " != " + T::to_string(b.data()[i]);
  return "";
}
#define CHECK_SAME(a, b)                       \
  do {                                         \
    const std::string m_ = mismatch((a), (b)); \
    CHECK_MESSAGE(m_.empty(), m_);             \
  } while (false)

/// n random words with the edges planted at the front.
template <class R>
tfe::ring_tensor<R> words(std::size_t n, std::uint64_t seed) {
  using T = tfe::ring_traits<R>;
  std::mt19937_64 rng(seed);
  tfe::ring_tensor<R> v = tfe::ring_tensor<R>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) v(i) = random_word<R>(rng);
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const R top_fixed = (R(1) << (cfg.int_bits + cfg.frac_bits)) - 1;
  const std::vector<R> edges = {
      R(0), R(1), R(~R(0)), R(~R(0) >> 1), R(R(1) << (T::bits - 1)), top_fixed, R(0) - top_fixed, R(2), R(0) - R(2)};
  for (std::size_t i = 0; i < edges.size() && i < n; ++i) v(i) = edges[i];
  return v;
}

/// Server i's part 1 equals server i+1's part 0 (the replicated layout); returns the value
/// part0(0) op part1(0) op part1(1).
template <class R, class Op>
tfe::ring_tensor<R> combine(const std::vector<std::vector<tfe::ring_tensor<R>>>& parts, Op op) {
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(parts[i].size() == 2);
    CHECK_SAME(parts[i][1], parts[(i + 1) % 3][0]);
  }
  for (std::size_t p = 3; p < parts.size(); ++p) CHECK(parts[p].empty());
  tfe::ring_tensor<R> out = parts[0][0];
  for (std::size_t j = 0; j < out.size(); ++j)
    out.data()[j] = op(op(parts[0][0].data()[j], parts[0][1].data()[j]), parts[1][1].data()[j]);
  return out;
}

template <class R>
tfe::ring_tensor<R> xor_value(const std::vector<std::vector<tfe::ring_tensor<R>>>& parts) {
  return combine<R>(parts, [](R a, R b) { return R(a ^ b); });
}
template <class R>
tfe::ring_tensor<R> sum_value(const std::vector<std::vector<tfe::ring_tensor<R>>>& parts) {
  return combine<R>(parts, [](R a, R b) { return R(a + b); });
}

template <class R, class F>
tfe::ring_tensor<R> ref_map(const tfe::ring_tensor<R>& a, F f) {
  tfe::ring_tensor<R> o = a;
  for (std::size_t i = 0; i < o.size(); ++i) o.data()[i] = f(a.data()[i]);
  return o;
}
template <class R, class F>
tfe::ring_tensor<R> ref_zip(const tfe::ring_tensor<R>& a, const tfe::ring_tensor<R>& b, F f) {
  tfe::ring_tensor<R> o = a;
  for (std::size_t i = 0; i < o.size(); ++i) o.data()[i] = f(a.data()[i], b.data()[i]);
  return o;
}

/// What one run hands back: for every result, each player's parts (to check the layout), and the
/// values revealed to bob.
template <class R>
struct results {
  std::vector<std::vector<std::vector<tfe::ring_tensor<R>>>> parts;  // [result][player] -> parts
  std::vector<tfe::ring_tensor<R>> revealed;                         // [result], revealed to bob
  std::vector<bool> kinds;                                           // true: a boolean sharing
};

/// Runs `program` (which returns boolean and arithmetic results) and collects parts and revealed values.
template <class R>
struct collector {
  using P = tfe::aby3<R>;
  std::vector<std::vector<tfe::ring_tensor<R>>> parts;
  std::vector<tfe::ring_tensor<R>> revealed;
  std::vector<bool> boolean;
  std::vector<std::string> failures;  // checks made on a player's thread, reported on the main thread
  tfe::session<P>* s = nullptr;

  void check(bool ok, const std::string& what) {
    if (!ok) failures.push_back(s->name() + ": " + what);
  }

  void add(const boolean_tensor<R>& b) {
    parts.push_back(b.parts());
    boolean.push_back(true);
    auto v = reveal_bits(b, BOB);
    if (v) revealed.push_back(*v);
  }
  void add(const tfe::private_tensor<P>& x) {
    parts.push_back(x.parts());
    boolean.push_back(false);
    auto v = P::reveal(*s, x.parts(), x.shape(), BOB);
    if (v) revealed.push_back(*v);
  }
};

template <class R>
results<R> run(const std::function<void(tfe::session<tfe::aby3<R>>&, collector<R>&)>& program) {
  using P = tfe::aby3<R>;
  auto per_player = tfe::run_local<P>(players, [&](tfe::session<P>& s) {
    collector<R> c;
    c.s = &s;
    program(s, c);
    return c;
  });
  results<R> r;
  const std::size_t m = per_player[0].parts.size();
  r.parts.resize(m);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t p = 0; p < players.size(); ++p) r.parts[i].push_back(per_player[p].parts[i]);
  r.revealed = per_player[BOB].revealed;
  r.kinds = per_player[0].boolean;
  REQUIRE(r.revealed.size() == m);
  for (std::size_t p = 0; p < players.size(); ++p) {
    if (p != BOB) CHECK(per_player[p].revealed.empty());
    for (const auto& f : per_player[p].failures) FAIL_CHECK(f);
  }
  // The revealed value agrees with the shares, and the shares have the replicated layout.
  for (std::size_t i = 0; i < m; ++i) {
    CAPTURE(i);
    const auto v = r.kinds[i] ? xor_value<R>(r.parts[i]) : sum_value<R>(r.parts[i]);
    CHECK_SAME(v, r.revealed[i]);
  }
  return r;
}

template <class R>
boolean_tensor<R> alice_bits(tfe::session<tfe::aby3<R>>& s, const tfe::ring_tensor<R>& v) {
  return share_bits(s, ALICE, s.id() == ALICE ? &v : nullptr, tfe::shape_of(v));
}
template <class R>
tfe::private_tensor<tfe::aby3<R>> alice_arith(tfe::session<tfe::aby3<R>>& s, const tfe::ring_tensor<R>& v) {
  return s.share_encoded(ALICE, s.id() == ALICE ? std::optional<tfe::ring_tensor<R>>(v) : std::nullopt);
}

}  // namespace

TEST_CASE_TEMPLATE("boolean sharing: inputs from a server and an input player, reveals, local ops", R, tfe::ring64,
                   tfe::ring128) {
  constexpr unsigned L = tfe::ring_traits<R>::bits;
  const std::size_t n = 300;
  const auto a = words<R>(n, 1), b = words<R>(n, 2), pub = words<R>(n, 3);
  tfe::ring_tensor<R> a2 = a;
  a2.reshape({15, 20});
  const std::vector<unsigned> shifts = {0, 1, 17, L - 1, L};
  auto r = run<R>([&](auto& s, collector<R>& c) {
    auto A = alice_bits(s, a);
    auto B = share_bits(s, 1, s.id() == 1 ? &b : nullptr, tfe::shape_of(b));   // a server owns b
    auto A0 = share_bits(s, 0, s.id() == 0 ? &a : nullptr, tfe::shape_of(a));  // server 0 owns a copy
    c.add(A);
    c.add(B);
    c.add(A0);
    c.add(A ^ B);
    c.add(xor_public(A, pub));
    c.add(~A);
    c.add(and_public(A, pub));
    for (unsigned k : shifts) {
      c.add(shl(A, k));
      c.add(shr(A, k));
    }
    c.add(public_bits(s, pub));
    // reveals to a server and to everybody
    auto to_s0 = reveal_bits(A, 0), to_s2 = reveal_bits(B, 2);
    auto all = reveal_bits_all(A ^ B);
    if (s.id() == 0) c.check(mismatch(*to_s0, a).empty(), "reveal_bits to server0");
    if (s.id() == 2) c.check(mismatch(*to_s2, b).empty(), "reveal_bits to server2");
    c.check(to_s0.has_value() == (s.id() == 0), "only server0 receives the value revealed to it");
    c.check(mismatch(all, ref_zip(a, b, [](R x, R y) { return R(x ^ y); })).empty(), "reveal_bits_all");
    auto A2 = alice_bits(s, a2);
    c.add(A2);
  });
  std::size_t i = 0;
  CHECK_SAME(r.revealed[i++], a);
  CHECK_SAME(r.revealed[i++], b);
  CHECK_SAME(r.revealed[i++], a);
  CHECK_SAME(r.revealed[i++], ref_zip(a, b, [](R x, R y) { return R(x ^ y); }));
  CHECK_SAME(r.revealed[i++], ref_zip(a, pub, [](R x, R y) { return R(x ^ y); }));
  CHECK_SAME(r.revealed[i++], ref_map(a, [](R x) { return R(~x); }));
  CHECK_SAME(r.revealed[i++], ref_zip(a, pub, [](R x, R y) { return R(x & y); }));
  for (unsigned k : shifts) {
    CAPTURE(k);
    CHECK_SAME(r.revealed[i++], ref_map(a, [k](R x) { return k >= L ? R(0) : R(x << k); }));
    CHECK_SAME(r.revealed[i++], ref_map(a, [k](R x) { return k >= L ? R(0) : R(x >> k); }));
  }
  CHECK_SAME(r.revealed[i++], pub);
  CHECK_SAME(r.revealed[i], a2);
  CHECK(tfe::shape_of(r.revealed[i]) == tfe::shape_t{15, 20});
}

TEST_CASE_TEMPLATE("boolean AND, OR, batched ANDs and the Kogge-Stone adder match plaintext", R, tfe::ring64,
                   tfe::ring128) {
  const std::size_t n = 257;
  const auto a = words<R>(n, 11), b = words<R>(n, 12), c2 = words<R>(n, 13);
  // Adder edge pairs: carries through every position, and wrap-around.
  tfe::ring_tensor<R> ea = a, eb = b;
  ea(0) = R(~R(0)), eb(0) = R(1);       // −1 + 1 = 0: carry chain through all ℓ bits
  ea(1) = R(~R(0) >> 1), eb(1) = R(1);  // max positive + 1 = most negative
  ea(2) = R(R(1) << (sizeof(R) * 8 - 1)), eb(2) = R(R(1) << (sizeof(R) * 8 - 1));  // min + min = 0
  ea(3) = R(0), eb(3) = R(0);
  auto r = run<R>([&](auto& s, collector<R>& c) {
    auto A = alice_bits(s, a), B = alice_bits(s, b), C = alice_bits(s, c2);
    c.add(A & B);
    c.add(A | B);
    auto batch = and_batch<R>({{A, B}, {B, C}, {A, C}});
    for (auto& t : batch) c.add(t);
    c.add(add(alice_bits(s, ea), alice_bits(s, eb)));
    c.add(A & A);
    c.add(A & ~A);
  });
  std::size_t i = 0;
  auto band = [](R x, R y) { return R(x & y); };
  CHECK_SAME(r.revealed[i++], ref_zip(a, b, band));
  CHECK_SAME(r.revealed[i++], ref_zip(a, b, [](R x, R y) { return R(x | y); }));
  CHECK_SAME(r.revealed[i++], ref_zip(a, b, band));
  CHECK_SAME(r.revealed[i++], ref_zip(b, c2, band));
  CHECK_SAME(r.revealed[i++], ref_zip(a, c2, band));
  CHECK_SAME(r.revealed[i++], ref_zip(ea, eb, [](R x, R y) { return R(x + y); }));
  CHECK_SAME(r.revealed[i++], a);
  CHECK_SAME(r.revealed[i++], ref_map(a, [](R) { return R(0); }));
}

TEST_CASE_TEMPLATE("a2b, b2a, bit_to_arith, bit_inject and msb match plaintext", R, tfe::ring64, tfe::ring128) {
  constexpr unsigned L = tfe::ring_traits<R>::bits;
  const std::size_t n = 333;
  const auto x = words<R>(n, 21), y = words<R>(n, 22);
  tfe::ring_tensor<R> bits = ref_map(words<R>(n, 23), [](R v) { return R(v & R(1)); });
  bits(0) = R(0), bits(1) = R(1);
  tfe::ring_tensor<R> garbage_bits = words<R>(n, 24);  // bit_to_arith reads the low bit only
  auto r = run<R>([&](auto& s, collector<R>& c) {
    auto X = alice_arith(s, x);
    auto Xs = s.share_encoded(2, s.id() == 2 ? std::optional<tfe::ring_tensor<R>>(x) : std::nullopt);
    c.add(a2b(X));
    c.add(a2b(Xs));
    c.add(b2a(alice_bits(s, y)));
    c.add(b2a(a2b(X)));
    c.add(bit_to_arith(alice_bits(s, bits)));
    c.add(bit_to_arith(alice_bits(s, garbage_bits)));
    c.add(bit_inject(alice_bits(s, bits), X));
    c.add(msb(X));
    c.add(a2b(X - X));
  });
  std::size_t i = 0;
  CHECK_SAME(r.revealed[i++], x);
  CHECK_SAME(r.revealed[i++], x);
  CHECK_SAME(r.revealed[i++], y);
  CHECK_SAME(r.revealed[i++], x);
  CHECK_SAME(r.revealed[i++], bits);
  CHECK_SAME(r.revealed[i++], ref_map(garbage_bits, [](R v) { return R(v & R(1)); }));
  CHECK_SAME(r.revealed[i++], ref_zip(bits, x, [](R bb, R v) { return R(bb * v); }));
  CHECK_SAME(r.revealed[i++], ref_map(x, [](R v) { return R(v >> (L - 1)); }));
  CHECK_SAME(r.revealed[i++], ref_map(x, [](R) { return R(0); }));
}

TEST_CASE("boolean ops check their operands") {
  using R = tfe::ring64;
  using P = tfe::aby3<R>;
  auto expect_error = [](auto op) {
    try {
      tfe::run_local<P>(players, [&](auto& s) { op(s); });
      return std::string("no error");
    } catch (const tfe::player_error& e) {
      return std::string(e.what());
    }
  };
  const tfe::ring_tensor<R> v3 = xt::zeros<R>({3}), v4 = xt::zeros<R>({4});
  auto what = expect_error([&](auto& s) { (void)(alice_bits(s, v3) & alice_bits(s, v4)); });
  CHECK(what.find("(3,)") != std::string::npos);
  CHECK(what.find("(4,)") != std::string::npos);
  what = expect_error([&](auto& s) { (void)xor_public(alice_bits(s, v3), v4); });
  CHECK(what.find("(4,)") != std::string::npos);
  what = expect_error([&](auto& s) { (void)bit_inject(alice_bits(s, v3), alice_arith(s, v4)); });
  CHECK(what.find("bit_inject") != std::string::npos);
}

}  // namespace test_aby3_boolean
