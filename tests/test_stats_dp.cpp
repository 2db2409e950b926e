// tests/test_stats_dp.cpp: the discrete Laplace sampler of tfe/stats/dp.hpp.
//  (a) the plan: J is the least number of bits meeting δ, the thresholds are the digit probabilities
//      p_j = 1/(1 + e^(λ·2^j)) at 2^-60, bad parameters are refused;
//  (b) the distribution: thousands of samples under plain (one contributor), pond (two) and aby3
//      (three) pass a χ² test against P(N = z) = (1 − q)/(1 + q)·q^|z| and match its variance;
//  (c) no server holds the noise (pond, securenn, aby3): no frame a server receives while the noise is sampled contains a
//      noise value (any byte offset), and a server's parts of the noise are not the noise; the
//      noise differs between runs (fresh private streams);
//  (d) clip_columns is exact against per-column clipping.
#include "dp_noise_security.hpp"
#include "expect_error.hpp"
#include "tfe/stats/dp.hpp"

#include <cmath>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats_dp {

namespace {

using namespace dp_test;  // the protocols, players<P>() and cfg64

/// `count` noise values (in ulps) revealed to the analyst (tests only: a mechanism reveals x + N).
template <class P>
std::vector<double> sample(const tfe::stats::laplace_plan& plan, std::size_t count, std::uint64_t seed) {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = seed;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto v = s.reveal_to("analyst", tfe::stats::discrete_laplace_noise(s, {count}, plan));
        return v ? *v : xt::xarray<double>();
      },
      opt);
  std::vector<double> out;
  for (double v : r.back()) out.push_back(std::nearbyint(v * cfg64.scale()));
  return out;
}

}  // namespace

TEST_CASE("(a) the plan meets δ with the least number of bits; bad parameters are refused") {
  for (double eps : {0.1, 1.0, 4.0})
    for (double delta : {1e-6, 1e-12}) {
      CAPTURE(eps);
      CAPTURE(delta);
      auto p = tfe::stats::plan_discrete_laplace(eps, delta, 1.0, cfg64);
      CHECK(p.ulps == 65536);
      CHECK(p.delta_realized <= delta);
      const double lambda = eps / 65536.0;
      // With one bit fewer the truncation mass alone would exceed δ.
      const double tail_less = 2 * std::exp(-lambda * std::ldexp(1.0, static_cast<int>(p.J) - 1));
      CHECK((1 + std::exp(eps)) * tail_less > delta);
      REQUIRE(p.thresholds.size() == p.J);
      for (unsigned j = 0; j < p.J; ++j) {
        const double pj = 1 / (1 + std::exp(lambda * std::ldexp(1.0, static_cast<int>(j))));
        CHECK(std::fabs(std::ldexp(static_cast<double>(p.thresholds[j]), -60) - pj) <= 1e-15);
        if (j > 0) CHECK(p.thresholds[j] <= p.thresholds[j - 1]);
      }
    }
  using tfe_test::contains;
  CHECK(contains(tfe_test::error_of<tfe::config_error>([] { tfe::stats::plan_discrete_laplace(0, 1e-9, 1, cfg64); }),
                 "epsilon"));
  CHECK(contains(tfe_test::error_of<tfe::config_error>([] { tfe::stats::plan_discrete_laplace(1, 0, 1, cfg64); }),
                 "delta"));
  CHECK(contains(tfe_test::error_of<tfe::config_error>([] { tfe::stats::plan_discrete_laplace(1, 1e-9, -1, cfg64); }),
                 "sensitivity"));
  CHECK(contains(tfe_test::error_of<tfe::config_error>([] { tfe::stats::plan_discrete_laplace(50, 1e-9, 1, cfg64); }),
                 "1 + e^epsilon"));
  CHECK(tfe::stats::plan_discrete_laplace(15, 1e-9, 1, cfg64).delta_realized <= 1e-9);
}

TEST_CASE_TEMPLATE("(b) the noise has the discrete Laplace distribution", P, plain64, pond64, aby3_64) {
  // D = 3 ulps, ε = 0.75: q = e^-0.25; small enough to test the pmf bin by bin.
  const auto plan = tfe::stats::plan_discrete_laplace(0.75, 1e-9, 3 * cfg64.resolution(), cfg64);
  REQUIRE(plan.ulps == 3);
  const double q = plan.q;
  const std::size_t n = 6000;
  const auto z = sample<P>(plan, n, 11);
  REQUIRE(z.size() == n);
  const int B = 12;  // bins −B..B and the two tails
  std::vector<double> obs(2 * B + 3, 0.0), expect(2 * B + 3, 0.0);
  const double c = (1 - q) / (1 + q);
  for (int v = -B; v <= B; ++v) expect[v + B + 1] = n * c * std::pow(q, std::abs(v));
  const double tail = n * c * std::pow(q, B + 1) / (1 - q);
  expect[0] = expect[2 * B + 2] = tail;
  double sum = 0, sq = 0;
  for (double v : z) {
    CHECK(v == std::nearbyint(v));
    sum += v;
    sq += v * v;
    const int i = v < -B ? 0 : v > B ? 2 * B + 2 : static_cast<int>(v) + B + 1;
    obs[static_cast<std::size_t>(i)] += 1;
  }
  double chi2 = 0;
  for (std::size_t i = 0; i < obs.size(); ++i) chi2 += (obs[i] - expect[i]) * (obs[i] - expect[i]) / expect[i];
  MESSAGE("chi2 = ", chi2, " over ", obs.size(), " bins");
  CHECK(chi2 < 60.0);  // 26 degrees of freedom: P(χ² > 60) < 2e-4
  const double var = 2 * q / ((1 - q) * (1 - q));
  CHECK(std::fabs(sum / n) < 4 * std::sqrt(var / n));
  CHECK(std::fabs(sq / n - var) < 0.1 * var);
}

TEST_CASE_TEMPLATE("(c) no server holds the noise in the clear", P, pond64, securenn64, aby3_64) {
  const auto plan = tfe::stats::plan_discrete_laplace(1.0, 1e-9, 1.0, cfg64);  // D = 65536 ulps
  dp_test::check_no_server_holds_the_noise<P>(
      players<P>(), 512, [&](auto& s, std::size_t n) { return tfe::stats::discrete_laplace_noise(s, {n}, plan); });
}

TEST_CASE("(d) clip_columns clips each column to its own bounds, exactly") {
  const xt::xarray<double> x = {{-5.0, 0.5, 100.0}, {2.0, -0.25, -100.0}, {7.5, 3.0, 12.0}};
  auto r = tfe::run_local<aby3_64>(players<aby3_64>(), [&](auto& s) {
    auto t = s.define_private_input("server0", [&] { return x; });
    auto v = s.reveal_to("analyst", tfe::stats::clip_columns(t, {-1.0, 0.0, -50.0}, {5.0, 1.0, 50.0}));
    return v ? *v : xt::xarray<double>();
  });
  const xt::xarray<double> want = {{-1.0, 0.5, 50.0}, {2.0, 0.0, -50.0}, {5.0, 1.0, 12.0}};
  CHECK(r.back() == want);
}

}  // namespace test_stats_dp
