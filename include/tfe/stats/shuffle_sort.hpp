// tfe/stats/shuffle_sort.hpp: "shuffle then sort": an oblivious shuffle of the rows, then a
// quicksort whose comparison results are opened to the servers, for protocols with the shuffle
// capability (protocol/shuffle.hpp: ABY3, Pond, SecureNN and plain).
//
// Method (Hamada, Kikuchi, Ikarashi, Chida, "Practically efficient multi-party sorting protocols
// from comparison sort algorithms", ICISC 2012): make every key distinct, shuffle the rows with a
// permutation no server knows, then run any comparison sort on the shuffled rows with each
// comparison opened. Keys are made distinct and the sort stable by the tag key' = key·n + i (i the
// row's position in the input, public): |key'_a − key'_b| < 2^(u + ⌈log2 n⌉) for keys in the u-bit
// fixed-point range, so a sign test of width k = u + 1 + ⌈log2 n⌉ decides key'_a < key'_b
// (k = 53 for n = 10^6 on the ring64 preset; ring bits must be ≥ k).
// Security: with distinct keys the opened bits are a function of σ = ρ ∘ π⁻¹ alone, where ρ ranks the
// input rows and π is the shuffle's permutation. π is uniform to every server (each misses one of its
// factors), so σ is uniform whatever ρ is: the transcript is simulatable from n. Under Pond and
// SecureNN the dealer (helper), which takes part in every sign test, learns each level's number of
// comparisons (announce_count) and nothing else; it misses one of the shuffle's three factors too. The sort's moves are
// local gathers of shares at public positions; no rank of an input row is revealed.
// Sort: quicksort with all segments of one level in one batch: the first row of each unsorted
// segment is its pivot (a uniformly random row of it: the shuffled order restricted to a segment stays
// uniform under stable partitions), every other row is compared with its pivot, the segment is split
// stably into (less, pivot, greater). Expected comparisons 2(n+1)H_n − 4n (≈ 1.39·n·log2 n;
// 2.5·10^7 for n = 10^6, against Batcher's 1.1·10^8); levels ≈ the depth of a random binary search
// tree (≈ 4.3·ln n at most with high probability, ~ 50 for 10^6).
// Cost (as code: shuffle_sort_cost): the shuffle of n rows of w + 1 elements (the tag, the key, the
// payload), then per level with m comparisons one sign test of width k on m values and one opening
// to the servers of m values. The number of levels and their m are random (a function of σ alone);
// sort_report returns them.
#pragma once

#include "tfe/ops/arithmetic.hpp"
#include "tfe/protocol/aby3/shuffle.hpp"
#include "tfe/protocol/plain/shuffle.hpp"
#include "tfe/protocol/pond/shuffle.hpp"
#include "tfe/protocol/securenn/shuffle.hpp"
#include "tfe/protocol/shuffle.hpp"

#include <array>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tfe::stats {

/// What a sort did, for cost accounting: the algorithm, the sign tests' width and, for the quicksort,
/// the comparisons of every level.
struct sort_report {
  std::string algorithm;
  unsigned width = 0;
  std::vector<std::size_t> level_comparisons;
};

namespace detail {

/// The sign-test width of the tagged keys of an n-row sort (see the file comment).
template <protocol P>
unsigned tagged_key_width(const session<P>& s, std::size_t n) {
  return s.fixed_point().used_bits() + 1 + static_cast<unsigned>(costs::ceil_log2(n));
}

/// Sorts the rows of x (n, w) by column 0 (shuffle then quicksort, see the file comment). Stable.
template <protocol P>
requires oblivious_shuffle<P> private_tensor<P> shuffle_quicksort_rows(const private_tensor<P>& x,
                                                                       sort_report* report) {
  using R = typename P::ring;
  using T = ring_traits<R>;
  using hooks = shuffle_hooks<P>;
  auto& s = x.sess();
  const std::size_t n = x.shape()[0], w = x.shape()[1];
  const unsigned width = tagged_key_width(s, n);
  TFE_ENFORCE(width <= T::bits, config_error, "shuffle-then-sort of ", n, " rows needs ", width,
              "-bit sign tests (fixed-point ", s.fixed_point().used_bits(), " bits + 1 + log2 rows) but ", T::name(),
              " has ", T::bits, " bits: use the bitonic network or a wider ring");
  if (report) {
    report->algorithm = "shuffle_quicksort";
    report->width = width;
    report->level_comparisons.clear();
  }
  // [key·n + i | key | payload], shuffled.
  ring_tensor<R> index = ring_tensor<R>::from_shape({n, 1});
  for (std::size_t i = 0; i < n; ++i) index.data()[i] = T::from_uint(i);
  auto tag = mul_int(slice(x, 1, 0, 1), static_cast<std::int64_t>(n));
  auto table = concat({tfe::detail::add_public(tag, index, "sort_tag"), x}, 1);
  const shape_t table_shape{n, w + 1};
  auto shuffled = hooks::shuffle_rows(s, table.parts(), table_shape);
  if (!hooks::participates(s)) return private_tensor<P>(s, x.shape(), {});  // an input or output player
  const bool holder = !shuffled.empty();  // else a dealer or helper: it follows the level sizes only

  // The tags as contiguous columns, one per part.
  std::vector<std::vector<R>> tags(shuffled.size(), std::vector<R>(n));
  for (std::size_t p = 0; p < shuffled.size(); ++p)
    for (std::size_t r = 0; r < n; ++r) tags[p][r] = shuffled[p].data()[r * (w + 1)];

  std::vector<std::size_t> order(n), next(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::vector<std::pair<std::size_t, std::size_t>> segments;  // [begin, end) of unsorted segments
  if (n > 1 && holder) segments.emplace_back(0, n);
  for (;;) {
    std::size_t m = 0;
    for (const auto& [b, e] : segments) m += e - b - 1;
    m = hooks::announce_count(s, m);
    if (m == 0) break;
    typename private_tensor<P>::parts_type diff(shuffled.size());
    for (std::size_t p = 0; p < shuffled.size(); ++p) {
      diff[p] = ring_tensor<R>::from_shape({m});
      R* d = diff[p].data();
      const R* t = tags[p].data();
      std::size_t k = 0;
      for (const auto& [b, e] : segments)
        for (std::size_t i = b + 1; i < e; ++i) d[k++] = R(t[order[i]] - t[order[b]]);
    }
    const auto less_parts = P::sign_bit(s, diff, shape_t{m}, width);  // [row < pivot]
    const auto less = hooks::reveal_to_servers(s, less_parts, shape_t{m});
    if (report) report->level_comparisons.push_back(m);
    if (!holder) continue;
    TFE_ENFORCE(less.has_value(), protocol_error, "sort: a player with shares got no comparison results");
    std::vector<std::pair<std::size_t, std::size_t>> split;
    std::size_t k = 0;
    for (const auto& [b, e] : segments) {
      std::size_t lo = b, n_less = 0;
      for (std::size_t i = b + 1; i < e; ++i) n_less += less->data()[k + (i - b - 1)] == T::one() ? 1 : 0;
      std::size_t hi = b + n_less + 1;
      next[b + n_less] = order[b];
      for (std::size_t i = b + 1; i < e; ++i) {
        const R bit = less->data()[k++];
        TFE_ENFORCE(bit == T::one() || bit == T::zero(), protocol_error, "sort: an opened comparison is not a bit");
        (bit == T::one() ? next[lo++] : next[hi++]) = order[i];
      }
      if (n_less > 1) split.emplace_back(b, b + n_less);
      if (e - (b + n_less + 1) > 1) split.emplace_back(b + n_less + 1, e);
    }
    for (const auto& [b, e] : segments) std::copy(next.begin() + b, next.begin() + e, order.begin() + b);
    segments = std::move(split);
  }
  if (!holder) return private_tensor<P>(s, x.shape(), {});
  // The rows in sorted order, without the tag.
  typename private_tensor<P>::parts_type out;
  for (const auto& part : shuffled) {
    ring_tensor<R> o = ring_tensor<R>::from_shape({n, w});
    const R* src = part.data();
    R* dst = o.data();
    for (std::size_t i = 0; i < n; ++i) std::copy_n(src + order[i] * (w + 1) + 1, w, dst + i * w);
    out.push_back(std::move(o));
  }
  return private_tensor<P>(s, x.shape(), std::move(out));
}

}  // namespace detail

/// The cost of the shuffle-then-sort above (n rows of w columns, the levels from sort_report):
/// the shuffle, then per level a sign test and an opening to the servers.
/// - ABY3: server 0's opening leaves right after its dealing, with no receive between: one round per
///   level for it. `latency` is an upper bound: the shuffle's 3 hops plus every level's sign test and
///   opening in sequence. The hop clocks of tests/test_stats_sort.cpp measure it exactly on ring128
///   (widths 72–75) and one hop less for every level after the first on ring64 (widths 40–53), where
///   the next level's first messages overlap the last exchange of the previous one.
/// - Pond, SecureNN: before each level (and once more, the final 0) server 0 announces the count to
///   the dealer; the announcement shares a round with server 0's next message (the sign test's first),
///   and on the first level with the shuffle's last one too. Where server 0 only sends in the sign
///   test (SecureNN's masked DReLU), its opening's send shares that round as well. Latency: not
///   modelled.
template <class P>
costs::op_cost shuffle_sort_cost(std::uint64_t n, std::uint64_t w, const sort_report& r) {
  using R = typename P::ring;
  constexpr std::array<bool, 3> server0_continues{true, false, false};
  if constexpr (std::is_same_v<P, aby3<R>>) {
    auto c = aby3_shuffle_costs<R>::shuffle(n, w + 1);
    for (std::size_t m : r.level_comparisons)
      c = costs::then(c, costs::then(aby3_costs<R>::sign(m, r.width), aby3_shuffle_costs<R>::reveal_to_servers(m),
                                     server0_continues));
    return c;
  } else {
    static_assert(std::is_same_v<P, pond<R>> || std::is_same_v<P, securenn<R>>, "a cost model for P's shuffle sort");
    using sc = two_server_shuffle_costs<R>;
    auto c = sc::shuffle(n, w + 1);
    bool after_send = true;  // server 0's last act in the shuffle is a send
    for (std::size_t m : r.level_comparisons) {
      c = costs::then(c, sc::announce_count(), after_send ? server0_continues : std::array<bool, 3>{});
      const auto sign = P::cost_model::sign(m, r.width);
      c = costs::then(c, sign, server0_continues);
      const bool server0_only_sent = sign.player[0].messages_received == 0;
      c = costs::then(c, sc::reveal_to_servers(m), server0_only_sent ? server0_continues : std::array<bool, 3>{});
      after_send = false;  // the opening ends with a receive
    }
    c.latency = 0;
    return costs::then(c, sc::announce_count());  // the last count: 0
  }
}

}  // namespace tfe::stats
