// tests/test_stats_dp_gaussian.cpp: the discrete Gaussian sampler of tfe/stats/dp_gaussian.hpp.
//  (a) the plan: the lattice g and its sensitivity, δ realized ≤ δ, σ the least with δ_DG ≤ δ/2 and T
//      the least meeting the rest (against this file's own long-double hockey-stick sum), thresholds
//      increasing; σ·g below the classical Gaussian mechanism's; bad parameters refused;
//  (b) the distribution: thousands of samples under plain (one contributor), pond (two) and aby3
//      (three) pass a χ² test against the discrete Gaussian's pmf and match its variance; on a lattice
//      (g = 8) Z = ⌊N/g⌋ is discrete Gaussian and V = N mod g uniform;
//  (c) no server holds the noise (pond, securenn, aby3): no frame a server receives while the noise is
//      sampled contains a noise value, a server's parts are not the noise, and runs differ.
#include "dp_noise_security.hpp"
#include "expect_error.hpp"
#include "tfe/stats/dp_gaussian.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_stats_dp_gaussian {

namespace {

using namespace dp_test;  // the protocols, players<P>() and cfg64

/// P(Z = z) of N_Z(0, σ²) for |z| ≤ R (long double, normalized over [−R, R], R = 60σ + 20).
struct reference_pmf {
  long double sigma;
  long R;
  std::vector<long double> p;
  explicit reference_pmf(double s) : sigma(s), R(static_cast<long>(60 * s) + 20) {
    long double norm = 0;
    for (long z = -R; z <= R; ++z) {
      p.push_back(std::exp(-static_cast<long double>(z) * z / (2 * sigma * sigma)));
      norm += p.back();
    }
    for (auto& v : p) v /= norm;
  }
  long double at(long z) const { return z < -R || z > R ? 0 : p[static_cast<std::size_t>(z + R)]; }
  /// max over shifts 1..k of Σ_z max(0, p(z) − e^ε·p(z − shift)).
  long double delta(std::uint64_t k, double eps) const {
    long double worst = 0;
    for (std::uint64_t d = 1; d <= k; ++d) {
      long double h = 0;
      for (long z = -R; z <= R + static_cast<long>(d); ++z)
        h += std::max<long double>(0, at(z) - std::exp(static_cast<long double>(eps)) * at(z - static_cast<long>(d)));
      worst = std::max(worst, h);
    }
    return worst;
  }
  long double tail(std::uint64_t T) const {  // P(|Z| > T)
    long double t = 0;
    for (long z = static_cast<long>(T) + 1; z <= R; ++z) t += 2 * at(z);
    return t;
  }
};

/// `count` noise values (in ulps) revealed to the analyst (tests only: a mechanism reveals x + N).
template <class P>
std::vector<long> sample(const tfe::stats::gaussian_plan& plan, std::size_t count, std::uint64_t seed) {
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = seed;
  auto r = tfe::run_local<P>(
      players<P>(),
      [&](auto& s) {
        auto v = s.reveal_to("analyst", tfe::stats::discrete_gaussian_noise(s, {count}, plan));
        return v ? *v : xt::xarray<double>();
      },
      opt);
  std::vector<long> out;
  for (double v : r.back()) {
    const double ulps = v * cfg64.scale();
    CHECK(ulps == std::nearbyint(ulps));
    out.push_back(std::lround(ulps));
  }
  return out;
}

/// χ² of `values` against P(v) = pmf(v) on −B..B plus the two tails.
double chi2_gaussian(const std::vector<long>& values, const reference_pmf& ref, long B) {
  const auto n = static_cast<double>(values.size());
  std::vector<double> obs(static_cast<std::size_t>(2 * B + 3), 0.0), expect(obs.size(), 0.0);
  for (long v = -B; v <= B; ++v) expect[static_cast<std::size_t>(v + B + 1)] = n * static_cast<double>(ref.at(v));
  expect[0] = expect.back() = n * static_cast<double>(ref.tail(static_cast<std::uint64_t>(B))) / 2;
  for (long v : values) obs[static_cast<std::size_t>(v < -B ? 0 : v > B ? 2 * B + 2 : v + B + 1)] += 1;
  double chi2 = 0;
  for (std::size_t i = 0; i < obs.size(); ++i) chi2 += (obs[i] - expect[i]) * (obs[i] - expect[i]) / expect[i];
  return chi2;
}

}  // namespace

TEST_CASE("(a) the plan: the least sigma and T meeting delta; bad parameters are refused") {
  for (double eps : {0.5, 1.0, 3.0})
    for (double delta : {1e-6, 1e-9}) {
      CAPTURE(eps);
      CAPTURE(delta);
      const auto p = tfe::stats::plan_discrete_gaussian(eps, delta, 1.0, cfg64);
      CHECK(p.ulps == 65536);
      CHECK(p.lattice() == 8192);  // the largest power of two ≤ D/8
      CHECK(p.lattice_sensitivity == 8);
      CHECK(p.delta_realized <= delta);
      const reference_pmf ref(p.sigma), smaller(p.sigma * 0.999);
      CHECK(static_cast<double>(ref.delta(8, eps)) <= delta / 2 * (1 + 1e-6));
      CHECK(static_cast<double>(smaller.delta(8, eps)) > delta / 2);  // σ is (nearly) the least
      const double amp = 1 + std::exp(eps), budget = delta - static_cast<double>(ref.delta(8, eps));
      const double round = std::ldexp(1.0, -61);
      CHECK(amp * static_cast<double>(ref.tail(p.T) + (2 * p.T + 1) * round) <= budget * (1 + 1e-6));
      CHECK(amp * static_cast<double>(ref.tail(p.T - 1) + (2 * p.T - 1) * round) > budget);  // T is the least
      REQUIRE(p.thresholds.size() == 2 * p.T);
      for (std::size_t k = 1; k < p.thresholds.size(); ++k) CHECK(p.thresholds[k] > p.thresholds[k - 1]);
      CHECK(p.thresholds.back() < (std::uint64_t(1) << 60));
      // The median threshold: F(−1) = (1 − P(Z = 0))/2 of the truncated distribution.
      const double f_minus1 = (1 - static_cast<double>(ref.at(0) / (1 - ref.tail(p.T)))) / 2;
      CHECK(std::fabs(std::ldexp(static_cast<double>(p.thresholds[p.T - 1]), -60) - f_minus1) < 1e-12);
      // Tighter than the classical Gaussian mechanism (ε < 1: σ = Δ·√(2 ln(1.25/δ))/ε, at δ/2).
      if (eps < 1) CHECK(p.sigma < 8 * std::sqrt(2 * std::log(1.25 / (delta / 2))) / eps);
    }
  // Small sensitivities: no lattice.
  const auto small = tfe::stats::plan_discrete_gaussian(1.0, 1e-6, 2 * cfg64.resolution(), cfg64);
  CHECK(small.ulps == 2);
  CHECK(small.lattice() == 1);
  CHECK(small.lattice_sensitivity == 2);
  using tfe_test::contains;
  using tfe_test::error_of;
  CHECK(
      contains(error_of<tfe::config_error>([] { tfe::stats::plan_discrete_gaussian(0, 1e-9, 1, cfg64); }), "epsilon"));
  CHECK(contains(error_of<tfe::config_error>([] { tfe::stats::plan_discrete_gaussian(1, 1, 1, cfg64); }), "delta"));
  CHECK(contains(error_of<tfe::config_error>([] { tfe::stats::plan_discrete_gaussian(1, 1e-9, 0, cfg64); }),
                 "sensitivity"));
  CHECK(contains(error_of<tfe::config_error>([] { tfe::stats::plan_discrete_gaussian(1e-4, 1e-9, 1, cfg64); }),
                 "thresholds per sample"));
}

TEST_CASE_TEMPLATE("(b) the noise has the discrete Gaussian distribution", P, plain64, pond64, aby3_64) {
  {
    // D = 2 ulps: no lattice, N = Z.
    const auto plan = tfe::stats::plan_discrete_gaussian(1.0, 1e-6, 2 * cfg64.resolution(), cfg64);
    REQUIRE(plan.lattice() == 1);
    const reference_pmf ref(plan.sigma);
    const std::size_t n = 4000;
    const auto z = sample<P>(plan, n, 21);
    REQUIRE(z.size() == n);
    const long B = static_cast<long>(2 * plan.sigma);
    const double chi2 = chi2_gaussian(z, ref, B);
    MESSAGE("sigma = ", plan.sigma, ", T = ", plan.T, ", chi2 = ", chi2, " over ", 2 * B + 3, " bins");
    CHECK(chi2 < 2 * B + 3 + 6 * std::sqrt(2.0 * static_cast<double>(2 * B + 3)));  // mean + 6 sd of χ²
    double sum = 0, sq = 0;
    for (long v : z) {
      sum += static_cast<double>(v);
      sq += static_cast<double>(v) * static_cast<double>(v);
    }
    const double var = plan.sigma * plan.sigma;  // within 1e-10 for σ > 1 (Poisson summation)
    CHECK(std::fabs(sum / n) < 4 * std::sqrt(var / n));
    CHECK(std::fabs(sq / n - var) < 0.1 * var);
  }
  {
    // D = 64 ulps: g = 8, N = 8·Z + V.
    const auto plan = tfe::stats::plan_discrete_gaussian(1.0, 1e-6, 64 * cfg64.resolution(), cfg64);
    REQUIRE(plan.lattice() == 8);
    REQUIRE(plan.lattice_sensitivity == 8);
    const reference_pmf ref(plan.sigma);
    const std::size_t n = 3000;
    const auto v = sample<P>(plan, n, 22);
    std::vector<long> zs;
    std::vector<double> low(8, 0.0);
    for (long x : v) {
      const long zq = x >= 0 ? x / 8 : -((-x + 7) / 8);  // ⌊x/8⌋
      zs.push_back(zq);
      low[static_cast<std::size_t>(x - 8 * zq)] += 1;
    }
    const long B = static_cast<long>(2 * plan.sigma);
    const double chi2 = chi2_gaussian(zs, ref, B);
    MESSAGE("lattice 8: sigma = ", plan.sigma, ", T = ", plan.T, ", chi2 = ", chi2, " over ", 2 * B + 3, " bins");
    CHECK(chi2 < 2 * B + 3 + 6 * std::sqrt(2.0 * static_cast<double>(2 * B + 3)));
    double chi2_low = 0;
    for (double c : low) chi2_low += (c - n / 8.0) * (c - n / 8.0) / (n / 8.0);
    CHECK(chi2_low < 30.0);  // 7 degrees of freedom: P(χ² > 30) < 1e-4
  }
}

TEST_CASE_TEMPLATE("(c) no server holds the Gaussian noise in the clear", P, pond64, securenn64, aby3_64) {
  const auto plan = tfe::stats::plan_discrete_gaussian(1.0, 1e-9, 1.0, cfg64);  // g = 8192 ulps
  dp_test::check_no_server_holds_the_noise<P>(
      players<P>(), 256, [&](auto& s, std::size_t n) { return tfe::stats::discrete_gaussian_noise(s, {n}, plan); });
}

}  // namespace test_stats_dp_gaussian
