// tests/test_stats_sort.cpp: "shuffle then sort" (tfe/stats/shuffle_sort.hpp) and the shuffle
// capability it needs (tfe/protocol/shuffle.hpp; aby3/, pond/, securenn/ and plain/shuffle.hpp):
// - the sort equals a stable sort of the rows (ties keep the input order) under plain, ABY3, Pond and
//   SecureNN on ring64 and ring128, with negatives, ties and both ends of the fixed-point range, 1 to 300 rows,
//   a key column alone and a table with payload; the bitonic network on the same rows;
// - the random permutation draws are exactly uniform (all 24 orders of 4 items, chi-square);
// - ABY3's shuffle gives every order of 4 rows about equally often (chi-square), and a server's view
//   of it is masked (the frames it receives while shuffling a constant table have half their bits set);
// - the sort's comparisons are opened to the three servers only: no other player receives a frame;
// - bytes, messages and rounds of every player equal the cost model (shuffle_sort_cost: ABY3, Pond, SecureNN)
//   for the levels the sort reports; Pond's shuffle (the dealer in the third player's place): uniform
//   orders, masked views, bytes, messages, rounds and latency as its cost model;
// - group_by_key (tfe/stats/group_by_key.hpp) against a double reference: counts, sums, mins and maxes
//   exact (the mean is their quotient), small groups suppressed, every other row zero; counts above
//   2^16 (beyond the fixed-point range of the comparisons) in group_by_key and group_by_private.
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "recording_channel.hpp"
#include "tfe/stats/group_by.hpp"
#include "tfe/stats/group_by_key.hpp"
#include "tfe/stats/sort.hpp"
#include "tfe/testing/measure_phases.hpp"
#include "tfe/tfe.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats_sort {

namespace {

using plain64 = tfe::plain<tfe::ring64>;
using plain128 = tfe::plain<tfe::ring128>;
using aby3_64 = tfe::aby3<tfe::ring64>;
using aby3_128 = tfe::aby3<tfe::ring128>;
using pond64 = tfe::pond<tfe::ring64>;
using securenn64 = tfe::securenn<tfe::ring64>;
using securenn128 = tfe::securenn<tfe::ring128>;
using dvec = xt::xarray<double>;

template <class P>
std::vector<std::string> players() {
  auto p = P::default_players();
  p.push_back("alice");
  p.push_back("analyst");
  return p;
}

/// n rows: a key on a grid of 0.5 in [−40, 40] (ties), both ends of the fixed-point range, and the
/// row id as payload.
dvec keyed_rows(std::size_t n, double lowest, double highest, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_int_distribution<int> d(-80, 80);
  dvec t = dvec::from_shape({n, 2});
  for (std::size_t i = 0; i < n; ++i) {
    t(i, 0) = d(g) / 2.0;
    t(i, 1) = static_cast<double>(i);
  }
  if (n > 2) {
    t(0, 0) = lowest;
    t(n / 2, 0) = highest;
    t(n - 1, 0) = t(1, 0);  // a tie that is certain
  }
  return t;
}

/// Sorts alice's rows under P (revealed to the analyst) with the given algorithm.
template <class P>
dvec sorted_by(const dvec& rows, tfe::stats::sort_algorithm algorithm, bool key_only = false) {
  tfe::run_options opt;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto x = s.define_private_input("alice", [&] { return rows; });
        auto in = key_only ? tfe::reshape(tfe::slice(x, 1, 0, 1), {static_cast<long>(rows.shape()[0])}) : x;
        auto v = s.reveal_to("analyst", tfe::stats::sort_rows(in, algorithm));
        return v ? *v : dvec();
      },
      opt);
  return r.back();
}

/// The rows stably sorted by column 0.
dvec stable_sorted(const dvec& rows) {
  std::vector<std::size_t> idx(rows.shape()[0]);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rows(a, 0) < rows(b, 0); });
  dvec out = dvec::from_shape(rows.shape());
  for (std::size_t i = 0; i < idx.size(); ++i)
    for (std::size_t c = 0; c < rows.shape()[1]; ++c) out(i, c) = rows(idx[i], c);
  return out;
}

/// Σ (observed − expected)² / expected over the counts.
double chi_square(const std::map<std::vector<std::size_t>, std::size_t>& counts, std::size_t cells, std::size_t total) {
  const double expected = static_cast<double>(total) / static_cast<double>(cells);
  double chi = 0;
  std::size_t seen = 0;
  for (const auto& [k, c] : counts) {
    chi += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
    seen += 1;
  }
  chi += static_cast<double>(cells - seen) * expected;  // cells never seen
  return chi;
}

// χ² with 23 degrees of freedom: P(χ² > 60) ≈ 4·10^-5, so a uniform source fails ~1 run in 25,000;
// a permutation with one order missing gives ≥ 100 on 2,400 draws, the identity 55,200.
constexpr double chi23_bound = 60;

}  // namespace

TEST_CASE_TEMPLATE("shuffle then sort equals a stable sort of the rows", P, plain64, aby3_64, pond64, securenn64,
                   plain128, aby3_128, securenn128) {
  using R = typename P::ring;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const double top = std::ldexp(1.0, static_cast<int>(cfg.int_bits));
  // One ulp on ring64; on ring128 (31 integral bits) the ulp is below a double's resolution at the top.
  const double ulp = std::max(1.0 / cfg.scale(), std::ldexp(top, -50));
  for (std::size_t n : {1, 2, 3, 37, 300}) {
    CAPTURE(n);
    const dvec rows = keyed_rows(n, -top + ulp, top - ulp, n);  // the range is open
    const dvec want = stable_sorted(rows);
    const dvec got = sorted_by<P>(rows, tfe::stats::sort_algorithm::shuffle_quicksort);
    REQUIRE(got.shape() == want.shape());
    CHECK(got == want);  // keys exact, payload in input order among ties
    const dvec keys = sorted_by<P>(rows, tfe::stats::sort_algorithm::automatic, true);
    REQUIRE(keys.size() == n);
    for (std::size_t i = 0; i < n; ++i) CHECK(keys(i) == want(i, 0));
  }
  // The bitonic network on the same rows: sorted keys (its ties are not stable); its padding value is
  // the range's top, so the largest key stays below it.
  const dvec rows = keyed_rows(37, -top + ulp, top - 2 * ulp, 7);
  const dvec got = sorted_by<P>(rows, tfe::stats::sort_algorithm::bitonic);
  const dvec want = stable_sorted(rows);
  for (std::size_t i = 0; i < 37; ++i) CHECK(got(i, 0) == want(i, 0));
}

TEST_CASE("random permutations are uniform: every order of 4 items about equally often") {
  auto g = tfe::prg::insecure_from_fixed_seed(11);
  std::map<std::vector<std::size_t>, std::size_t> counts;
  const std::size_t draws = 24000;
  for (std::size_t i = 0; i < draws; ++i) counts[tfe::shuffle_detail::random_permutation(g, 4)]++;
  CHECK(counts.size() == 24);
  CHECK(chi_square(counts, 24, draws) < chi23_bound);
  // A permutation of many items is one: every index once.
  auto p = tfe::shuffle_detail::random_permutation(g, 1000);
  std::sort(p.begin(), p.end());
  for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i] == i);
}

namespace {

/// Sorts n random rows of 2 columns under P in the measured phase "t:sort"; server 0's report.
template <class P>
tfe::testing::phase_measurement measured_sort(std::size_t n, tfe::stats::sort_report& report) {
  const dvec rows = keyed_rows(n, -100, 100, 5);
  return tfe::testing::measure_phases<P>(players<P>(), [&](auto& s, auto& phase) {
    auto x = s.define_private_input("alice", [&] { return rows; });
    tfe::stats::sort_report mine;
    {
      auto scope = phase("t:sort");
      (void)tfe::stats::sort_rows(x, tfe::stats::sort_algorithm::shuffle_quicksort, &mine);
    }
    if (s.id() == 0) report = mine;
  });
}

/// Every protocol player's bytes, messages and rounds in a measured phase equal the cost model's.
void check_costs(const tfe::testing::phase_measurement& m, const std::string& tag, const tfe::costs::op_cost& c) {
  for (std::size_t p = 0; p < 3; ++p) {
    CAPTURE(p);
    const auto& got = m.stats[p].tag(tag);
    const auto& e = c.player[p];
    CHECK(got.bytes_sent == e.bytes_sent);
    CHECK(got.bytes_received == e.bytes_received);
    CHECK(got.messages_sent == e.messages_sent);
    CHECK(got.messages_received == e.messages_received);
    CHECK(got.rounds == e.rounds);
  }
}

/// Shuffles the rows (0, 1, 2, 3) 2,400 times under P and checks that every order comes about
/// equally often (χ²); then shuffles a constant table of 1000 × 2 and checks that every frame the
/// protocol's players receive looks random (half the bits set: 128,000 bits per frame, standard
/// deviation of the share 0.0014) and that player p receives frames[p] of them.
template <class P>
void check_shuffle(const std::vector<std::size_t>& frames) {
  using R = typename P::ring;
  const std::size_t shuffles = 2400;
  auto r = security_test::run_recorded<P>(players<P>(), [&](auto& s, security_test::recording_channel& ch) {
    auto x = s.define_private_input("alice", [] { return dvec{0, 1, 2, 3}; });
    std::vector<tfe::private_tensor<P>> out;
    for (std::size_t i = 0; i < shuffles; ++i)
      out.emplace_back(x.sess(), x.shape(), tfe::shuffle_hooks<P>::shuffle_rows(s, x.parts(), x.shape()));
    auto c = s.define_private_input("alice", [] { return dvec(xt::zeros<double>({1000, 2})); });
    ch.phase = "constant";  // (after the input: alice's input frames are not the shuffle's)
    (void)tfe::shuffle_hooks<P>::shuffle_rows(s, c.parts(), c.shape());
    ch.phase = "reveal";
    auto v = s.reveal_to("analyst", tfe::concat(out, 0));
    return v ? *v : dvec();
  });
  const dvec& all = r.results.back();
  REQUIRE(all.size() == 4 * shuffles);
  std::map<std::vector<std::size_t>, std::size_t> counts;
  for (std::size_t i = 0; i < shuffles; ++i) {
    std::vector<std::size_t> order;
    for (std::size_t j = 0; j < 4; ++j) order.push_back(static_cast<std::size_t>(all(4 * i + j)));
    std::vector<std::size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == std::vector<std::size_t>{0, 1, 2, 3});  // a permutation of the rows
    counts[order]++;
  }
  CHECK(counts.size() == 24);
  CHECK(chi_square(counts, 24, shuffles) < chi23_bound);
  for (std::size_t p = 0; p < frames.size(); ++p) {
    CAPTURE(p);
    std::size_t got = 0;
    for (const auto& rec : r.logs[p]) {
      if (rec.sent || rec.phase != "constant" || security_test::element_width(rec.f) != sizeof(R)) continue;
      const auto e = security_test::elements<R>(rec.f);
      REQUIRE(e.size() == 2000);
      ++got;
      std::size_t ones = 0;
      for (R v : e) ones += static_cast<std::size_t>(std::popcount(v));
      const double share = static_cast<double>(ones) / (64.0 * static_cast<double>(e.size()));
      CHECK(share > 0.49);
      CHECK(share < 0.51);
    }
    CHECK(got == frames[p]);
  }
}

}  // namespace

TEST_CASE("ABY3's shuffle: a uniform order of the rows, and a masked view at every server") {
  check_shuffle<aby3_64>({2, 2, 2});  // every server receives in two of the three steps
}

TEST_CASE("the sort's comparisons reach the three servers only") {
  const dvec rows = keyed_rows(100, -10, 10, 3);
  auto r = security_test::run_recorded<aby3_64>(players<aby3_64>(), [&](auto& s, security_test::recording_channel& ch) {
    auto x = s.define_private_input("alice", [&] { return rows; });
    ch.phase = "sort";  // (set after the input: alice's input frames are not the sort's)
    auto sorted = tfe::stats::sort_rows(x, tfe::stats::sort_algorithm::shuffle_quicksort);
    ch.phase = "reveal";
    auto v = s.reveal_to("analyst", sorted);
    return v ? *v : dvec();
  });
  CHECK(r.results.back() == stable_sorted(rows));
  for (std::size_t p = 3; p < r.logs.size(); ++p) {
    CAPTURE(p);
    std::size_t received = 0;
    for (const auto& rec : r.logs[p]) received += !rec.sent && rec.phase == "sort" ? 1 : 0;
    CHECK(received == 0);
  }
}

TEST_CASE_TEMPLATE("shuffle then sort: bytes, messages and rounds of every player as the cost model", P, aby3_64,
                   aby3_128, pond64, securenn64) {
  using R = typename P::ring;
  for (std::size_t n : {2, 100, 1000}) {
    CAPTURE(n);
    tfe::stats::sort_report report;
    const auto m = measured_sort<P>(n, report);
    CHECK(report.algorithm == "shuffle_quicksort");
    CHECK(report.width == tfe::fixed_point_config::preset<R>().used_bits() + 1 + tfe::costs::ceil_log2(n));
    REQUIRE(!report.level_comparisons.empty());
    CHECK(report.level_comparisons.front() == n - 1);
    const auto c = tfe::stats::shuffle_sort_cost<P>(n, 2, report);
    check_costs(m, "t:sort", c);
    if constexpr (std::is_same_v<P, tfe::aby3<R>>) {
      // The latency: the model's bound, reached on ring128; ring64's later levels each end a hop earlier.
      const std::uint64_t levels = report.level_comparisons.size();
      CHECK(m.latency_of("t:sort") == (std::is_same_v<R, tfe::ring64> ? c.latency - (levels - 1) : c.latency));
    }
  }
}

TEST_CASE("Pond's shuffle: a uniform order of the rows, masked views, the cost model") {
  using R = tfe::ring64;
  check_shuffle<pond64>({1, 1, 2});  // server 0, server 1, the crypto producer (twice)
  check_shuffle<securenn64>({1, 1, 2});
  // Bytes, messages, rounds and latency of one shuffle of 1000 rows of 3 columns.
  auto m = tfe::testing::measure_phases<pond64>(players<pond64>(), [&](auto& s, auto& phase) {
    auto x = s.define_private_input("alice", [] { return dvec(xt::zeros<double>({1000, 3})); });
    auto scope = phase("t:shuffle");
    (void)tfe::shuffle_hooks<pond64>::shuffle_rows(s, x.parts(), x.shape());
  });
  const auto c = tfe::two_server_shuffle_costs<R>::shuffle(1000, 3);
  check_costs(m, "t:shuffle", c);
  CHECK(m.latency_of("t:shuffle") == c.latency);
}

namespace {

/// The reference group-by: per key, count, sums, mins, maxes of the rows (k value columns).
std::map<double, tfe::stats::group_result> reference_groups(const dvec& keys, const dvec& x) {
  std::map<double, tfe::stats::group_result> out;
  const std::size_t k = x.shape()[1];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto& g = out[keys(i)];
    if (g.count == 0) {
      g.key = keys(i);
      g.sum.assign(k, 0);
      g.min.assign(k, 1e300);
      g.max.assign(k, -1e300);
    }
    g.count += 1;
    for (std::size_t c = 0; c < k; ++c) {
      g.sum[c] += x(i, c);
      g.min[c] = std::min(g.min[c], x(i, c));
      g.max[c] = std::max(g.max[c], x(i, c));
    }
  }
  return out;
}

template <class P>
std::vector<tfe::stats::group_result> grouped_by_key(const dvec& keys, const dvec& x, std::size_t min_count) {
  auto r = tfe::run_local<P>(players<P>(), [&](auto& s) {
    auto kx = s.define_private_input(
        "alice", [&] { return dvec(xt::concatenate(xt::xtuple(xt::view(keys, xt::all(), xt::newaxis()), x), 1)); });
    auto g =
        tfe::stats::group_by_key(tfe::slice(kx, 1, 1, 1 + x.shape()[1]),
                                 tfe::reshape(tfe::slice(kx, 1, 0, 1), {static_cast<long>(keys.size())}), min_count);
    auto v = s.reveal_to("analyst", g.table);
    return v ? *v : dvec();
  });
  const dvec& table = r.back();
  REQUIRE(table.shape()[0] == keys.size());
  return tfe::stats::read_groups(table, x.shape()[1]);
}

}  // namespace

TEST_CASE_TEMPLATE("group_by_key: count, sum, mean, min, max per private key; small groups suppressed", P, plain64,
                   aby3_64, pond64, securenn64, aby3_128) {
  std::mt19937_64 gen(21);
  std::uniform_int_distribution<int> key_of(-6, 30), val_of(-400, 400);
  for (std::size_t n : {1, 2, 150}) {
    CAPTURE(n);
    dvec keys = dvec::from_shape({n}), x = dvec::from_shape({n, 2});
    for (std::size_t i = 0; i < n; ++i) {
      keys(i) = key_of(gen) < 10 ? key_of(gen) % 4 : key_of(gen);  // a few large groups, many small ones
      x(i, 0) = val_of(gen) / 4.0;
      x(i, 1) = (i % 3 == 0) ? 7.5 : val_of(gen) / 8.0;  // ties
    }
    const std::size_t min_count = 3;
    const auto want = reference_groups(keys, x);
    const auto got = grouped_by_key<P>(keys, x, min_count);
    std::size_t kept = 0;
    for (const auto& [key, g] : want) kept += g.count >= min_count ? 1 : 0;
    if (n == 150) {
      CHECK(kept >= 4);               // the large groups
      CHECK(want.size() > kept + 5);  // and suppressed ones
    }
    REQUIRE(got.size() == kept);
    for (const auto& g : got) {
      CAPTURE(g.key);
      REQUIRE(want.count(g.key) == 1);
      const auto& w = want.at(g.key);
      CHECK(g.count == w.count);
      for (std::size_t c = 0; c < 2; ++c) {
        CHECK(g.sum[c] == w.sum[c]);
        CHECK(g.min[c] == w.min[c]);
        CHECK(g.max[c] == w.max[c]);
        CHECK(g.mean[c] == w.sum[c] / w.count);
      }
    }
  }
}

TEST_CASE("group counts above 2^16: group_by_key and group_by_private keep them") {
  // 70,000 rows in two groups of 60,000 and 10,000: a fixed-point count of 60,000 is outside the
  // 33-bit range of the comparisons (plain checks the range, so the old comparison threw here).
  const std::size_t n = 70000;
  dvec keys = dvec::from_shape({n}), x = dvec::from_shape({n, 1});
  for (std::size_t i = 0; i < n; ++i) {
    keys(i) = i % 7 == 0 ? 2 : 1;
    x(i, 0) = static_cast<double>(i % 5) - 2;
  }
  const auto got = grouped_by_key<plain64>(keys, x, 10);
  REQUIRE(got.size() == 2);
  CHECK(got[0].count == 60000);
  CHECK(got[1].count == 10000);
  auto r = tfe::run_local<plain64>(players<plain64>(), [&](auto& s) {
    auto kx = s.define_private_input(
        "alice", [&] { return dvec(xt::concatenate(xt::xtuple(xt::view(keys, xt::all(), xt::newaxis()), x), 1)); });
    auto g = tfe::stats::group_by_private(
        tfe::slice(kx, 1, 1, 2), tfe::reshape(tfe::slice(kx, 1, 0, 1), {static_cast<long>(n)}), {1.0, 2.0}, 10);
    auto v = s.reveal_to("analyst", g.count);
    return v ? *v : dvec();
  });
  REQUIRE(r.back().size() == 2);
  CHECK(r.back()(0) == 60000);
  CHECK(r.back()(1) == 10000);
}

}  // namespace test_stats_sort
