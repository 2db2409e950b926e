// tests/test_stats_bins.cpp: ABY3's bin circuit (protocol/aby3/bins.hpp) behind reveal_histogram
// and describe(): the affine map of the edges checked against every integer of the range, the counts
// against plaintext (values on every edge, outside on both sides, the fixed-point range's ends, several
// circuits, ring64 and ring128, the analyst and server 0 as receivers, the generic way for servers 1
// and 2 and for uneven edges), the costs (bytes, messages, rounds) against aby3_bins_costs, and what
// every player receives (uniform words; the receiver's codes a permutation of the rows' bins, nothing
// of an out-of-range value).
#include <doctest/doctest.h>

#include "expect_error.hpp"
#include "recording_channel.hpp"
#include "tfe/stats/describe.hpp"
#include "tfe/testing/measure_phases.hpp"
#include "tfe/tfe.hpp"

#include <algorithm>
#include <cmath>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats_bins {

namespace {

using aby3_64 = tfe::aby3<tfe::ring64>;
using aby3_128 = tfe::aby3<tfe::ring128>;
using dvec = xt::xarray<double>;
using security_test::recording_channel;

template <class P>
std::vector<std::string> players() {
  auto p = P::default_players();
  for (const char* extra : {"alice", "analyst"}) p.push_back(extra);
  return p;
}

template <class P>
std::size_t index_of(const std::string& name) {
  const auto p = players<P>();
  return static_cast<std::size_t>(std::find(p.begin(), p.end(), name) - p.begin());
}

/// The bin of d under the map, by the formula.
long long mapped_bin(std::int64_t d, const tfe::bin_affine_map& m) {
  const tfe::int128 y = tfe::int128(d) * static_cast<tfe::int128>(m.mul) + static_cast<tfe::int128>(m.add);
  return static_cast<long long>(y >> m.shift);  // arithmetic shift: floor
}

/// Plaintext counts with half-open bins [e_j, e_{j+1}) on the ENCODED values and edges.
template <class R>
dvec plain_counts(const dvec& t, const std::vector<tfe::stats::bin_edges>& edges) {
  const auto fp = tfe::fixed_point_config::preset<R>();
  const std::size_t k = edges.size(), bins = edges[0].size() - 1;
  dvec want = xt::zeros<double>({k, bins});
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t r = 0; r < t.shape()[0]; ++r) {
      const double x = tfe::ring_traits<R>::to_double(tfe::encode_value<R>(t(r, c), fp));
      for (std::size_t j = 0; j < bins; ++j) {
        const double lo = tfe::ring_traits<R>::to_double(tfe::encode_value<R>(edges[c][j], fp));
        const double hi = tfe::ring_traits<R>::to_double(tfe::encode_value<R>(edges[c][j + 1], fp));
        want(c, j) += x >= lo && x < hi;
      }
    }
  return want;
}

}  // namespace

TEST_CASE("the edges' affine map: exact on every integer of the range, or none") {
  std::mt19937_64 gen(5);
  std::vector<std::vector<std::int64_t>> cases;
  auto equal = [](std::int64_t w, std::size_t b) {
    std::vector<std::int64_t> d;
    for (std::size_t j = 0; j <= b; ++j) d.push_back(static_cast<std::int64_t>(j) * w);
    return d;
  };
  cases.push_back(equal(819200, 16));  // uniform_edges(−100, 100, 16) at f = 16
  for (std::size_t b : {2u, 3u, 5u, 16u, 100u, 128u})
    cases.push_back(equal(std::uniform_int_distribution<std::int64_t>(1, 100000)(gen), b));
  cases.push_back(equal(1, 128));     // one ulp per bin
  std::vector<std::int64_t> rounded;  // uniform_edges(0, 1, 10) at f = 16: widths 6553 and 6554
  for (std::size_t j = 0; j <= 10; ++j) rounded.push_back(std::llround(6553.6 * static_cast<double>(j)));
  cases.push_back(rounded);
  std::vector<std::int64_t> squares;  // uneven: widths 1, 3, 5, …
  for (std::int64_t j = 0; j <= 16; ++j) squares.push_back(j * j * 1000);
  cases.push_back(squares);
  std::size_t found = 0;
  for (const auto& D : cases) {
    const std::size_t B = D.size() - 1;
    const auto bits = static_cast<unsigned>(tfe::costs::ceil_log2(B));
    CAPTURE(B);
    CAPTURE(D[1]);
    const auto m = tfe::find_bin_affine_map(D, bits);
    if (!m) continue;
    ++found;
    CHECK(m->shift + bits <= 62);
    std::size_t wrong = 0;
    for (std::size_t j = 0; j < B; ++j)
      for (std::int64_t d = D[j]; d < D[j + 1]; ++d) wrong += mapped_bin(d, *m) != static_cast<long long>(j);
    CHECK(wrong == 0);
    CHECK(mapped_bin(-1, *m) < 0);  // below the range: never bin 0 (the range test decides anyway)
  }
  CHECK(found >= 9);  // every equal-width case has a map (the rounded and uneven ones may not)
  CHECK_FALSE(tfe::find_bin_affine_map(squares, 4).has_value());
}

TEST_CASE_TEMPLATE("reveal_histogram under ABY3: exact counts on every edge, outside and at the range's ends", P,
                   aby3_64, aby3_128) {
  using R = typename P::ring;
  std::mt19937_64 gen(11);
  std::uniform_int_distribution<int> d(-28, 28);
  const std::size_t n = 333;  // not a multiple of 8 or 64
  dvec t = dvec::from_shape({n, 3});
  for (auto& v : t) v = d(gen) / 4.0;  // a grid of 0.25: every edge below is hit
  const double top = std::ldexp(1.0, 15) - 1;
  t(0, 0) = -top;  // the fixed-point range's ends (ring64's preset)
  t(1, 0) = top;
  t(2, 1) = -top;
  std::vector<tfe::stats::bin_edges> edges = {
      tfe::stats::uniform_edges(-4, 4, 16), tfe::stats::uniform_edges(-6, 2, 16), tfe::stats::uniform_edges(0, 3, 16)};
  const dvec want = plain_counts<R>(t, edges);
  CHECK(xt::sum(want)() > 0.5 * static_cast<double>(n));  // not vacuous
  for (const std::string receiver : {"analyst", "server0", "server1"})
    for (std::size_t values : {std::size_t(1) << 21, n, 2 * n}) {  // one circuit, one per column, two columns
      CAPTURE(receiver);
      CAPTURE(values);
      tfe::run_options ro;
      ro.session.insecure_deterministic_seed = 3;
      const auto r = tfe::run_local<P>(
          players<P>(),
          [&](auto& s) {
            auto x = s.define_private_input("alice", [&] { return t; });
            std::optional<dvec> out;
            const bool bins = tfe::stats::detail::aby3_reveal_histogram(x, edges, s.id_of(receiver), values, out);
            if (!bins) out = s.reveal_to(receiver, tfe::stats::histogram(x, edges));
            return std::make_pair(bins, out);
          },
          ro);
      for (std::size_t p = 0; p < r.size(); ++p) {
        CHECK(r[p].first == (receiver != "server1"));  // servers 1 and 2 know the permutation
        CHECK(r[p].second.has_value() == (players<P>()[p] == receiver));
      }
      const auto& got = *r[index_of<P>(receiver)].second;
      REQUIRE(got.shape() == want.shape());
      CHECK(xt::all(xt::equal(got, want)));
    }
}

TEST_CASE("reveal_histogram and describe() agree with the generic histogram, also for uneven edges") {
  const std::size_t n = 200;
  std::mt19937_64 gen(17);
  std::uniform_int_distribution<int> d(-40, 40);
  dvec t = dvec::from_shape({n, 2});
  for (auto& v : t) v = d(gen) / 8.0;
  for (const bool uneven : {false, true}) {
    CAPTURE(uneven);
    std::vector<tfe::stats::bin_edges> edges = {tfe::stats::uniform_edges(-3, 3, 5), {}};
    for (std::size_t j = 0; j <= 5; ++j)
      edges[1].push_back(uneven ? -4.0 + 0.25 * static_cast<double>(j * j) : -4.0 + static_cast<double>(j));
    tfe::stats::describe_options opt;
    opt.edges = edges;
    tfe::run_options ro;
    ro.session.insecure_deterministic_seed = 4;
    const auto r = tfe::run_local<aby3_64>(
        players<aby3_64>(),
        [&](auto& s) {
          auto x = s.define_private_input("alice", [&] { return t; });
          auto generic = s.reveal_to("analyst", tfe::stats::histogram(x, edges));
          auto revealed = tfe::stats::reveal_histogram(x, edges, "analyst");
          auto desc = tfe::stats::describe(x, "analyst", opt);
          return std::make_tuple(generic, revealed, desc);
        },
        ro);
    const auto& [generic, revealed, desc] = r.back();
    REQUIRE(generic.has_value());
    REQUIRE(revealed.has_value());
    REQUIRE(desc.has_value());
    CHECK(xt::all(xt::equal(*revealed, *generic)));
    CHECK(xt::all(xt::equal(desc->histogram, *generic)));
    CHECK(xt::all(xt::equal(*generic, plain_counts<tfe::ring64>(t, edges))));
  }
}

TEST_CASE_TEMPLATE("ABY3 bin circuit costs: bytes, messages and rounds per player as aby3_bins_costs", P, aby3_64,
                   aby3_128) {
  using R = typename P::ring;
  const std::size_t n = 1000, k = 3;
  dvec t = xt::zeros<double>({n, k});
  const std::vector<tfe::stats::bin_edges> edges(k, tfe::stats::uniform_edges(-100, 100, 16));
  for (const std::string receiver : {"analyst", "server0"}) {
    CAPTURE(receiver);
    unsigned width = 0, shift = 0;
    auto m = tfe::testing::measure_phases<P>(players<P>(), [&](auto& s, auto& phase) {
      auto x = s.define_private_input("alice", [&] { return t; });
      width = tfe::detail::width_bits(s, tfe::sign_width::fixed_point_range, true);
      shift = tfe::stats::detail::aby3_bin_maps<R>(edges, s.fixed_point(), 4)->first;
      auto scope = phase("t:bins");
      (void)tfe::stats::reveal_histogram(x, edges, receiver);
    });
    if constexpr (std::is_same_v<R, tfe::ring64>) CHECK(shift == 42);  // ≈ log2(width · span) = 19.6 + 23.6 − 1
    const std::size_t to = index_of<P>(receiver);
    const auto c = tfe::aby3_bins_costs<R>::circuit(n * k, width, shift, 4);
    for (std::size_t p = 0; p < players<P>().size(); ++p) {
      CAPTURE(p);
      tfe::costs::player_cost want = tfe::aby3_bins_costs<R>::codes(n * k, to, p);
      if (p < 3) want += c.player[p];
      const auto& got = m.stats[p].tag("t:bins");
      CHECK(got.bytes_sent == want.bytes_sent);
      CHECK(got.bytes_received == want.bytes_received);
      CHECK(got.messages_sent == want.messages_sent);
      CHECK(got.messages_received == want.messages_received);
      CHECK(got.rounds == want.rounds);
    }
    if constexpr (std::is_same_v<R, tfe::ring64>) {  // bins.hpp's figures: rows of one bit per value
      CHECK(width == 33);
      const std::uint64_t row = 8 * tfe::costs::words(n * k);
      CHECK(c.player[0].bytes_sent == 210 * row);  // 116 monomials + 94 c²: 26.25 bytes per value
      CHECK(c.player[1].bytes_sent == 188 * row);  // 2 · 94 Beaver openings: 23.5 bytes per value
    }
  }
}

TEST_CASE("ABY3 bin circuit: uniform words to every server, and to the receiver a permutation of the bins") {
  using P = aby3_64;
  const std::size_t n = std::size_t(1) << 13;
  const std::vector<std::string> names = players<P>();
  const std::size_t analyst = names.size() - 1;
  // Column 0 ascending through the 4 bins and beyond them on both sides (in row order), column 1
  // constant inside, column 2 constant outside.
  dvec t = dvec::from_shape({n, 3});
  for (std::size_t r = 0; r < n; ++r) {
    t(r, 0) = -6.0 + 12.0 * static_cast<double>(r) / static_cast<double>(n);
    t(r, 1) = 1.5;
    t(r, 2) = 1000;
  }
  const std::vector<tfe::stats::bin_edges> edges(3, tfe::stats::uniform_edges(-4, 4, 4));
  const auto run = security_test::run_recorded<P>(names, [&](tfe::session<P>& s, recording_channel& ch) {
    ch.phase = "input";
    auto x = s.define_private_input("alice", [&] { return t; });
    ch.phase = "bins";
    return tfe::stats::reveal_histogram(x, edges, "analyst");
  });
  const auto& logs = run.logs;
  const dvec want = plain_counts<tfe::ring64>(t, edges);
  REQUIRE(run.results[analyst].has_value());
  CHECK(xt::all(xt::equal(*run.results[analyst], want)));
  CHECK(security_test::received_words(logs[0], "bins").total == 0);  // server 0 only deals
  for (std::size_t srv : {std::size_t(1), std::size_t(2)})
    security_test::check_uniform_bits(security_test::received_words(logs[srv], "bins"), names[srv]);
  // The receiver: one message from server 1 and one from server 2, each uniform alone.
  std::vector<std::vector<std::uint8_t>> msgs;
  for (const auto& rec : logs[analyst]) {
    if (rec.sent || rec.phase != "bins") continue;
    CHECK((rec.peer == 1 || rec.peer == 2));
    const auto [p, len] = security_test::payload(rec.f);
    msgs.emplace_back(p, p + len);
    security_test::bit_counts bc;
    for (std::size_t off = 0; off + 8 <= len; off += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + off, 8);
      bc.add(w);
    }
    security_test::check_uniform_bits(bc, "the analyst, from " + names[rec.peer]);
  }
  REQUIRE(msgs.size() == 2);
  REQUIRE(msgs[0].size() == msgs[1].size());
  REQUIRE(msgs[0].size() >= 3 * n);
  // Their XOR: per column, codes (in, bin) whose multiset is the counts; out of range shows 0 only.
  std::size_t descents = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    std::vector<std::size_t> seen(9, 0);
    long last = -1;
    for (std::size_t r = 0; r < n; ++r) {
      const unsigned code = msgs[0][c * n + r] ^ msgs[1][c * n + r];
      REQUIRE(code < 9);
      ++seen[code];
      if ((code & 1u) == 0) CHECK(code == 0);  // nothing of an out-of-range value
      if (code & 1u) {
        descents += static_cast<long>(code >> 1) < last;
        last = static_cast<long>(code >> 1);
      }
    }
    for (std::size_t j = 0; j < 4; ++j) CHECK(seen[2 * j + 1] == want(c, j));
  }
  // Column 0's rows are in bin order; revealed in that order they would never descend.
  CHECK(descents > 100);
}

TEST_CASE("ABY3 bin circuit: a receiver that knows the permutation is refused") {
  const dvec t = xt::zeros<double>({10, 1});
  const std::vector<tfe::stats::bin_edges> edges = {tfe::stats::uniform_edges(-1, 1, 4)};
  auto run = [&] {
    tfe::run_local<aby3_64>(players<aby3_64>(), [&](auto& s) {
      auto x = s.define_private_input("alice", [&] { return t; });
      const std::vector<tfe::aby3_bin_column<tfe::ring64>> cols(1);
      (void)tfe::aby3_bins<aby3_64>::reveal_counts(s, x.parts(), x.shape(), cols, 33, 20, 2, 4, 1);
    });
  };
  const std::string e = tfe_test::error_of<tfe::player_error>(run);
  CHECK(tfe_test::contains(e, "must not be server 1 or 2"));
}

}  // namespace test_stats_bins
