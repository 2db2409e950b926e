// tfe/stats/sort.hpp: oblivious sort of secret-shared rows by a key column, and the exact median and
// quantiles read from it at public positions, generic over protocol and ring.
//
// Two algorithms (sort_algorithm):
//   shuffle_quicksort (stats/shuffle_sort.hpp): an oblivious shuffle, then a quicksort with opened
//     comparisons; O(n log n) comparisons, stable. For protocols with the shuffle capability
//     (protocol/shuffle.hpp: ABY3, Pond, SecureNN, plain) when the tagged keys fit the ring; the default.
//   bitonic: Batcher's bitonic network. Its sequence of compare-and-swaps is a public function of n
//     alone, so the players learn nothing but n (the transcript of every layer is the protocol's sign
//     test and product on fresh shares, simulatable from n). Any protocol.
// Bitonic cost (stated once): N = n rounded up to a power of two, L = log2 N·(log2 N + 1)/2 layers; each
// layer is ONE batched sign test of N/2 key differences (width used_bits + 1) and ONE product
// (integer bit × row difference, no truncation) of N/2 × w elements (w = 1 + payload columns).
// In all N/2·L comparisons: for n = 10^5 (N = 2^17) 153 layers, 1.0·10^7 comparisons; for n = 10^6
// (N = 2^20) 210 layers, 1.1·10^8 comparisons. Rounds: L·(sign test rounds + 1).
#pragma once

#include "tfe/ops/approx.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/stats/shuffle_sort.hpp"
#include "tfe/stats/table.hpp"

#include <cmath>
#include <vector>

namespace tfe::stats {

/// Which sort network (see the file comment). automatic: shuffle_quicksort where the protocol can
/// shuffle and the tagged keys fit the ring, else bitonic.
enum class sort_algorithm { automatic, bitonic, shuffle_quicksort };

namespace detail {

/// Writes the rows of `rows` to positions idx[i] of t.
template <class R>
void scatter_rows(ring_tensor<R>& t, const ring_tensor<R>& rows, const std::vector<std::size_t>& idx, std::size_t w) {
  const R* src = rows.data();
  R* dst = t.data();
  for (std::size_t i = 0; i < idx.size(); ++i) std::copy_n(src + i * w, w, dst + idx[i] * w);
}

/// The layers of the bitonic network on N = 2^m positions: each layer as (lo, hi) index lists such
/// that after the layer position lo holds the smaller key of the pair, hi the larger.
inline std::vector<std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> bitonic_layers(std::size_t N) {
  std::vector<std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> layers;
  for (std::size_t k = 2; k <= N; k <<= 1)
    for (std::size_t j = k >> 1; j > 0; j >>= 1) {
      std::vector<std::size_t> lo, hi;
      lo.reserve(N / 2);
      hi.reserve(N / 2);
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t l = i ^ j;
        if (l <= i) continue;
        if ((i & k) == 0) {
          lo.push_back(i);
          hi.push_back(l);
        } else {
          lo.push_back(l);
          hi.push_back(i);
        }
      }
      layers.emplace_back(std::move(lo), std::move(hi));
    }
  return layers;
}

}  // namespace detail

/// Sorts the rows of x (n, w) in ascending order of column 0 (the key); columns 1.. are payload
/// carried along. A 1-D x is a key column alone. Keys must lie in the fixed-point range (for the
/// bitonic network below bound − 2^-f: the padding rows hold that largest in-range value and sort
/// last). Exact. shuffle_quicksort is stable (ties keep the input order); the bitonic network is not.
/// `report`, when given, receives the algorithm and the comparisons made. Cost: see the header.
template <protocol P>
private_tensor<P> sort_rows(const private_tensor<P>& x, sort_algorithm algorithm = sort_algorithm::automatic,
                            sort_report* report = nullptr) {
  using R = typename P::ring;
  TFE_ENFORCE(x.ndim() == 1 || x.ndim() == 2, shape_error, "sort: a key column (n) or a table (n, w) is needed, got ",
              shape_str(x.shape()));
  TFE_ENFORCE(x.shape()[0] > 0, shape_error, "sort of an empty column");
  auto& s = x.sess();
  auto scope = s.op_scope("stats_sort");
  const bool flat = x.ndim() == 1;
  const std::size_t n = x.shape()[0], w = flat ? 1 : x.shape()[1];
  private_tensor<P> cur = reshape(x, {static_cast<long>(n), static_cast<long>(w)});
  if constexpr (oblivious_shuffle<P>) {
    const bool fits = detail::tagged_key_width(s, n) <= ring_traits<R>::bits;
    if (algorithm == sort_algorithm::shuffle_quicksort || (algorithm == sort_algorithm::automatic && fits)) {
      auto out = detail::shuffle_quicksort_rows(cur, report);
      return flat ? reshape(out, {static_cast<long>(n)}) : out;
    }
  } else {
    TFE_ENFORCE(algorithm != sort_algorithm::shuffle_quicksort, config_error, "sort: ", P::name(),
                " has no oblivious shuffle (protocol/shuffle.hpp's shuffle_hooks); use the bitonic network");
  }
  if (report) {
    report->algorithm = "bitonic";
    report->width = tfe::detail::width_bits(s, sign_width::fixed_point_range, true);
    report->level_comparisons.clear();
  }
  std::size_t N = 1;
  while (N < n) N <<= 1;
  // Pad to N rows: keys at the largest in-range value (public: added to the public component only).
  if (N > n) {
    const auto& cfg = s.fixed_point();
    ring_tensor<R> pad = xt::zeros<R>({N - n, w});
    for (std::size_t r = 0; r < N - n; ++r)
      pad(r, 0) = R(ring_traits<R>::shl(ring_traits<R>::one(), cfg.int_bits + cfg.frac_bits) - ring_traits<R>::one());
    private_tensor<P> padding(s, shape_t{N - n, w}, P::zero_parts(s, shape_t{N - n, w}));
    cur = concat({cur, tfe::detail::add_public(padding, pad, "sort_pad")}, 0);
  }
  const long half = static_cast<long>(N / 2);
  for (const auto& [lo, hi] : detail::bitonic_layers(N)) {
    auto gather = [&](const std::vector<std::size_t>& idx) {
      return tfe::detail::map_parts(cur, shape_t{N / 2, w},
                                    [&](const ring_tensor<R>& p) { return shuffle_detail::gather_rows<R>(p, idx); });
    };
    if (report) report->level_comparisons.push_back(N / 2);
    auto a = gather(lo), b = gather(hi);
    auto diff = b - a;                                                                // (N/2, w)
    auto keydiff = reshape(slice(diff, 1, 0, 1), {half});                             // b_key − a_key
    auto swap = tfe::detail::sign_bit(keydiff, sign_width::fixed_point_range, true);  // [b < a], integer
    auto delta = tfe::detail::mul_broadcast_exact(reshape(swap, {half, 1}), diff);    // swap·(b − a)
    auto new_a = a + delta, new_b = b - delta;
    for (std::size_t i = 0; i < cur.parts().size(); ++i) {
      detail::scatter_rows<R>(cur.parts()[i], new_a.parts()[i], lo, w);
      detail::scatter_rows<R>(cur.parts()[i], new_b.parts()[i], hi, w);
    }
  }
  auto out = slice(cur, 0, 0, n);
  return flat ? reshape(out, {static_cast<long>(n)}) : out;
}

/// Quantiles of a key column (n) at public levels q ∈ [0, 1], numpy's default ("linear"): with
/// h = q·(n − 1) = i + t, Q = s_i + t·(s_{i+1} − s_i) for the sorted s. The positions i are public
/// functions of n and q, and the sort reveals no rank of an input row (the shuffle-then-sort opens
/// comparisons of shuffled rows only, simulatable from n). Cost: sort_rows, then one
/// product by public constants on the quantiles. Error: exact when t = 0 (the median of an odd n,
/// the quartiles when 4 | n − 1), else ≤ 2^-f (one truncation).
template <protocol P>
private_tensor<P> quantiles(const private_tensor<P>& x, const std::vector<double>& q) {
  TFE_ENFORCE(x.ndim() == 1, shape_error, "quantiles: a column (n) is needed, got ", shape_str(x.shape()));
  TFE_ENFORCE(!q.empty(), shape_error, "quantiles: no levels");
  for (double v : q) TFE_ENFORCE(v >= 0 && v <= 1, shape_error, "quantiles: level ", v, " is outside [0, 1]");
  const std::size_t n = x.shape()[0];
  auto sorted = sort_rows(x);
  std::vector<private_tensor<P>> lower, upper;
  std::vector<double> frac;
  for (double v : q) {
    const double h = v * static_cast<double>(n - 1);
    const std::size_t i = std::min(static_cast<std::size_t>(std::floor(h)), n - 1);
    const std::size_t j = std::min(i + 1, n - 1);
    lower.push_back(slice(sorted, 0, i, i + 1));
    upper.push_back(slice(sorted, 0, j, j + 1));
    frac.push_back(h - static_cast<double>(i));
  }
  auto lo = concat(lower, 0), hi = concat(upper, 0);
  bool exact = true;
  for (double t : frac) exact = exact && t == 0;
  if (exact) return lo;
  xt::xarray<double> t = xt::adapt(frac, {frac.size()});
  return lo + (hi - lo) * x.sess().constant(t);
}

/// The median: quantiles at 0.5 (for even n, the mean of the two middle values), shape (1).
template <protocol P>
private_tensor<P> median(const private_tensor<P>& x) {
  return quantiles(x, {0.5});
}

}  // namespace tfe::stats
