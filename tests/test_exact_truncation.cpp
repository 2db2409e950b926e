// tests/test_exact_truncation.cpp: the exact truncation (fixed_point_config::truncation =
// truncation_mode::exact; protocol/exact_truncation.hpp, pond/truncation.hpp, aby3/truncation.hpp)
// under Pond, SecureNN and ABY3:
//  (a) every result is ⌊z/2^f⌋ or one more for |z| up to 2^(ℓ−3), where the probabilistic truncation
//      fails about once in sixteen: standalone and fused into a product, random values with both signs
//      and the edges (0, ±1 ulp, the largest magnitudes); the same data under truncation_mode::
//      probabilistic fail, so the check can see a failure;
//  (b) bytes, messages and rounds per player and the latency exactly as the cost models state them
//      (pond_costs::exact_truncation, aby3_costs::exact_truncation and exact_bilinear_truncated);
//  (c) every word a server receives while truncating looks uniform, whatever the input (z = 0 or
//      large), and the crypto producer and the input players receive nothing.
#include "recording_channel.hpp"
#include "tfe/testing/measure_phases.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_exact_truncation {

namespace {

using int128 = tfe::int128;
using security_test::bit_counts;
using security_test::recording_channel;

template <class P>
std::vector<std::string> players_of() {
  auto v = P::default_players();
  v.push_back("alice");
  return v;
}

template <class R>
int128 as_signed(R v) {
  return static_cast<int128>(static_cast<typename tfe::ring_traits<R>::signed_type>(v));
}

/// The shared value from the servers' parts: Pond and SecureNN x_0 + x_1, ABY3 x_0 + x_1 + x_2.
template <class P>
typename P::ring value_at(const std::vector<std::vector<tfe::ring_tensor<typename P::ring>>>& parts, std::size_t i) {
  using R = typename P::ring;
  if constexpr (std::is_same_v<P, tfe::aby3<R>>) {
    return R(parts[0][0](i) + parts[0][1](i) + parts[1][1](i));
  } else {
    return R(parts[0][0](i) + parts[1][0](i));
  }
}

tfe::run_options with_mode(tfe::truncation_mode m, unsigned frac_bits, unsigned int_bits) {
  tfe::run_options o;
  o.session.fixed_point = tfe::fixed_point_config{frac_bits, int_bits, m};
  return o;
}

/// n values: the edges first (0, ±1 ulp, ±the largest magnitude below `bound`), then magnitudes
/// uniform in [0, bound) with a random sign (test data from a fixed seed, not protocol randomness).
xt::xarray<double> sample(std::size_t n, double bound, double ulp, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> mag(0, bound - ulp);
  xt::xarray<double> v = xt::zeros<double>({n});
  // The largest magnitude below the bound that encodes in range (2^31 − 2^-32 is no double).
  const double top = bound - ulp < bound ? bound - ulp : bound * (1 - std::ldexp(1.0, -50));
  const double edges[] = {0.0, ulp, -ulp, top, -top, bound / 2, -bound / 2};
  for (std::size_t i = 0; i < n; ++i) v(i) = i < std::size(edges) ? edges[i] : ((rng() & 1u) ? -mag(rng) : mag(rng));
  return v;
}

struct outcome {
  std::size_t n = 0, exact = 0;  // exact: ⌊z/2^f⌋ or one more
  int128 max_abs = 0;
};

/// Runs tfe::truncate(mul_int(x, K)) (standalone) or mul_int(x, K) * y (fused into the product) under
/// `mode` and compares every element with ⌊z/2^f⌋ of the exact z.
template <class P>
outcome run_truncations(tfe::truncation_mode mode, bool fused, const xt::xarray<double>& x, const xt::xarray<double>& y,
                        std::int64_t K) {
  using R = typename P::ring;
  const auto preset = tfe::fixed_point_config::preset<R>();
  const auto cfg = tfe::fixed_point_config{preset.frac_bits, preset.int_bits, mode};
  auto parts = tfe::run_local<P>(
      players_of<P>(),
      [&](auto& s) {
        auto a = s.define_private_input("alice", [&] { return x; });
        auto scaled = tfe::mul_int(a, K);
        if (!fused) return tfe::truncate(scaled).parts();
        auto b = s.define_private_input("alice", [&] { return y; });
        return (scaled * b).parts();
      },
      with_mode(mode, cfg.frac_bits, cfg.int_bits));
  outcome o;
  o.n = x.size();
  for (std::size_t i = 0; i < x.size(); ++i) {
    int128 z = as_signed(tfe::encode_value<R>(x(i), cfg)) * K;
    if (fused) z *= as_signed(tfe::encode_value<R>(y(i), cfg));
    o.max_abs = std::max(o.max_abs, z < 0 ? -z : z);
    const int128 d = as_signed(value_at<P>(parts, i)) - (z >> cfg.frac_bits);
    o.exact += (d == 0 || d == 1);
  }
  return o;
}

/// (a) for one protocol: standalone and fused, exact never fails and probabilistic does.
template <class P>
void check_exactness() {
  using R = typename P::ring;
  constexpr unsigned ell = tfe::ring_traits<R>::bits;
  const auto cfg = tfe::fixed_point_config::preset<R>();
  const std::size_t n = 2048;
  const double ulp = cfg.resolution(), bound = cfg.bound();
  // Standalone: enc(x) < 2^(i+f), K = 2^(ℓ−3−i−f): |z| < 2^(ℓ−3).
  const std::int64_t K1 = std::int64_t(1) << (ell - 3 - cfg.int_bits - cfg.frac_bits);
  // Fused: enc(x)·K < 2^(ℓ−3−f) and |y| < 1: |z| < 2^(ℓ−3).
  const std::int64_t K2 = std::int64_t(1) << (ell - 3 - cfg.int_bits - 2 * cfg.frac_bits);
  const auto x = sample(n, bound, ulp, 11), y = sample(n, 1.0, ulp, 12);
  for (const bool fused : {false, true}) {
    const std::int64_t K = fused ? K2 : K1;
    CAPTURE(fused);
    const outcome exact = run_truncations<P>(tfe::truncation_mode::exact, fused, x, y, K);
    const outcome prob = run_truncations<P>(tfe::truncation_mode::probabilistic, fused, x, y, K);
    // The data reach the range the test is about: 2^(ℓ−4) ≤ max |z| < 2^(ℓ−3).
    CHECK(exact.max_abs >= (int128(1) << (ell - 4)));
    CHECK(exact.max_abs < (int128(1) << (ell - 3)));
    MESSAGE(P::name(), std::string(fused ? " fused" : " standalone"), ": exact ", exact.exact, "/", n,
            ", probabilistic ", prob.exact, "/", n);
    CHECK(exact.exact == n);
    CHECK(prob.exact < n - 20);  // about n/16 failures expected: the check above can fail
  }
}

}  // namespace

TEST_CASE("(a) exact truncation: ⌊z/2^f⌋ or one more where the probabilistic one fails") {
  check_exactness<tfe::pond<tfe::ring64>>();
  check_exactness<tfe::pond<tfe::ring128>>();
  check_exactness<tfe::securenn<tfe::ring64>>();
  check_exactness<tfe::aby3<tfe::ring64>>();
  check_exactness<tfe::aby3<tfe::ring128>>();
}

TEST_CASE("(a) exact truncation with fewer fractional bits (1-byte messages) and more (8-byte ones)") {
  // f = 8 and f = 40 take the other message widths of exact_truncation::value_bytes.
  for (const auto& [f, i] : std::vector<std::pair<unsigned, unsigned>>{{8, 20}, {40, 20}}) {
    CAPTURE(f);
    using P = tfe::aby3<tfe::ring128>;
    using Q = tfe::pond<tfe::ring128>;
    const std::size_t n = 512;
    const auto x = sample(n, 1000.0, std::ldexp(1.0, -static_cast<int>(f)), 5);
    auto run = [&](auto proto) {
      using PP = decltype(proto);
      auto parts = tfe::run_local<PP>(
          players_of<PP>(),
          [&](auto& s) {
            auto a = s.define_private_input("alice", [&] { return x; });
            return (a * a).parts();
          },
          with_mode(tfe::truncation_mode::exact, f, i));
      std::size_t ok = 0;
      const auto cfg = tfe::fixed_point_config{f, i, tfe::truncation_mode::exact};
      for (std::size_t k = 0; k < n; ++k) {
        const int128 e = as_signed(tfe::encode_value<tfe::ring128>(x(k), cfg));
        const int128 d = as_signed(value_at<PP>(parts, k)) - ((e * e) >> f);
        ok += (d == 0 || d == 1);
      }
      return ok;
    };
    CHECK(run(P{}) == n);
    CHECK(run(Q{}) == n);
  }
}

// ---- (b) costs -------------------------------------------------------------------------------------

namespace {

using measured = tfe::testing::phase_measurement;

/// Runs program(session, phase) at every player (tfe/testing/measure_phases.hpp).
template <class P, class F>
measured run_measured(F program, const tfe::run_options& options) {
  return tfe::testing::measure_phases<P>(players_of<P>(), std::move(program), options);
}

void check_op(const measured& m, const std::string& tag, const tfe::costs::op_cost& c, bool latency = true) {
  for (std::size_t p = 0; p < 3; ++p) {
    const auto& got = m.stats[p].tag(tag);
    const auto& e = c.player[p];
    INFO(tag, ", player ", p, ": got ", got, ", expected {", e.bytes_sent, ", ", e.bytes_received, ", ",
         e.messages_sent, ", ", e.messages_received, ", ", e.rounds, "}");
    CHECK(got.bytes_sent == e.bytes_sent);
    CHECK(got.bytes_received == e.bytes_received);
    CHECK(got.messages_sent == e.messages_sent);
    CHECK(got.messages_received == e.messages_received);
    CHECK(got.rounds == e.rounds);
  }
  const auto& alice = m.stats[3].tag(tag);
  CHECK(alice.bytes_sent + alice.bytes_received + alice.messages_sent + alice.messages_received == 0);
  if (!latency) return;
  INFO(tag, ": latency");
  CHECK(m.latency_of(tag) == c.latency);
}

template <class P>
measured run_costs(std::size_t n) {
  using R = typename P::ring;
  const auto preset = tfe::fixed_point_config::preset<R>();
  return run_measured<P>(
      [n](tfe::session<P>& s, auto& phase) {
        auto x = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * 1.5); });
        auto y = s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * -2.25); });
        {
          auto scope = phase("t:truncate");
          (void)tfe::truncate(x);
        }
        {
          auto scope = phase("t:mul");
          (void)(x * y);
        }
      },
      with_mode(tfe::truncation_mode::exact, preset.frac_bits, preset.int_bits));
}

}  // namespace

TEST_CASE("(b) exact truncation costs as the cost models state them") {
  // Literal figures for ring64, f = 16 (2-byte values), n = 100: 200 bytes of small values round up to
  // 200 (25 words), 400 to 400. Pond: 200 bytes per player, 1 round.
  static_assert(tfe::pond_costs<tfe::ring64>::exact_truncation(100, 16).player[0].bytes_sent == 200);
  static_assert(tfe::costs::small_values_bytes(3, 16) == 8 && tfe::costs::small_values_bytes(5, 16) == 16);
  // ABY3's product: every server sends 8 + 2 bytes per element; server 0 receives 8 + 8 + 2, server 1
  // 2 + 2, server 2 8; 2 rounds; the roles rotate with the session's count of exact truncations.
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).player[0].bytes_sent == 1000);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).player[1].bytes_sent == 1000);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).player[2].bytes_sent == 1000);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).player[0].bytes_received == 1800);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).player[1].bytes_received == 400);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16).latency == 2);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16, 1).player[1].bytes_received == 1800);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_bilinear_truncated(100, 16, 5).player[0].bytes_received == 400);
  // The standalone one: server 1 sends 8 + 4·2 bytes per element, servers 0 and 2 2 bytes.
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_truncation(100, 16).player[1].bytes_sent == 1600);
  static_assert(tfe::aby3_costs<tfe::ring64>::exact_truncation(100, 16, 1).player[2].bytes_sent == 1600);
  for (std::size_t n : {1, 100, 333}) {
    CAPTURE(n);
    {
      using P = tfe::pond<tfe::ring64>;
      const auto m = run_costs<P>(n);
      check_op(m, "t:truncate", P::cost_model::exact_truncation(n, 16));
      // The product: Beaver's round, then the exact truncation's. The crypto producer sends c_1 and
      // γ_1 with no receive between them: one round. (The product's latency is checked in
      // test_pond_costs; the truncation's, 1, above.)
      auto c = P::cost_model::mul(n);
      const auto t = P::cost_model::exact_truncation(n, 16);
      for (std::size_t p = 0; p < 3; ++p) c.player[p] += t.player[p];
      c.player[2].rounds = 1;
      check_op(m, "t:mul", c, false);
    }
    {
      using P = tfe::aby3<tfe::ring64>;
      const auto m = run_costs<P>(n);
      // The session's first exact truncation, then its second: the roles rotate by one server.
      check_op(m, "t:truncate", P::cost_model::exact_truncation(n, 16, 0));
      check_op(m, "t:mul", P::cost_model::exact_bilinear_truncated(n, 16, 1));
    }
    {
      using P = tfe::aby3<tfe::ring128>;
      const auto m = run_costs<P>(n);
      check_op(m, "t:truncate", P::cost_model::exact_truncation(n, 32, 0));
      check_op(m, "t:mul", P::cost_model::exact_bilinear_truncated(n, 32, 1));
    }
  }
}

// ---- (c) what the servers receive ------------------------------------------------------------------

namespace {

template <class P>
std::vector<std::vector<security_test::record>> record_truncations(double value, std::size_t n) {
  using R = typename P::ring;
  const auto preset = tfe::fixed_point_config::preset<R>();
  return security_test::run_recorded<P>(
             players_of<P>(),
             [&](tfe::session<P>& s, recording_channel& ch) {
               ch.phase = "input";
               auto x =
                   s.define_private_input("alice", [&] { return xt::xarray<double>(xt::ones<double>({n}) * value); });
               auto big = tfe::mul_int(x, std::int64_t(1) << 20);  // |z| = value·2^(f+20)
               ch.phase = "truncate";
               (void)tfe::truncate(big);
               ch.phase = "mul";
               (void)(x * x);
               ch.phase = "done";
             },
             with_mode(tfe::truncation_mode::exact, preset.frac_bits, preset.int_bits))
      .logs;
}

}  // namespace

TEST_CASE_TEMPLATE("(c) every word a server receives while truncating exactly looks uniform", P, tfe::pond<tfe::ring64>,
                   tfe::securenn<tfe::ring64>, tfe::aby3<tfe::ring64>) {
  // 2^16 values: Pond's server 0 receives 2^14 words (bit_counts::balanced: within ±2.3 %).
  const std::size_t n = std::size_t(1) << 16;
  const bool aby3 = std::is_same_v<P, tfe::aby3<tfe::ring64>>;
  for (double value : {0.0, -1000.0, 3000.0}) {
    const auto logs = record_truncations<P>(value, n);
    for (const std::string phase : {"truncate", "mul"}) {
      // Pond's and SecureNN's servers 0 and 1 receive, their crypto producer (helper) nothing. ABY3's
      // standalone truncation: the transfers' sender (server 1 in the session's first exact
      // truncation) receives nothing, the other two servers receive; in the product every server
      // receives (silent = 3: none).
      const std::size_t silent = aby3 ? (phase == "truncate" ? 1 : 3) : 2;
      for (std::size_t p = 0; p < 3; ++p) {
        const bit_counts bc = security_test::received_words(logs[p], phase);
        const bool receives = p != silent;
        if (!receives) {
          CHECK(bc.total == 0);
          continue;
        }
        security_test::check_uniform_bits(
            bc, P::name() + ", player " + std::to_string(p) + ", " + phase + ", x = " + std::to_string(value));
      }
      CHECK(security_test::received_words(logs[3], phase).total == 0);  // alice
    }
  }
}

}  // namespace test_exact_truncation
