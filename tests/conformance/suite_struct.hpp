// tests/conformance/suite_struct.hpp: conformance of the structural and linear ops: transpose,
// reshape, slice, index, concat, stack, split, pad, sum, mean, add_n, conv2d and avg_pool2d.
// Structural ops are exact: the only error is the encoding of the inputs, 2^-(f+1). References are
// written with multi-index loops (harness.hpp: tabulate), independently of tfe's ring kernels.
#ifndef TFE_CONFORMANCE_STRUCT_DONE  // not #pragma once: suite.hpp forgets it, for the next protocol of the unit
#define TFE_CONFORMANCE_STRUCT_DONE

#include "suite_common.hpp"

namespace TFE_CONFORMANCE_NAMESPACE {

inline dvec transpose_ref(const dvec& x, std::vector<std::size_t> perm) {
  const shape_t in = shape_of(x);
  if (perm.empty())
    for (std::size_t d = in.size(); d-- > 0;) perm.push_back(d);
  shape_t out(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) out[i] = in[perm[i]];
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src(in.size());
    for (std::size_t i = 0; i < perm.size(); ++i) src[perm[i]] = idx[i];
    return at(x, src);
  });
}

inline dvec slice_ref(const dvec& x, std::size_t axis, std::size_t begin, std::size_t end, std::size_t step) {
  shape_t out = shape_of(x);
  out[axis] = (end - begin + step - 1) / step;
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src = idx;
    src[axis] = begin + idx[axis] * step;
    return at(x, src);
  });
}

inline dvec index_ref(const dvec& x, std::size_t i, std::size_t axis) {
  shape_t out = shape_of(x);
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src = idx;
    src.insert(src.begin() + static_cast<std::ptrdiff_t>(axis), i);
    return at(x, src);
  });
}

inline dvec concat_ref(const std::vector<dvec>& xs, std::size_t axis) {
  shape_t out = shape_of(xs[0]);
  out[axis] = 0;
  for (const auto& x : xs) out[axis] += x.shape()[axis];
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src = idx;
    for (const auto& x : xs) {
      if (src[axis] < x.shape()[axis]) return at(x, src);
      src[axis] -= x.shape()[axis];
    }
    return std::nan("");
  });
}

inline dvec stack_ref(const std::vector<dvec>& xs, std::size_t axis) {
  shape_t out = shape_of(xs[0]);
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), xs.size());
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src = idx;
    src.erase(src.begin() + static_cast<std::ptrdiff_t>(axis));
    return at(xs[idx[axis]], src);
  });
}

inline dvec pad_ref(const dvec& x, const std::vector<std::array<std::size_t, 2>>& pads) {
  const shape_t in = shape_of(x);
  shape_t out = in;
  for (std::size_t d = 0; d < in.size(); ++d) out[d] += pads[d][0] + pads[d][1];
  return tabulate(out, [&](const shape_t& idx) {
    shape_t src(in.size());
    for (std::size_t d = 0; d < in.size(); ++d) {
      if (idx[d] < pads[d][0] || idx[d] - pads[d][0] >= in[d]) return 0.0;
      src[d] = idx[d] - pads[d][0];
    }
    return at(x, src);
  });
}

TEST_SUITE(TFE_CONFORMANCE_SUITE_NAME) {
  TFE_CONFORMANCE_CASE("transpose (default and permutations) and reshape (with -1)") {
    TFE_CONFORMANCE_SETUP("transpose_reshape");
    const dvec x3 = g.real({2, 3, 4}, m.near_bound()), x2 = g.real({3, 5}, m.near_bound());
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X3 = k.alice(x3), X2 = k.bob(x2);
      return {tfe::transpose(X3),       tfe::transpose(X3, {1, 0, 2}),   tfe::transpose(X3, {2, 0, 1}),
              tfe::transpose(X2),       tfe::reshape(X3, {4, -1}),       tfe::reshape(X3, {-1}),
              tfe::reshape(X2, {5, 3}), tfe::reshape(X3, {2, -1, 2, 3}), tfe::reshape(tfe::transpose(X2), {-1, 1})};
    });
    REQUIRE(out.size() == 9);
    const double tol = m.enc();
    TFE_CHECK_CLOSE(out[0], transpose_ref(x3, {}), tol);
    TFE_CHECK_CLOSE(out[1], transpose_ref(x3, {1, 0, 2}), tol);
    TFE_CHECK_CLOSE(out[2], transpose_ref(x3, {2, 0, 1}), tol);
    TFE_CHECK_CLOSE(out[3], transpose_ref(x2, {}), tol);
    TFE_CHECK_CLOSE(out[4], reshaped(x3, {4, 6}), tol);
    TFE_CHECK_CLOSE(out[5], reshaped(x3, {24}), tol);
    TFE_CHECK_CLOSE(out[6], reshaped(x2, {5, 3}), tol);
    TFE_CHECK_CLOSE(out[7], reshaped(x3, {2, 2, 2, 3}), tol);
    TFE_CHECK_CLOSE(out[8], reshaped(transpose_ref(x2, {}), {15, 1}), tol);
  }

  TFE_CONFORMANCE_CASE("slice (with step, negative axis) and index") {
    TFE_CONFORMANCE_SETUP("slice_index");
    const dvec x = g.real({5, 6}, m.near_bound()), x3 = g.real({2, 3, 4}, m.near_bound());
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), X3 = k.bob(x3);
      return {tfe::slice(X, 0, 1, 5, 2),  tfe::slice(X, -1, 0, 6, 4), tfe::slice(X, 1, 2, 5), tfe::slice(X, 0, 4, 5),
              tfe::slice(X3, 2, 1, 4, 2), tfe::index(X, 3),           tfe::index(X3, 1),      tfe::index(X3, 2, 1),
              tfe::index(X3, 3, -1),      tfe::slice(X, 0, 0, 5, 3)};
    });
    REQUIRE(out.size() == 10);
    const double tol = m.enc();
    TFE_CHECK_CLOSE(out[0], slice_ref(x, 0, 1, 5, 2), tol);
    TFE_CHECK_CLOSE(out[1], slice_ref(x, 1, 0, 6, 4), tol);
    TFE_CHECK_CLOSE(out[2], slice_ref(x, 1, 2, 5, 1), tol);
    TFE_CHECK_CLOSE(out[3], slice_ref(x, 0, 4, 5, 1), tol);
    TFE_CHECK_CLOSE(out[4], slice_ref(x3, 2, 1, 4, 2), tol);
    TFE_CHECK_CLOSE(out[5], index_ref(x, 3, 0), tol);
    TFE_CHECK_CLOSE(out[6], index_ref(x3, 1, 0), tol);
    TFE_CHECK_CLOSE(out[7], index_ref(x3, 2, 1), tol);
    TFE_CHECK_CLOSE(out[8], index_ref(x3, 3, 2), tol);
    TFE_CHECK_CLOSE(out[9], slice_ref(x, 0, 0, 5, 3), tol);
  }

  TFE_CONFORMANCE_CASE("concat (axis 0, 1, negative), stack, split (equal parts and sizes), pad") {
    TFE_CONFORMANCE_SETUP("concat_stack_split_pad");
    const double a = m.near_bound();
    const dvec x = g.real({2, 3}, a), y = g.real({4, 3}, a), z = g.real({2, 5}, a), w = g.real({2, 3}, a);
    const dvec u = g.real({2, 3, 2}, a), v = g.real({2, 3, 1}, a), s = g.real({6, 4}, a);
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), Z = k.alice(z), W = k.bob(w), U = k.alice(u), V = k.bob(v), S = k.alice(s);
      privs o{
          tfe::concat(privs{X, Y}, 0),     tfe::concat(privs{X, Z}, 1),     tfe::concat(privs{U, V, U}, -1),
          tfe::concat(privs{X, W, X}, -2), tfe::stack(privs{X, W}),         tfe::stack(privs{X, W, X}, 1),
          tfe::stack(privs{X, W}, -1),     tfe::pad(X, {{{1, 0}, {2, 3}}}), tfe::pad(U, {{{0, 0}, {1, 1}, {0, 2}}})};
      for (auto& p : tfe::split(S, 3)) o.push_back(p);
      for (auto& p : tfe::split(S, 2, -1)) o.push_back(p);
      for (auto& p : tfe::split(S, std::vector<std::size_t>{1, 2, 3})) o.push_back(p);
      for (auto& p : tfe::split(S, std::vector<std::size_t>{3, 1}, 1)) o.push_back(p);
      return o;
    });
    REQUIRE(out.size() == 9 + 3 + 2 + 3 + 2);
    const double tol = m.enc();
    TFE_CHECK_CLOSE(out[0], concat_ref({x, y}, 0), tol);
    TFE_CHECK_CLOSE(out[1], concat_ref({x, z}, 1), tol);
    TFE_CHECK_CLOSE(out[2], concat_ref({u, v, u}, 2), tol);
    TFE_CHECK_CLOSE(out[3], concat_ref({x, w, x}, 0), tol);
    TFE_CHECK_CLOSE(out[4], stack_ref({x, w}, 0), tol);
    TFE_CHECK_CLOSE(out[5], stack_ref({x, w, x}, 1), tol);
    TFE_CHECK_CLOSE(out[6], stack_ref({x, w}, 2), tol);
    TFE_CHECK_CLOSE(out[7], pad_ref(x, {{{1, 0}, {2, 3}}}), tol);
    TFE_CHECK_CLOSE(out[8], pad_ref(u, {{{0, 0}, {1, 1}, {0, 2}}}), tol);
    for (std::size_t i = 0; i < 3; ++i) TFE_CHECK_CLOSE(out[9 + i], slice_ref(s, 0, 2 * i, 2 * i + 2, 1), tol);
    for (std::size_t i = 0; i < 2; ++i) TFE_CHECK_CLOSE(out[12 + i], slice_ref(s, 1, 2 * i, 2 * i + 2, 1), tol);
    TFE_CHECK_CLOSE(out[14], slice_ref(s, 0, 0, 1, 1), tol);
    TFE_CHECK_CLOSE(out[15], slice_ref(s, 0, 1, 3, 1), tol);
    TFE_CHECK_CLOSE(out[16], slice_ref(s, 0, 3, 6, 1), tol);
    TFE_CHECK_CLOSE(out[17], slice_ref(s, 1, 0, 3, 1), tol);
    TFE_CHECK_CLOSE(out[18], slice_ref(s, 1, 3, 4, 1), tol);
  }

  TFE_CONFORMANCE_CASE("sum (all, axes, keepdims), mean, add_n") {
    TFE_CONFORMANCE_SETUP("sum_mean_add_n");
    // |x| < bound/32 (24 elements): every sum stays in range. Sums are exact in the ring (errors add);
    // mean multiplies by the encoded 1/count (one product and one truncation).
    const double a = m.below(m.bound / 32);
    const dvec x = g.real({2, 3, 4}, a), y = g.real({2, 3, 4}, a), z = g.real({2, 3, 4}, a);
    using axes_t = std::vector<long>;
    const std::vector<std::pair<axes_t, bool>> sums{{{}, false},     {{0}, false},   {{-1}, false}, {{1}, true},
                                                    {{0, 2}, false}, {{0, 2}, true}, {{}, true},    {{2, 0, 1}, false}};
    const std::vector<std::pair<axes_t, bool>> means{{{}, false}, {{1}, false}, {{-1}, true}, {{0, 1}, false}};
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x), Y = k.bob(y), Z = k.alice(z);
      privs o;
      for (const auto& [ax, keep] : sums) o.push_back(tfe::sum(X, ax, keep));
      for (const auto& [ax, keep] : means) o.push_back(tfe::mean(X, ax, keep));
      o.push_back(tfe::add_n(privs{X, Y, Z}));
      o.push_back(tfe::add_n(privs{Y}));
      return o;
    });
    REQUIRE(out.size() == sums.size() + means.size() + 2);
    const approx X = input(x, m);
    std::size_t i = 0;
    for (const auto& [ax, keep] : sums) {
      CAPTURE(i);
      TFE_CHECK_APPROX(out[i], sum_ref(X, ax, keep));
      ++i;
    }
    for (const auto& [ax, keep] : means) {
      CAPTURE(i);
      const auto axes = norm_axes(ax, 3);
      std::size_t count = 1;
      for (auto d : axes) count *= x.shape()[d];
      TFE_CHECK_APPROX(out[i], mul(sum_ref(X, ax, keep), input(dvec(1.0 / static_cast<double>(count)), m), m));
      ++i;
    }
    TFE_CHECK_APPROX(out[i], X + input(y, m) + input(z, m));
    TFE_CHECK_APPROX(out[i + 1], input(y, m));
  }

  TFE_CONFORMANCE_CASE("conv2d: private·private and private·public, SAME and VALID, strides 1 and 2") {
    TFE_CONFORMANCE_SETUP("conv2d");
    struct conf {
      std::array<std::size_t, 2> strides;
      tfe::padding pad;
    };
    const std::vector<conf> confs{{{1, 1}, tfe::padding::valid}, {{1, 1}, tfe::padding::same},
                                  {{2, 2}, tfe::padding::valid}, {{2, 2}, tfe::padding::same},
                                  {{1, 2}, tfe::padding::same},  {{2, 1}, tfe::padding::valid}};
    struct geo {
      shape_t x, w;
    };
    // NHWC inputs, HWIO filters: odd sizes, a 1x1 filter, and a 3x3 filter whose SAME padding with
    // stride 2 is asymmetric (0 before, 1 after).
    const std::vector<geo> geos{
        {{2, 5, 6, 3}, {3, 2, 3, 4}}, {{1, 4, 4, 2}, {3, 3, 2, 1}}, {{1, 3, 5, 2}, {1, 1, 2, 3}}};
    for (const auto& gm : geos) {
      CAPTURE(tfe::shape_str(gm.x));
      CAPTURE(tfe::shape_str(gm.w));
      // |x|, |w| < sqrt(bound / K), K = kh·kw·C_in products per output: outputs stay in range.
      const double kk = static_cast<double>(gm.w[0] * gm.w[1] * gm.w[2]);
      const double a = m.below(std::sqrt(m.bound / kk));
      const dvec x = g.real(gm.x, a), w = g.real(gm.w, a);
      auto out = run_revealed<P>([&](ctx& k) -> privs {
        auto X = k.alice(x), W = k.bob(w);
        auto Wp = k.constant(w);
        privs o;
        for (const auto& c : confs) {
          o.push_back(tfe::conv2d(X, W, c.strides, c.pad));
          o.push_back(tfe::conv2d(X, Wp, c.strides, c.pad));
        }
        o.push_back(tfe::conv2d(X, W));  // defaults: strides 1, VALID
        return o;
      });
      REQUIRE(out.size() == 2 * confs.size() + 1);
      for (std::size_t i = 0; i < confs.size(); ++i) {
        CAPTURE(confs[i].strides[0]);
        CAPTURE(confs[i].strides[1]);
        CAPTURE(confs[i].pad == tfe::padding::same);
        const approx ref =
            conv2d_ref(input(x, m), input(w, m), confs[i].strides, confs[i].pad == tfe::padding::same, m);
        TFE_CHECK_APPROX(out[2 * i], ref);
        TFE_CHECK_APPROX(out[2 * i + 1], ref);
      }
      TFE_CHECK_APPROX(out.back(), conv2d_ref(input(x, m), input(w, m), {1, 1}, false, m));
    }
  }

  TFE_CONFORMANCE_CASE("avg_pool2d: SAME and VALID, default and explicit strides") {
    TFE_CONFORMANCE_SETUP("avg_pool2d");
    struct conf {
      std::array<std::size_t, 2> pool, strides;
      tfe::padding pad;
    };
    const std::vector<conf> confs{{{2, 2}, {2, 2}, tfe::padding::valid}, {{2, 2}, {2, 2}, tfe::padding::same},
                                  {{3, 3}, {1, 1}, tfe::padding::same},  {{3, 2}, {2, 1}, tfe::padding::valid},
                                  {{2, 2}, {1, 1}, tfe::padding::valid}, {{3, 3}, {2, 2}, tfe::padding::same}};
    // |x| < bound/9: a window sum (up to 9 elements) stays in range.
    const dvec x = g.real({2, 5, 5, 3}, m.below(m.bound / 9));
    auto out = run_revealed<P>([&](ctx& k) -> privs {
      auto X = k.alice(x);
      privs o;
      for (const auto& c : confs) o.push_back(tfe::avg_pool2d(X, c.pool, c.strides, c.pad));
      o.push_back(tfe::avg_pool2d(X, {2, 2}));  // strides default to the pool
      o.push_back(tfe::avg_pool2d(X, {2, 2}, {0, 0}, tfe::padding::same));
      return o;
    });
    REQUIRE(out.size() == confs.size() + 2);
    // avg = (window sum S, error count·enc) · enc(1/count), one truncation: the product bound of mul().
    auto ref = [&](std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides, bool same) {
      auto sum_of = [](const std::vector<double>& v) {
        double s = 0;
        for (double e : v) s += e;
        return s;
      };
      auto count_of = [](const std::vector<double>& v) { return static_cast<double>(v.size()); };
      const dvec s = pool_ref(x, pool, strides, same, sum_of);
      const dvec cnt = pool_ref(x, pool, strides, same, count_of);
      const dvec mag = pool_ref(dvec(xt::abs(x)), pool, strides, same, sum_of);
      const approx S{s, dvec(cnt * m.enc() + dslack(1.0, 9.0) * mag)};
      const approx inv{dvec(1.0 / cnt), full(shape_of(cnt), m.enc())};
      return mul(S, inv, m);
    };
    for (std::size_t i = 0; i < confs.size(); ++i) {
      CAPTURE(i);
      TFE_CHECK_APPROX(out[i], ref(confs[i].pool, confs[i].strides, confs[i].pad == tfe::padding::same));
    }
    TFE_CHECK_APPROX(out[confs.size()], ref({2, 2}, {2, 2}, false));
    TFE_CHECK_APPROX(out[confs.size() + 1], ref({2, 2}, {2, 2}, true));
  }

}  // TEST_SUITE

}  // namespace TFE_CONFORMANCE_NAMESPACE

#endif  // TFE_CONFORMANCE_STRUCT_DONE
