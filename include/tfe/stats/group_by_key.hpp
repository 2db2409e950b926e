// tfe/stats/group_by_key.hpp: group-by over a PRIVATE key column with any number of distinct keys
// (e.g. a 16-bit key over 10^6 rows), by sorting: count, sum, mean, min and max of every value
// column per key, groups below a public k suppressed, and nothing revealed on the way.
//
// Math (for protocols with the shuffle capability, protocol/shuffle.hpp: ABY3, Pond, SecureNN, plain):
//  1. Sort the rows [key | values] by key (stats/shuffle_sort.hpp: stable; the servers see only
//     comparisons of shuffled rows).
//  2. Start flags F_0 = 1, F_i = 1 − [key_i = key_{i−1}] (one batched zero test of n − 1 differences).
//  3. An inclusive segmented scan (Blelloch's work-efficient scan: 3N applications in 2·log2 N + 1
//     batches, N = 2^⌈log2 n⌉) of (F, count, sums, min, max) with the associative operator
//       (f1, v1) ⊕ (f2, v2) = (f1 ∨ f2, f2 ? v2 : v1 ∘ v2)   (∘ = +, min, max),
//     so that row i holds the aggregate of its group from the group's first row to i. Each batch of
//     applications lo ⊕ hi → hi, with g = 1 − F_hi:
//       product A (one round): g·[F_lo | count_lo, sums_lo | mins_lo − mins_hi | maxes_lo − maxes_hi];
//       F_hi += g·F_lo (the OR), count and sums += g·(…)_lo; with a = g·(min_lo − min_hi) and
//       b = g·(max_lo − max_hi): one sign test of [a | −b] (a = 0 where g = 0, so its sign is 0
//       there), then product B (one round): min_hi += [a < 0]·a, max_hi += [b > 0]·b.
//     The scan works on the share parts in place (one table of 2 + 3k columns).
//  4. The last row of each group (E_i = F_{i+1} of step 2, E_{n−1} = 1) holds its results;
//     keep = E·[count ≥ k] (a sign test on the integer counts, width ⌈log2 max(n, k)⌉ + 2);
//     every row times keep (one product), then the rows are shuffled again, so that the positions of
//     the kept rows (which would tell group sizes) mean nothing.
// Output: a table of n rows [key | count | sums | mins | maxes] in random order; the rows of kept
// groups hold their results, every other row is all zeros (count 0). read_groups() turns the
// revealed table into the list of groups, with mean = sum / count computed by the receiver from the
// revealed sum and count (in double: the mean tells nothing that they do not). The receiver learns
// the kept groups and n, nothing else; the servers learn nothing (the sort's transcript is
// simulatable from n, and everything else is products, sign and zero tests on shares).
// Cost: the sort of n rows of k + 1 columns; one zero test of n − 1; per batch of m applications one
// product of m·(2 + 3k), one sign test of 2k·m, one product of 2k·m (3N − 2 applications in all);
// one sign test of n; two products (n, then n·(2 + 3k)); a shuffle of n rows of 2 + 3k columns.
// Rounds: the sort's + (2·log2 N + 1)·(sign + 2) + sign + 2 + the zero test's + the shuffle's.
// Error: none: counts, sums, mins and maxes are exact (sums of n values in the ring: |sum| < 2^(ℓ−f−1)).
#pragma once

#include "tfe/protocol/costs.hpp"
#include "tfe/stats/basic.hpp"
#include "tfe/stats/group_by.hpp"
#include "tfe/stats/sort.hpp"

#include <algorithm>
#include <vector>

namespace tfe::stats {

/// group_by_key's result: `table` (n, 2 + 3k), columns key, count, k sums, k mins, k maxes; rows in
/// random order, all zeros except one row per kept group.
template <protocol P>
struct grouped_rows {
  private_tensor<P> table;
  std::size_t value_columns = 0;
};

/// One group of a revealed grouped_rows table.
struct group_result {
  double key = 0, count = 0;
  std::vector<double> sum, mean, min, max;
};

/// The kept groups of a revealed grouped_rows table (count > 0), in ascending key order; the mean is
/// sum / count.
inline std::vector<group_result> read_groups(const xt::xarray<double>& table, std::size_t k) {
  TFE_ENFORCE(table.dimension() == 2 && table.shape()[1] == 2 + 3 * k, shape_error, "read_groups: a table of 2 + 3·", k,
              " columns is needed, got ", table.dimension(), " dimensions and ",
              table.dimension() == 2 ? table.shape()[1] : 0, " columns");
  std::vector<group_result> out;
  for (std::size_t i = 0; i < table.shape()[0]; ++i) {
    if (table(i, 1) <= 0) continue;
    group_result g;
    g.key = table(i, 0);
    g.count = table(i, 1);
    for (std::size_t c = 0; c < k; ++c) {
      g.sum.push_back(table(i, 2 + c));
      g.mean.push_back(table(i, 2 + c) / g.count);
      g.min.push_back(table(i, 2 + k + c));
      g.max.push_back(table(i, 2 + 2 * k + c));
    }
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const group_result& a, const group_result& b) { return a.key < b.key; });
  return out;
}

namespace detail {

/// One application of the scan operator of step 3 to pairs of rows: row hi[i] of H becomes
/// (row lo[i] of L) ⊕ (row hi[i] of H), on this player's parts of tables of 2 + 3k columns
/// [F | count | sums | mins | maxes]. L and H may be the same table (lo and hi disjoint). Cost: one
/// product of |lo|·(2 + 3k), one sign test of |lo|·2k, one product of |lo|·2k.
template <protocol P>
void combine_rows(session<P>& s, const std::vector<ring_tensor<typename P::ring>>& L,
                  const std::vector<std::size_t>& lo, std::vector<ring_tensor<typename P::ring>>& H,
                  const std::vector<std::size_t>& hi, std::size_t k, unsigned width) {
  using R = typename P::ring;
  using parts = std::vector<ring_tensor<R>>;
  const std::size_t C = 2 + 3 * k, np = H.size(), m = lo.size();
  const int pub = P::public_component(s);
  parts g(np), op(np);
  for (std::size_t p = 0; p < np; ++p) {
    g[p] = ring_tensor<R>::from_shape({m, 1});
    op[p] = ring_tensor<R>::from_shape({m, C});
    const R one = static_cast<int>(p) == pub ? ring_traits<R>::one() : ring_traits<R>::zero();
    R* gp = g[p].data();
    R* o = op[p].data();
    for (std::size_t i = 0; i < m; ++i) {
      const R* l = L[p].data() + lo[i] * C;
      const R* h = H[p].data() + hi[i] * C;
      R* row = o + i * C;
      gp[i] = R(one - h[0]);  // g = 1 − F_hi
      for (std::size_t c = 0; c < 2 + k; ++c) row[c] = l[c];
      for (std::size_t c = 2 + k; c < C; ++c) row[c] = R(l[c] - h[c]);
    }
  }
  const auto a = tfe::detail::mul_broadcast_exact(private_tensor<P>(s, shape_t{m, 1}, std::move(g)),
                                                  private_tensor<P>(s, shape_t{m, C}, std::move(op)));
  parts both(np), gated(np);
  for (std::size_t p = 0; p < np; ++p) {
    both[p] = ring_tensor<R>::from_shape({m, 2 * k});
    gated[p] = ring_tensor<R>::from_shape({m, 2 * k});
    const R* ap = a.parts()[p].data();
    R* bp = both[p].data();
    R* gp = gated[p].data();
    for (std::size_t i = 0; i < m; ++i) {
      const R* row = ap + i * C;
      R* h = H[p].data() + hi[i] * C;
      for (std::size_t c = 0; c < 2 + k; ++c) h[c] = R(h[c] + row[c]);  // F ∨= F_lo; count, sums += g·(…)_lo
      for (std::size_t c = 0; c < k; ++c) {
        gp[i * 2 * k + c] = bp[i * 2 * k + c] = row[2 + k + c];  // a = g·(min_lo − min_hi)
        gp[i * 2 * k + k + c] = row[2 + 2 * k + c];              // b = g·(max_lo − max_hi)
        bp[i * 2 * k + k + c] = R(-row[2 + 2 * k + c]);
      }
    }
  }
  private_tensor<P> neg(s, shape_t{m, 2 * k}, P::sign_bit(s, both, shape_t{m, 2 * k}, width));  // [a < 0], [b > 0]
  const auto moves = tfe::detail::mul_exact(neg, private_tensor<P>(s, shape_t{m, 2 * k}, std::move(gated)));
  for (std::size_t p = 0; p < np; ++p) {
    const R* mv = moves.parts()[p].data();
    for (std::size_t i = 0; i < m; ++i) {
      R* h = H[p].data() + hi[i] * C + 2 + k;
      for (std::size_t c = 0; c < 2 * k; ++c) h[c] = R(h[c] + mv[i * 2 * k + c]);
    }
  }
}

/// Step 3 of the file comment on this player's share parts: S (n, 2 + 3k) becomes its inclusive
/// segmented scan. Blelloch's work-efficient scan (up-sweep, down-sweep: the exclusive scan; then one
/// more application for the inclusive one) on N = 2^⌈log2 n⌉ rows, padded with the identity
/// (F = 0, count and sums 0, mins the largest and maxes the smallest in-range value): 3N − 2
/// applications of the operator in 2·log2 N + 1 batches, against Hillis–Steele's N·log2 N.
template <protocol P>
void segmented_scan(session<P>& s, std::vector<ring_tensor<typename P::ring>>& S, std::size_t n, std::size_t k,
                    unsigned width) {
  using R = typename P::ring;
  using T = ring_traits<R>;
  const std::size_t C = 2 + 3 * k, np = S.size();
  std::size_t N = 1;
  while (N < n) N <<= 1;
  const int pub = P::public_component(s);
  const R big = R(T::shl(T::one(), s.fixed_point().used_bits() - 1) - T::one());
  auto set_identity = [&](std::vector<ring_tensor<R>>& t, std::size_t row) {
    for (std::size_t p = 0; p < np; ++p) {
      R* r = t[p].data() + row * C;
      std::fill(r, r + C, T::zero());
      if (static_cast<int>(p) != pub) continue;
      for (std::size_t c = 0; c < k; ++c) {
        r[2 + k + c] = big;
        r[2 + 2 * k + c] = R(-big);
      }
    }
  };
  std::vector<ring_tensor<R>> A(np);
  for (std::size_t p = 0; p < np; ++p) {
    A[p] = ring_tensor<R>::from_shape({N, C});
    std::copy_n(S[p].data(), n * C, A[p].data());
  }
  for (std::size_t r = n; r < N; ++r) set_identity(A, r);
  std::vector<ring_tensor<R>> original = A;  // becomes the inclusive scan at the end
  std::vector<std::size_t> lo, hi;
  auto pairs = [&](std::size_t d) {  // (i − d, i) for i = 2d − 1, 4d − 1, …
    lo.clear();
    hi.clear();
    for (std::size_t i = 2 * d - 1; i < N; i += 2 * d) {
      lo.push_back(i - d);
      hi.push_back(i);
    }
  };
  for (std::size_t d = 1; d < N; d <<= 1) {  // up-sweep: a[i] = a[i − d] ⊕ a[i]
    pairs(d);
    combine_rows(s, A, lo, A, hi, k, width);
  }
  set_identity(A, N - 1);
  for (std::size_t d = N / 2; d >= 1; d >>= 1) {  // down-sweep: (a[i − d], a[i]) = (a[i], a[i] ⊕ a[i − d])
    pairs(d);
    for (std::size_t p = 0; p < np; ++p)
      for (std::size_t j = 0; j < lo.size(); ++j)
        std::swap_ranges(A[p].data() + lo[j] * C, A[p].data() + (lo[j] + 1) * C, A[p].data() + hi[j] * C);
    combine_rows(s, A, lo, A, hi, k, width);
  }
  // Inclusive: S_i = exclusive_i ⊕ original_i.
  lo.resize(n);
  for (std::size_t i = 0; i < n; ++i) lo[i] = i;
  combine_rows(s, A, lo, original, lo, k, width);
  for (std::size_t p = 0; p < np; ++p) std::copy_n(original[p].data(), n * C, S[p].data());
}

}  // namespace detail

/// Group-by of the value columns x (n, k) over the private key column c (n): see the file comment.
/// Keys and values must lie in the fixed-point range; groups with fewer than min_count rows are
/// suppressed (their rows are zeros like the rest).
template <protocol P>
requires oblivious_shuffle<P> grouped_rows<P> group_by_key(const private_tensor<P>& x, const private_tensor<P>& c,
                                                           std::size_t min_count) {
  using tfe::detail::add_int;
  detail::check_columns(x, "group_by_key");
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  TFE_ENFORCE(c.ndim() == 1 && c.shape()[0] == n, shape_error, "group_by_key: a key column of ", n,
              " rows is needed, got shape ", shape_str(c.shape()));
  auto& s = x.sess();
  auto scope = s.op_scope("stats_group_by_key");
  const unsigned diff_width = tfe::detail::width_bits(s, sign_width::fixed_point_range, true);
  const long N = static_cast<long>(n);
  auto rows = [](const private_tensor<P>& t, std::size_t a, std::size_t b) { return slice(t, 0, a, b); };
  auto cols = [](const private_tensor<P>& t, std::size_t a, std::size_t b) { return slice(t, 1, a, b); };
  auto constant_int = [&](shape_t shape, std::int64_t v) {
    return add_int(private_tensor<P>(s, shape, P::zero_parts(s, shape)), v);
  };

  // 1. Sort by key.
  auto sorted = sort_rows(concat({reshape(c, {N, 1}), x}, 1), sort_algorithm::shuffle_quicksort);
  auto key = cols(sorted, 0, 1);  // (n, 1)
  auto vals = cols(sorted, 1, 1 + k);
  // 2. Start flags (integers 0/1), shape (n, 1).
  private_tensor<P> starts = constant_int({1, 1}, 1);
  if (n > 1) {
    auto d = rows(key, 1, n) - rows(key, 0, n - 1);
    private_tensor<P> same(s, d.shape(), P::zero_bit(s, d.parts(), d.shape(), diff_width));
    starts = concat({starts, add_int(-same, 1)}, 0);
  }
  // 3. The segmented scan, in place on [F | count | sums | mins | maxes].
  auto S = concat(std::vector<private_tensor<P>>{starts, constant_int({n, 1}, 1), vals, vals, vals}, 1);
  detail::segmented_scan(s, S.parts(), n, k, diff_width);
  // 4. Results at the groups' last rows, groups below min_count suppressed, rows shuffled.
  auto ends = n > 1 ? concat({rows(starts, 1, n), constant_int({1, 1}, 1)}, 0) : constant_int({1, 1}, 1);
  auto count_int = cols(S, 1, 2);
  auto keep = tfe::detail::mul_exact(ends, detail::at_least(count_int, min_count, n));  // (n, 1)
  auto table = tfe::detail::mul_broadcast_exact(
      keep,
      concat(std::vector<private_tensor<P>>{key, tfe::detail::bit_to_fixed(count_int), cols(S, 2, 2 + 3 * k)}, 1));
  const shape_t shape{n, 2 + 3 * k};
  return {private_tensor<P>(s, shape, shuffle_hooks<P>::shuffle_rows(s, table.parts(), shape)), k};
}

}  // namespace tfe::stats
