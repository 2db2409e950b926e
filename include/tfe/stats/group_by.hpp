// tfe/stats/group_by.hpp: group-by sums, counts and means of private value columns, over a PUBLIC
// category column (every player knows each row's group) or a PRIVATE one with a public list of
// possible keys (one-hot by equality tests). Groups with fewer than a public k rows are suppressed.
#pragma once

#include "tfe/protocol/costs.hpp"
#include "tfe/stats/basic.hpp"

#include <map>
#include <vector>

namespace tfe::stats {

namespace detail {
/// [count ≥ k] as integers 0/1 for integer counts (not fixed point: a fixed-point count above 2^I − 1
/// would leave the comparison's range) of groups of at most n rows: one sign test of width
/// ⌈log2(max(n, k) + 1)⌉ + 2.
template <protocol P>
private_tensor<P> at_least(const private_tensor<P>& count, std::size_t k, std::size_t n) {
  auto& s = count.sess();
  auto below = tfe::detail::add_int(count, -static_cast<std::int64_t>(k));
  const unsigned width = static_cast<unsigned>(costs::ceil_log2(std::max(n, k) + 1)) + 2;
  return tfe::detail::add_int(-private_tensor<P>(s, below.shape(), P::sign_bit(s, below.parts(), below.shape(), width)),
                              1);
}
}  // namespace detail

/// Per-group results, rows in the order of `keys`; suppressed groups hold 0 everywhere (their
/// count too) and suppressed[g] says which (public for a public category; for a private one it is
/// revealed with the counts: a count of 0 means "fewer than k").
template <protocol P>
struct grouped {
  std::vector<double> keys;
  private_tensor<P> count;  // (G) fixed point integers
  private_tensor<P> sum;    // (G, k)
  private_tensor<P> mean;   // (G, k)
  std::vector<bool> suppressed;
};

/// Group-by over a public category per row (categories.size() == n). Math: the rows of each group
/// are a public set, so sums are local; counts are public; mean = div_count(sum, count). Groups below
/// k rows are dropped before any computation (their count is public anyway). Cost: div_count on
/// G·k values (the truncation rounds of the largest count), no comparison. Error: the mean's
/// |mean|·2^-f + 4·2^-f; sums and counts exact.
template <protocol P>
grouped<P> group_by_public(const private_tensor<P>& x, const std::vector<double>& categories, std::size_t min_count) {
  using R = typename P::ring;
  detail::check_columns(x, "group_by_public");
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  TFE_ENFORCE(categories.size() == n, shape_error, "group_by_public: ", categories.size(), " categories for ", n,
              " rows");
  std::map<double, std::vector<std::size_t>> rows;
  for (std::size_t i = 0; i < n; ++i) rows[categories[i]].push_back(i);
  auto& s = x.sess();
  auto scope = s.op_scope("stats_group_by");
  grouped<P> out;
  std::vector<private_tensor<P>> sums, means;
  xt::xarray<double> counts = xt::zeros<double>({rows.size()});
  for (const auto& [key, idx] : rows) {
    out.keys.push_back(key);
    const bool small = idx.size() < min_count;
    out.suppressed.push_back(small);
    auto g = tfe::detail::map_parts(x, shape_t{k}, [&](const ring_tensor<R>& p) {
      ring_tensor<R> acc = xt::zeros<R>({k});
      if (!small)
        for (std::size_t i : idx)
          for (std::size_t c = 0; c < k; ++c) acc(c) = R(acc(c) + p(i, c));
      return acc;
    });
    counts(out.keys.size() - 1) = small ? 0.0 : static_cast<double>(idx.size());
    means.push_back(small ? g : div_count(g, idx.size()));
    sums.push_back(std::move(g));
  }
  out.count = to_private(s.constant(counts));
  out.sum = stack(sums, 0);
  out.mean = stack(means, 0);
  return out;
}

/// Group-by over a PRIVATE category column c (n) whose values lie in the public list `keys`
/// (integers in the fixed-point range). Math: one-hot H (G, n) = [c == key_g] as integer bits from
/// ONE batched equality test (zero_bit of c − key_g); counts = Σ_rows H (local, exact); sums = H·x
/// (one matmul, integer × fixed point: no truncation, exact); mean = (sum·r)·2^-a with
/// r = reciprocal(count·2^-a) on the known range [2^-a, 1], 2^a ≥ n (a ≤ I − 1), which keeps the
/// reciprocal's relative precision for every count; suppression: the bit [count ≥ k] from one sign test
/// of the integer counts (width ⌈log2 n⌉ + 2, any count) multiplies count, sum and
/// mean (one product round). Group sizes stay hidden until the caller reveals the results. Cost:
/// G·n equality tests, one (G×n)·(n×k) product, G reciprocals, one sign test on G, one product round.
/// Memory and comparisons grow with G·n: meant for small key domains (G ≤ a few hundred).
/// Error: counts and sums exact, |mean error| ≤ 6·2^-f·|mean| + 3·2^-f (n ≤ 2^(I−1)).
template <protocol P>
grouped<P> group_by_private(const private_tensor<P>& x, const private_tensor<P>& c, const std::vector<double>& keys,
                            std::size_t min_count) {
  using R = typename P::ring;
  detail::check_columns(x, "group_by_private");
  const std::size_t n = x.shape()[0], G = keys.size();
  TFE_ENFORCE(c.ndim() == 1 && c.shape()[0] == n, shape_error, "group_by_private: a category column of ", n,
              " rows is needed, got shape ", shape_str(c.shape()));
  TFE_ENFORCE(G > 0, shape_error, "group_by_private: no keys");
  auto& s = x.sess();
  auto scope = s.op_scope("stats_group_by");
  ring_tensor<R> neg = ring_tensor<R>::from_shape({G, 1});
  for (std::size_t g = 0; g < G; ++g) neg(g, 0) = encode_value<R>(-keys[g], s.fixed_point());
  auto diff = tfe::detail::add_public(reshape(c, {1, static_cast<long>(n)}), neg, "sub");  // (G, n)
  private_tensor<P> onehot(
      s, diff.shape(),
      P::zero_bit(s, diff.parts(), diff.shape(), tfe::detail::width_bits(s, sign_width::fixed_point_range, true)));
  auto count_int = sum(onehot, {1});                  // (G) integers
  auto count = tfe::detail::bit_to_fixed(count_int);  // (G)
  auto sums = private_tensor<P>(
      s, shape_t{G, x.shape()[1]},
      P::bilinear(
          s, onehot.parts(), x.parts(), onehot.shape(), x.shape(), shape_t{G, x.shape()[1]},
          [t = s.threads()](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::matmul(a, b, t); }));
  // 1/count loses relative precision for large counts (its absolute error is ~2^-f); instead
  // r = 2^a/count for count·2^-a ∈ [2^-a, 1] (a ≤ I − 1 so that r < 2^I), mean = (sum·r)·2^-a.
  int a = 0;
  while (a + 1 < static_cast<int>(s.fixed_point().int_bits) && std::ldexp(1.0, a) < static_cast<double>(n)) ++a;
  auto inv = reciprocal(count * std::ldexp(1.0, -a), std::ldexp(1.0, -a), 1.0);
  auto means = tfe::detail::mul_broadcast(sums, reshape(inv, {static_cast<long>(G), 1})) * std::ldexp(1.0, -a);
  // keep = [count ≥ k] as 0/1 integers; one product round for the three results (concatenated).
  auto keep = detail::at_least(count_int, min_count, n);  // (G)
  const long kc = static_cast<long>(x.shape()[1]);
  auto packed = concat({reshape(count, {static_cast<long>(G), 1}), sums, means}, 1);  // (G, 1 + 2k)
  auto kept = tfe::detail::mul_broadcast_exact(reshape(keep, {static_cast<long>(G), 1}), packed);
  grouped<P> out;
  out.keys = keys;
  out.count = reshape(slice(kept, 1, 0, 1), {static_cast<long>(G)});
  out.sum = slice(kept, 1, 1, 1 + static_cast<std::size_t>(kc));
  out.mean = slice(kept, 1, 1 + static_cast<std::size_t>(kc), 1 + 2 * static_cast<std::size_t>(kc));
  out.suppressed.assign(G, false);
  return out;
}

}  // namespace tfe::stats
