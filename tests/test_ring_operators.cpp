// tests/test_ring_operators.cpp: ring_tensor.hpp's elementwise operators (+ - * ^ & |, unary -, op=)
// against xtensor's own (what `a + b` on ring tensors evaluated to before), on random values with
// wrap-around, every value category, numpy broadcasting, scalars, and the reuse of a temporary's block;
// and detail::permute_axes (ring_ops::transpose, the graph's Transpose) against xt::transpose.
#include <doctest/doctest.h>

#include "ring_test_data.hpp"
#include "tfe/ring/ring_traits.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/ring/wide_ring.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_ring_operators {

namespace {

using tfe::ring128;
using tfe::ring256;
using tfe::ring64;
using tfe::ring_tensor;
using tfe::shape_t;

using tfe_test::random_elem;
using tfe_test::random_tensor;
using tfe_test::test_rng;

template <class R>
void check_equal(const ring_tensor<R>& got, const ring_tensor<R>& want) {
  REQUIRE(tfe::shape_of(got) == tfe::shape_of(want));
  for (std::size_t i = 0; i < want.size(); ++i) REQUIRE(got.data()[i] == want.data()[i]);
}

/// Shape pairs: equal, broadcasting both ways, a 0-d operand, an empty tensor.
const std::vector<std::pair<shape_t, shape_t>> shape_pairs = {
    {{4, 33}, {4, 33}}, {{3, 1, 5}, {4, 5}}, {{2, 3}, {3}}, {{3}, {2, 3}},
    {{}, {2, 3}},       {{2, 3}, {}},        {{}, {}},      {{0, 3}, {3}},
};

/// Every value category of both operands against xtensor's operator, for one operator.
template <class R, class Ours, class Theirs>
void check_operator(Ours ours, Theirs theirs) {
  test_rng g(7);
  for (const auto& [sa, sb] : shape_pairs) {
    CAPTURE(tfe::shape_str(sa));
    CAPTURE(tfe::shape_str(sb));
    const ring_tensor<R> a = random_tensor<R>(sa, g), b = random_tensor<R>(sb, g);
    const ring_tensor<R> want(theirs(a, b));
    ring_tensor<R> a_mut = a;
    check_equal<R>(ours(a, b), want);                                  // const lvalues
    check_equal<R>(ours(a_mut, b), want);                              // a non-const lvalue
    check_equal<R>(ours(ring_tensor<R>(a), b), want);                  // a temporary on the left
    check_equal<R>(ours(a, ring_tensor<R>(b)), want);                  // on the right
    check_equal<R>(ours(ring_tensor<R>(a), ring_tensor<R>(b)), want);  // both
  }
}

}  // namespace

TEST_CASE_TEMPLATE("ring tensor operators equal xtensor's, with wrap-around and broadcasting", R, ring64, ring128,
                   ring256) {
  using T = ring_tensor<R>;
  // The operators are found by argument-dependent lookup; xt::operator... is xtensor's, called by name.
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) + std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator+(a, b); });
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) - std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator-(a, b); });
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) * std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator*(a, b); });
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) ^ std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator^(a, b); });
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) & std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator&(a, b); });
  check_operator<R>([](auto&& a, auto&& b) -> T { return std::forward<decltype(a)>(a) | std::forward<decltype(b)>(b); },
                    [](const T& a, const T& b) { return xt::operator|(a, b); });
}

TEST_CASE_TEMPLATE("ring tensor operators: scalars, negation and compound assignment", R, ring64, ring128, ring256) {
  using T = ring_tensor<R>;
  test_rng g(11);
  const T a = random_tensor<R>({5, 7}, g), row = random_tensor<R>({7}, g), big = random_tensor<R>({2, 5, 7}, g);
  const R k = random_elem<R>(g);
  check_equal<R>(a * k, T(xt::operator*(a, k)));
  check_equal<R>(k * a, T(xt::operator*(k, a)));
  check_equal<R>(a - k, T(xt::operator-(a, k)));
  check_equal<R>(k - a, T(xt::operator-(k, a)));
  check_equal<R>(T(a) + k, T(xt::operator+(a, k)));
  check_equal<R>(-a, T(xt::operator-(R(0), a)));  // (xtensor has no unary minus for Boost rings)
  check_equal<R>(-T(a), T(xt::operator-(R(0), a)));
  for (std::size_t i = 0; i < a.size(); ++i) CHECK((-a).data()[i] == R(R(0) - a.data()[i]));

  T c = a;
  c += a;
  check_equal<R>(c, T(xt::operator+(a, a)));
  c = a;
  c -= row;  // the right operand broadcast
  check_equal<R>(c, T(xt::operator-(a, row)));
  c = a;
  c ^= big;  // the result takes the broadcast shape, as xtensor's a ^= b did
  check_equal<R>(c, T(xt::operator^(a, big)));
  c = a;
  c *= a;
  c &= a;
  c |= row;
  check_equal<R>(c, T(xt::operator|(xt::operator&(xt::operator*(a, a), a), row)));
}

TEST_CASE("ring tensor operators: a temporary operand's block holds the result; no block is shared") {
  test_rng g(3);
  const ring_tensor<ring64> a = random_tensor<ring64>({64, 64}, g), b = random_tensor<ring64>({64, 64}, g);
  ring_tensor<ring64> left = a, right = b;
  const ring64* left_block = left.data();
  const ring64* right_block = right.data();
  const ring_tensor<ring64> sum = std::move(left) + b;
  CHECK(sum.data() == left_block);
  const ring_tensor<ring64> diff = a - std::move(right);
  CHECK(diff.data() == right_block);
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(sum.data()[i] == ring64(a.data()[i] + b.data()[i]));
    REQUIRE(diff.data()[i] == ring64(a.data()[i] - b.data()[i]));
  }
  // Lvalue operands are left alone: the result is a new block.
  const ring_tensor<ring64> fresh = a * b;
  CHECK(fresh.data() != a.data());
  CHECK(fresh.data() != b.data());
  // x0 + x1 + m: one fresh block, reused by the second sum.
  const ring_tensor<ring64> chained = a + b + a;
  for (std::size_t i = 0; i < a.size(); ++i)
    REQUIRE(chained.data()[i] == ring64(a.data()[i] + b.data()[i] + a.data()[i]));
}

TEST_CASE("ring tensor operators: shapes that do not broadcast throw shape_error naming both") {
  test_rng g(5);
  const ring_tensor<ring64> a = random_tensor<ring64>({2, 3}, g), b = random_tensor<ring64>({4}, g);
  CHECK_THROWS_WITH_AS(a + b, doctest::Contains("(2, 3)"), tfe::shape_error);
  CHECK_THROWS_WITH_AS(a * b, doctest::Contains("(4,)"), tfe::shape_error);
  ring_tensor<ring64> c = a;
  CHECK_THROWS_AS(c -= b, tfe::shape_error);
  CHECK_THROWS_WITH_AS(tfe::detail::ring_broadcast_to(a, shape_t{3, 3}), doctest::Contains("cannot be broadcast"),
                       tfe::shape_error);
  CHECK_THROWS_WITH_AS(tfe::detail::ring_broadcast_to(a, shape_t{3}), doctest::Contains("does not broadcast to"),
                       tfe::shape_error);
  check_equal<ring64>(tfe::detail::ring_broadcast_to(b, shape_t{2, 4}),
                      ring_tensor<ring64>(xt::broadcast(b, shape_t{2, 4})));
}

TEST_CASE("permute_axes equals xt::transpose for every permutation, 0-d and empty tensors") {
  test_rng g(13);
  for (const shape_t& shape : {shape_t{2, 3, 1, 4}, shape_t{5, 2, 3, 2}, shape_t{2, 0, 3, 1}}) {
    const ring_tensor<ring64> a = random_tensor<ring64>(shape, g);
    std::vector<std::size_t> perm = {0, 1, 2, 3};
    do {
      CAPTURE(tfe::shape_str(shape));
      CAPTURE(tfe::shape_str(perm));
      check_equal<ring64>(tfe::ring_ops::transpose(a, perm), ring_tensor<ring64>(xt::transpose(a, perm)));
      const xt::xarray<double> d = xt::cast<double>(a);
      xt::xarray<double> got = xt::xarray<double>::from_shape(tfe::shape_of(xt::transpose(d, perm)));
      tfe::detail::permute_axes(d.data(), shape, perm, got.data());
      CHECK(got == xt::xarray<double>(xt::transpose(d, perm)));
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  const ring_tensor<ring128> scalar = random_tensor<ring128>({}, g);
  check_equal<ring128>(tfe::ring_ops::transpose(scalar, {}), scalar);
  const ring_tensor<ring128> m = random_tensor<ring128>({3, 70}, g);  // the 2-D blocked path
  check_equal<ring128>(tfe::ring_ops::transpose(m), ring_tensor<ring128>(xt::transpose(m)));
}

}  // namespace test_ring_operators
