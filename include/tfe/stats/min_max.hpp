// tfe/stats/min_max.hpp: column minima and maxima of a private table in one tournament, exact,
// generic over protocol and ring.
//
// Math (the 3n/2-comparison min-max). Level 1 pairs row i with row i + n/2: ONE comparison
// b = [lo < hi] gives both the pair's maximum lo − b·(lo − hi) and its minimum hi + b·(lo − hi).
// The maxima and the negated minima then form one (n/2, 2k) table whose column maxima are the
// answers, and every further level halves it with one sign test and one product (max(−min) = −min).
// A row left over by an odd level waits aside and joins at the end (at most ⌈log2 n⌉ rows, one
// more short tournament). Comparisons: n·k/2 + n·k = 1.5·n·k (the tournament over [x, −x]: 2·n·k).
// Cost: ⌈log2 n⌉ levels, each one batched sign test of width used_bits + 1 and one product without
// truncation, plus ⌈log2(#leftovers + 1)⌉ short levels. Every level's differences and selections
// are computed from the share components in place (no copies of the halves, no concatenation).
#pragma once

#include "tfe/ops/nonlinear.hpp"
#include "tfe/stats/row_sums.hpp"

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace tfe::stats {

namespace detail {

/// d = rows [0, h) − rows [h, 2h) of an (m, c) private table, component by component.
template <protocol P>
private_tensor<P> upper_minus_lower(const private_tensor<P>& t, std::size_t h) {
  using R = typename P::ring;
  const std::size_t c = t.shape()[1];
  return tfe::detail::map_parts(t, shape_t{h, c}, [&](const ring_tensor<R>& p) {
    ring_tensor<R> d = ring_tensor<R>::from_shape({h, c});
    const R* a = p.data();
    const R* b = p.data() + h * c;
    R* o = d.data();
    for (std::size_t i = 0; i < h * c; ++i) o[i] = R(a[i] - b[i]);
    return d;
  });
}

/// Row r of an (m, c) private table as a (1, c) table.
template <protocol P>
private_tensor<P> row_of(const private_tensor<P>& t, std::size_t r) {
  return slice(t, 0, r, r + 1);
}

}  // namespace detail

/// Column minima and maxima, each shape (k), exact, by the tournament of the file comment.
template <protocol P>
std::pair<private_tensor<P>, private_tensor<P>> column_min_max(const private_tensor<P>& x) {
  using R = typename P::ring;
  detail::check_columns(x, "column_min_max");
  auto scope = x.sess().op_scope("stats_minmax");
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  std::vector<private_tensor<P>> aside;  // (1, 2k) rows of [max, −min] left over by odd levels
  auto both_signs = [&](const private_tensor<P>& row) { return concat({row, -row}, 1); };
  std::optional<private_tensor<P>> cur;
  if (n == 1) {
    cur = both_signs(x);
  } else {
    // Level 1: one comparison per pair gives its maximum and its minimum.
    const std::size_t h = n / 2;
    auto d = detail::upper_minus_lower(x, h);
    auto bd = tfe::detail::mul_exact(d, tfe::detail::sign_bit(d, sign_width::fixed_point_range, true));
    typename private_tensor<P>::parts_type parts;
    for (std::size_t p = 0; p < x.parts().size(); ++p) {
      ring_tensor<R> y = ring_tensor<R>::from_shape({h, 2 * k});
      const R* lo = x.parts()[p].data();
      const R* hi = lo + h * k;
      const R* e = bd.parts()[p].data();
      R* o = y.data();
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t c = 0; c < k; ++c) {
          o[i * 2 * k + c] = R(lo[i * k + c] - e[i * k + c]);             // max = lo − b·d
          o[i * 2 * k + k + c] = R(R(0) - hi[i * k + c] - e[i * k + c]);  // −min = −(hi + b·d)
        }
      parts.push_back(std::move(y));
    }
    cur = private_tensor<P>(x.sess(), shape_t{h, 2 * k}, std::move(parts));
    if (n % 2) aside.push_back(both_signs(detail::row_of(x, n - 1)));
  }
  // Further levels on [max, −min]: the maximum of each pair, lo − [lo < hi]·(lo − hi).
  while (cur->shape()[0] > 1) {
    const std::size_t m = cur->shape()[0], h = m / 2, w = 2 * k;
    if (m % 2) aside.push_back(detail::row_of(*cur, m - 1));
    auto d = detail::upper_minus_lower(*cur, h);
    auto bd = tfe::detail::mul_exact(d, tfe::detail::sign_bit(d, sign_width::fixed_point_range, true));
    typename private_tensor<P>::parts_type parts;
    for (std::size_t p = 0; p < cur->parts().size(); ++p) {
      ring_tensor<R>& y = bd.parts()[p];  // lo − b·d, written over b·d
      const R* lo = cur->parts()[p].data();
      R* o = y.data();
      for (std::size_t i = 0; i < h * w; ++i) o[i] = R(lo[i] - o[i]);
      parts.push_back(std::move(y));
    }
    cur = private_tensor<P>(x.sess(), shape_t{h, w}, std::move(parts));
  }
  if (!aside.empty()) {
    aside.push_back(*cur);
    cur = reshape(max(concat(aside, 0), 0), {1, static_cast<long>(2 * k)});
  }
  const long kl = static_cast<long>(k);
  return {-reshape(slice(*cur, 1, k, 2 * k), {kl}), reshape(slice(*cur, 1, 0, k), {kl})};
}

}  // namespace tfe::stats
