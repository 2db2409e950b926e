// tests/test_ring_kernels.cpp: matmul kernel, elementwise ops, reductions, im2col/col2im, conv2d.
#include <doctest/doctest.h>

#include "ring_test_data.hpp"
#include "tfe/ring/kernels.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/ring/wide_ring.hpp"

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_ring_kernels {

namespace {

using tfe::ring128;
using tfe::ring256;
using tfe::ring64;
using tfe::ring_tensor;
using tfe::ring_traits;
using tfe::shape_error;
using tfe::shape_t;
namespace ro = tfe::ring_ops;

using tfe_test::random_elem;
using tfe_test::random_full;
using tfe_test::random_tensor;
using tfe_test::test_rng;

template <class R>
ring_tensor<R> zeros(const shape_t& shape) {
  ring_tensor<R> t = ring_tensor<R>::from_shape(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = R(0);
  return t;
}

template <class R>
bool same(const ring_tensor<R>& a, const ring_tensor<R>& b) {
  if (tfe::shape_of(a) != tfe::shape_of(b)) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a.data()[i] == b.data()[i])) return false;
  return true;
}

/// <a, b> = sum_i a_i * b_i mod 2^bits.
template <class R>
R inner(const ring_tensor<R>& a, const ring_tensor<R>& b) {
  R acc(0);
  for (std::size_t i = 0; i < a.size(); ++i) acc += R(a.data()[i] * b.data()[i]);
  return acc;
}

template <class R>
void naive_matmul(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      R s(0);
      for (std::size_t p = 0; p < k; ++p) s += R(a[i * k + p] * b[p * m + j]);
      c[i * m + j] += s;
    }
}

/// Direct TensorFlow-style convolution with explicit zero padding (no im2col).
template <class R>
ring_tensor<R> direct_conv2d(const ring_tensor<R>& x, const ring_tensor<R>& w, std::size_t sh, std::size_t sw,
                             const ro::conv_geometry& g) {
  const std::size_t nb = x.shape()[0], h = x.shape()[1], wd = x.shape()[2], ci = x.shape()[3];
  const std::size_t kh = w.shape()[0], kw = w.shape()[1], co = w.shape()[3];
  ring_tensor<R> out = zeros<R>({nb, g.out_h, g.out_w, co});
  for (std::size_t n = 0; n < nb; ++n)
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox)
        for (std::size_t o = 0; o < co; ++o) {
          R s(0);
          for (std::size_t dy = 0; dy < kh; ++dy)
            for (std::size_t dx = 0; dx < kw; ++dx) {
              const long y = long(oy * sh + dy) - long(g.pad_top);
              const long xx = long(ox * sw + dx) - long(g.pad_left);
              if (y < 0 || xx < 0 || y >= long(h) || xx >= long(wd)) continue;
              for (std::size_t c = 0; c < ci; ++c) s += R(x(n, std::size_t(y), std::size_t(xx), c) * w(dy, dx, c, o));
            }
          out(n, oy, ox, o) = s;
        }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("matmul_kernel matches the textbook loop, with wrap-around", R, ring64, ring128, ring256) {
  test_rng g(42);
  const std::vector<std::array<std::size_t, 3>> sizes = {
      {1, 1, 1},      {7, 13, 5},  {65, 129, 33},
      {300, 70, 257}, {3, 40, 50},  // fewer rows than a register tile: the unpacked path
      {5, 300, 40},                 // k beyond one packed slice
      {9, 20, 530},                 // m beyond one packed block of columns
  };
  for (const auto& nkm : sizes) {
    const std::size_t n = nkm[0], k = nkm[1], m = nkm[2];  // not a structured binding: CAPTURE
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(m);
    const auto a = random_tensor<R>({n, k}, g);
    const auto b = random_tensor<R>({k, m}, g);
    // Start from a random C: the kernel accumulates (C += A B).
    const auto c0 = random_tensor<R>({n, m}, g);
    ring_tensor<R> expect = c0, got = c0;
    naive_matmul(a.data(), b.data(), expect.data(), n, k, m);
    tfe::matmul_kernel(a.data(), b.data(), got.data(), n, k, m);
    CHECK(same(got, expect));
    // ring_ops::matmul starts from zero.
    ring_tensor<R> expect0 = zeros<R>({n, m});
    naive_matmul(a.data(), b.data(), expect0.data(), n, k, m);
    CHECK(same(ro::matmul(a, b), expect0));
  }
}

TEST_CASE("matmul_kernel: empty operands and wider Boost rings") {
  ring64 c = 7;
  tfe::matmul_kernel<ring64>(nullptr, nullptr, &c, 1, 0, 1);  // k = 0: C unchanged
  CHECK(c == 7);

  using R = tfe::wide_ring<512>;
  test_rng g(5);
  const auto a = random_tensor<R>({6, 11}, g), b = random_tensor<R>({11, 4}, g);
  ring_tensor<R> expect = zeros<R>({6, 4});
  naive_matmul(a.data(), b.data(), expect.data(), 6, 11, 4);
  CHECK(same(ro::matmul(a, b), expect));
}

TEST_CASE_TEMPLATE("elementwise ops agree with ring_traits, including negative values", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  test_rng g(7);
  auto a = random_tensor<R>({4, 33}, g);
  a.data()[0] = T::neg(T::one());               // -1
  a.data()[1] = T::shl(T::one(), T::bits - 1);  // most negative
  a.data()[2] = T::neg(T::from_uint(12345));
  a.data()[3] = R(0);
  const std::vector<unsigned> shifts = {0, 1, 13, 63, T::bits - 1, T::bits, T::bits + 5};
  for (unsigned n : shifts) {
    CAPTURE(n);
    const auto l = ro::shl(a, n), rl = ro::shr_logical(a, n), ra = ro::shr_arith(a, n);
    bool ok = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
      ok = ok && l.data()[i] == T::shl(a.data()[i], n);
      ok = ok && rl.data()[i] == T::shr_logical(a.data()[i], n);
      ok = ok && ra.data()[i] == T::shr_arith(a.data()[i], n);
    }
    CHECK(ok);
    CHECK(tfe::shape_of(ra) == tfe::shape_of(a));
  }
  // Arithmetic shift of a negative value rounds toward -infinity: -12345 >> 4 = -772.
  CHECK(ro::shr_arith(a, 4).data()[2] == T::neg(T::from_uint(772)));
  CHECK(ro::shr_arith(a, T::bits + 3).data()[0] == T::neg(T::one()));

  const auto ng = ro::neg(a), top = ro::msb(a);
  bool ok = true;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ok = ok && ng.data()[i] == T::neg(a.data()[i]);
    ok = ok && top.data()[i] == (T::msb(a.data()[i]) ? T::one() : T::zero());
  }
  for (unsigned bi : {0u, 1u, 31u, 64u % T::bits, T::bits - 1}) {
    const auto b = ro::bit(a, bi);
    for (std::size_t i = 0; i < a.size(); ++i) ok = ok && b.data()[i] == T::bit(a.data()[i], bi);
  }
  CHECK(ok);
  CHECK(top.data()[0] == T::one());
  CHECK(top.data()[3] == T::zero());
  CHECK_THROWS_AS(ro::bit(a, T::bits), tfe::error);
}

TEST_CASE_TEMPLATE("sum wraps mod 2^bits and follows keepdims", R, ring64, ring128, ring256) {
  using T = ring_traits<R>;
  test_rng g(11);
  const auto a = random_tensor<R>({3, 4, 5}, g);

  // Reference: explicit index loops.
  auto ref = [&](bool r0, bool r1, bool r2) {
    ring_tensor<R> out = zeros<R>({r0 ? 1u : 3u, r1 ? 1u : 4u, r2 ? 1u : 5u});
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t k = 0; k < 5; ++k) out(r0 ? 0 : i, r1 ? 0 : j, r2 ? 0 : k) += a(i, j, k);
    return out;
  };
  const std::vector<std::vector<std::size_t>> axes_list = {{0}, {1}, {2}, {0, 2}, {2, 0}, {0, 1, 2}, {}};
  for (const auto& axes : axes_list) {
    bool r[3] = {false, false, false};
    for (auto ax : axes) r[ax] = true;
    const auto kept = ref(r[0], r[1], r[2]);
    CHECK(same(ro::sum(a, axes, true), kept));
    shape_t squeezed;
    for (std::size_t d = 0; d < 3; ++d)
      if (!r[d]) squeezed.push_back(kept.shape()[d]);
    CHECK(same(ro::sum(a, axes), ro::reshape(kept, squeezed)));
  }
  const auto all = ro::sum_all(a);
  CHECK(all.dimension() == 0);
  CHECK(all() == ref(true, true, true).data()[0]);

  // (2^bits - 1) + 1 + 5 wraps to 5.
  ring_tensor<R> w = zeros<R>({3});
  w.data()[0] = T::neg(T::one());
  w.data()[1] = T::one();
  w.data()[2] = T::from_uint(5);
  CHECK(ro::sum_all(w)() == T::from_uint(5));
  CHECK(ro::sum(w, {0}).dimension() == 0);
  CHECK(ro::sum(w, {0})() == T::from_uint(5));

  // Empty axis and empty tensors.
  CHECK(same(ro::sum(zeros<R>({2, 0, 3}), {1}), zeros<R>({2, 3})));
  CHECK(ro::sum_all(zeros<R>({0}))() == R(0));

  CHECK_THROWS_AS(ro::sum(a, {3}), shape_error);
  CHECK_THROWS_AS(ro::sum(a, {1, 1}), shape_error);

  // Axes of size 1 and runs of reduced or kept axes (merged before the walk): every subset of the
  // axes of a (2, 1, 3, 4, 1, 2) tensor against a reference that maps each flat index to its output.
  const shape_t s6{2, 1, 3, 4, 1, 2};
  const auto b = random_tensor<R>(s6, g);
  for (unsigned mask = 0; mask < 64; ++mask) {
    std::vector<std::size_t> axes6;
    shape_t kept6(s6);
    for (std::size_t d = 0; d < 6; ++d)
      if (mask >> d & 1u) {
        axes6.push_back(d);
        kept6[d] = 1;
      }
    ring_tensor<R> expect = zeros<R>(kept6);
    for (std::size_t flat = 0; flat < b.size(); ++flat) {
      std::size_t rest = flat, out = 0, out_stride = 1;
      for (std::size_t d = 6; d-- > 0;) {
        const std::size_t i = rest % s6[d];
        rest /= s6[d];
        if (!(mask >> d & 1u)) out += i * out_stride;
        out_stride *= kept6[d];
      }
      expect.data()[out] += b.data()[flat];
    }
    CAPTURE(mask);
    CHECK(same(ro::sum(b, axes6, true), expect));
  }
}

TEST_CASE_TEMPLATE("transpose and reshape", R, ring64, ring128, ring256) {
  test_rng g(3);
  const auto a = random_tensor<R>({37, 70}, g);
  const auto t = ro::transpose(a);
  REQUIRE(tfe::shape_of(t) == shape_t{70, 37});
  bool ok = true;
  for (std::size_t i = 0; i < 37; ++i)
    for (std::size_t j = 0; j < 70; ++j) ok = ok && t(j, i) == a(i, j);
  CHECK(ok);

  const auto b = random_tensor<R>({2, 3, 4}, g);
  const auto p = ro::transpose(b, {1, 2, 0});
  REQUIRE(tfe::shape_of(p) == shape_t{3, 4, 2});
  ok = true;
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) ok = ok && p(j, k, i) == b(i, j, k);
  CHECK(ok);
  CHECK(same(ro::transpose(ro::transpose(b)), b));

  const auto r = ro::reshape(b, {6, 4});
  CHECK(tfe::shape_of(r) == shape_t{6, 4});
  CHECK(r(5, 3) == b(1, 2, 3));

  CHECK_THROWS_AS(ro::reshape(b, {5, 5}), shape_error);
  CHECK_THROWS_AS(ro::transpose(b, {0, 1}), shape_error);
  CHECK_THROWS_AS(ro::transpose(b, {0, 0, 1}), shape_error);
  CHECK_THROWS_AS(ro::transpose(b, {0, 1, 3}), shape_error);
}

TEST_CASE("conv2d_geometry follows TensorFlow's SAME and VALID rules") {
  using ro::padding;
  auto g = ro::conv2d_geometry(5, 5, 3, 3, 2, 2, padding::same);
  CHECK(g.out_h == 3);
  CHECK(g.pad_top == 1);
  CHECK(g.pad_bottom == 1);
  g = ro::conv2d_geometry(4, 6, 3, 4, 2, 1, padding::same);  // odd totals: extra pad at the end
  CHECK(g.out_h == 2);
  CHECK(g.pad_top == 0);
  CHECK(g.pad_bottom == 1);
  CHECK(g.out_w == 6);
  CHECK(g.pad_left == 1);
  CHECK(g.pad_right == 2);
  g = ro::conv2d_geometry(7, 5, 2, 5, 3, 1, padding::valid);
  CHECK(g.out_h == 2);
  CHECK(g.out_w == 1);
  CHECK(g.pad_top + g.pad_bottom + g.pad_left + g.pad_right == 0);
  g = ro::conv2d_geometry(2, 2, 1, 1, 3, 3, padding::same);  // stride beyond kernel: no padding
  CHECK(g.out_h == 1);
  CHECK(g.pad_top + g.pad_bottom == 0);
  CHECK_THROWS_AS(ro::conv2d_geometry(2, 5, 3, 3, 1, 1, padding::valid), shape_error);
  CHECK_THROWS_AS(ro::conv2d_geometry(5, 5, 3, 3, 0, 1, padding::same), shape_error);
}

TEST_CASE_TEMPLATE("conv2d equals a direct convolution (SAME/VALID, strides 1 and 2)", R, ring64, ring128, ring256) {
  using ro::padding;
  test_rng g(99);
  struct conv_case {
    shape_t x, w;
  };
  const std::vector<conv_case> cases = {
      {{2, 7, 6, 3}, {3, 3, 3, 4}},
      {{1, 8, 8, 2}, {2, 2, 2, 3}},
      {{1, 5, 9, 1}, {1, 3, 1, 2}},
      {{3, 6, 5, 4}, {5, 4, 4, 1}},
  };
  for (const auto& cc : cases) {
    for (padding pad : {padding::same, padding::valid}) {
      for (std::size_t s : {std::size_t(1), std::size_t(2)}) {
        CAPTURE(tfe::shape_str(cc.x));
        CAPTURE(tfe::shape_str(cc.w));
        CAPTURE(s);
        CAPTURE(pad == padding::same);
        const auto x = random_tensor<R>(cc.x, g), w = random_tensor<R>(cc.w, g);
        const auto geo = ro::conv2d_geometry(cc.x[1], cc.x[2], cc.w[0], cc.w[1], s, s, pad);
        const auto got = ro::conv2d(x, w, {s, s}, pad);
        CHECK(same(got, direct_conv2d(x, w, s, s, geo)));
        // im2col @ reshaped filter is the same thing spelled out.
        const auto cols = ro::im2col(x, cc.w[0], cc.w[1], s, s, geo.pad_top, geo.pad_left, geo.out_h, geo.out_w);
        CHECK(tfe::shape_of(cols) == shape_t{cc.x[0] * geo.out_h * geo.out_w, cc.w[0] * cc.w[1] * cc.x[3]});
        const auto flat = ro::matmul(cols, ro::reshape(w, {cc.w[0] * cc.w[1] * cc.w[2], cc.w[3]}));
        CHECK(same(ro::reshape(flat, tfe::shape_of(got)), got));
      }
    }
  }
  // Stride in one direction only.
  const auto x = random_tensor<R>({1, 6, 7, 2}, g), w = random_tensor<R>({3, 2, 2, 2}, g);
  const auto geo = ro::conv2d_geometry(6, 7, 3, 2, 1, 2, padding::same);
  CHECK(same(ro::conv2d(x, w, {1, 2}, padding::same), direct_conv2d(x, w, 1, 2, geo)));
}

TEST_CASE_TEMPLATE("col2im is the adjoint of im2col", R, ring64, ring128, ring256) {
  test_rng g(2024);
  struct adj_case {
    shape_t x;
    std::size_t kh, kw, sh, sw, pt, pl, oh, ow;
  };
  const std::vector<adj_case> cases = {
      {{2, 5, 5, 3}, 3, 3, 1, 1, 1, 1, 5, 5},  // SAME, stride 1
      {{1, 7, 6, 2}, 3, 3, 2, 2, 1, 0, 4, 3},  // SAME-like, stride 2, asymmetric padding
      {{1, 6, 6, 1}, 2, 2, 3, 3, 0, 0, 2, 2},  // stride beyond the window: some pixels unused
      {{2, 4, 3, 2}, 4, 3, 1, 1, 0, 0, 1, 1},  // VALID, window = image
  };
  for (const auto& c : cases) {
    const auto x = random_tensor<R>(c.x, g);
    const auto y = random_tensor<R>({c.x[0] * c.oh * c.ow, c.kh * c.kw * c.x[3]}, g);
    const auto cols = ro::im2col(x, c.kh, c.kw, c.sh, c.sw, c.pt, c.pl, c.oh, c.ow);
    const auto back = ro::col2im(y, c.x, c.kh, c.kw, c.sh, c.sw, c.pt, c.pl, c.oh, c.ow);
    CHECK(tfe::shape_of(back) == c.x);
    CHECK(inner(cols, y) == inner(x, back));
  }
}

TEST_CASE("shape errors name the operation and the shapes") {
  test_rng g(1);
  const auto a = random_tensor<ring64>({2, 3}, g), b = random_tensor<ring64>({4, 5}, g);
  CHECK_THROWS_WITH_AS(ro::matmul(a, b), doctest::Contains("(2, 3) and (4, 5)"), shape_error);
  CHECK_THROWS_AS(ro::matmul(random_tensor<ring64>({3}, g), b), shape_error);
  CHECK_THROWS_WITH_AS(ro::reshape(a, {4}), doctest::Contains("(2, 3)"), shape_error);

  const auto x = random_tensor<ring64>({1, 5, 5, 3}, g), w = random_tensor<ring64>({3, 3, 4, 2}, g);
  CHECK_THROWS_WITH_AS(ro::conv2d(x, w, {1, 1}, ro::padding::same),
                       doctest::Contains("conv2d: input has 3 channels but filter expects 4"), shape_error);
  CHECK_THROWS_AS(ro::conv2d(a, w, {1, 1}, ro::padding::same), shape_error);
  CHECK_THROWS_AS(ro::conv2d(x, a, {1, 1}, ro::padding::same), shape_error);
  CHECK_THROWS_AS(ro::conv2d(x, random_tensor<ring64>({7, 7, 3, 1}, g), {1, 1}, ro::padding::valid), shape_error);
  CHECK_THROWS_AS(ro::im2col(a, 1, 1, 1, 1, 0, 0, 2, 3), shape_error);
  CHECK_THROWS_AS(ro::col2im(a, {1, 5, 5, 3}, 3, 3, 1, 1, 1, 1, 5, 5), shape_error);
}

}  // namespace test_ring_kernels
