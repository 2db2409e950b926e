// Joint statistics on encrypted data: two hospitals each hold a medical-style table (age, systolic
// blood pressure, cholesterol, BMI, glucose, smoker); the servers join them along rows and compute,
// on shares only, describe() (count, sum, mean, variance, std, min, max, a histogram per column), the
// correlation matrix, the median and quartiles of the blood pressure (an oblivious sort: no rank is
// revealed) and the mean blood pressure and cholesterol per smoker status (a group-by over the
// PRIVATE smoker column, groups below k = 10 suppressed), and the count, sum and mean of the
// cholesterol per systolic blood pressure reading (group_by_key: a private key with any number of
// values, here about 100; readings of fewer than 10 patients suppressed). Only the analyst receives the results; it
// prints them next to the plaintext (numpy-equivalent) statistics, the documented bounds, the bytes
// each player sent and the time. With --dp-epsilon E the column means are released with discrete
// Laplace noise (or, with --dp-mechanism gaussian, discrete Gaussian noise) sampled inside the
// computation (tfe/stats/dp.hpp, tfe/stats/dp_gaussian.hpp, docs/privacy.md), the values clipped to
// public bounds first; the noise is never known to any player.
//
//   build/examples/joint_statistics [--protocol aby3|pond|securenn|plain|...] [--small] [--check]
//                                   [--rows N] [--dp-epsilon E [--dp-mechanism laplace|gaussian]]
#include "common.hpp"

#include <tfe/stats/describe.hpp>
#include <tfe/stats/dp.hpp>
#include <tfe/stats/dp_gaussian.hpp>
#include <tfe/stats/group_by.hpp>
#include <tfe/stats/group_by_key.hpp>
#include <tfe/stats/sort.hpp>

#include <chrono>
#include <iomanip>
#include <map>

namespace {

const std::vector<std::string> columns = {"age", "systolic_bp", "cholesterol", "bmi", "glucose", "smoker"};
// Public clipping bounds (what makes the DP sensitivity public) and histogram ranges.
const std::vector<double> lo = {18, 80, 2, 12, 2, 0}, hi = {95, 220, 10, 50, 20, 1};

/// A generated medical table, values on a grid of 1/64 (exact in fixed point).
xt::xarray<double> make_table(std::size_t n, std::uint64_t seed, double age_shift) {
  examples::data_rng rng(seed);
  xt::xarray<double> t = xt::zeros<double>({n, columns.size()});
  auto q = [](double v, double a, double b) { return std::round(std::clamp(v, a, b) * 64) / 64; };
  for (std::size_t i = 0; i < n; ++i) {
    const double age = q(50 + age_shift + 15 * rng.normal(), 18, 95);
    const double smoker = rng.uniform() < 0.25 ? 1 : 0;
    const double bmi = q(27 + 4.5 * rng.normal(), 12, 50);
    t(i, 0) = age;
    t(i, 1) = std::round(q(95 + 0.5 * age + 0.8 * bmi + 6 * smoker + 12 * rng.normal(), 80, 220));  // ties
    t(i, 2) = q(4.2 + 0.02 * age + 0.3 * smoker + 0.8 * rng.normal(), 2, 10);
    t(i, 3) = bmi;
    t(i, 4) = q(4.5 + 0.06 * (bmi - 27) + 0.01 * age + 1.1 * rng.normal(), 2, 20);
    t(i, 5) = smoker;
  }
  return t;
}

struct analyst {
  std::string player_name = "analyst";
  std::optional<tfe::stats::description> desc;
  xt::xarray<double> corr, quartiles, group_count, group_mean, dp_means, bp_groups;
};

struct options {
  double dp_epsilon = 0;
  std::string dp_mechanism = "laplace";  // or "gaussian"
};

/// The (ε, 1e-9) release of one column mean with sensitivity `sens`: its noise's standard deviation,
/// and the noisy mean if `mean` is given (each column gets ε/columns).
template <class P>
double dp_release(const options& opt, double sens, const tfe::fixed_point_config& cfg,
                  const tfe::private_tensor<P>* mean, std::optional<tfe::private_tensor<P>>* noisy) {
  const double eps = opt.dp_epsilon / static_cast<double>(columns.size());
  if (opt.dp_mechanism == "gaussian") {
    const auto plan = tfe::stats::plan_discrete_gaussian(eps, 1e-9, sens, cfg);
    if (mean) noisy->emplace(tfe::stats::add_discrete_gaussian(*mean, plan));
    return plan.stddev_ulps() * cfg.resolution();
  }
  const auto plan = tfe::stats::plan_discrete_laplace(eps, 1e-9, sens, cfg);
  if (mean) noisy->emplace(tfe::stats::add_discrete_laplace(*mean, plan));
  return std::sqrt(2.0) * plan.scale() * cfg.resolution();  // the Laplace's: √2·b
}

template <class Session>
void joint_statistics(Session& s, const xt::xarray<double>& a, const xt::xarray<double>& b, analyst& out,
                      const options& opt) {
  using P = typename Session::protocol;
  auto ta = tfe::stats::define_table(
      s, "hospital-a", [&] { return a; }, columns);
  auto tb = tfe::stats::define_table(
      s, "hospital-b", [&] { return b; }, columns);
  auto x = tfe::stats::join_rows<P>({ta, tb});
  const std::size_t n = x.shape()[0];

  tfe::stats::describe_options d;
  d.names = columns;
  for (std::size_t c = 0; c < columns.size(); ++c) d.edges.push_back(tfe::stats::uniform_edges(lo[c], hi[c] + 1, 8));
  // Present at the analyst only (every player runs this line; only the analyst may write `out`).
  if (auto desc = tfe::stats::describe(x, out.player_name, d)) out.desc = std::move(desc);

  auto numeric = tfe::slice(x, 1, 0, 5);  // the correlation of the five measurements
  auto bp = tfe::reshape(tfe::slice(x, 1, 1, 2), {static_cast<long>(n)});
  auto groups = tfe::stats::group_by_private(
      tfe::slice(x, 1, 1, 3), tfe::reshape(tfe::slice(x, 1, 5, 6), {static_cast<long>(n)}), {0.0, 1.0}, 10);
  auto receive = [&](const tfe::private_tensor<P>& t, xt::xarray<double>& dst) {
    s.define_output(
        out.player_name, [&](const xt::xarray<double>& v) { dst = v; }, t);
  };
  receive(tfe::stats::correlation(numeric), out.corr);
  receive(tfe::stats::quantiles(bp, {0.25, 0.5, 0.75}), out.quartiles);
  receive(groups.count, out.group_count);
  receive(groups.mean, out.group_mean);
  receive(tfe::stats::group_by_key(tfe::slice(x, 1, 2, 3), bp, 10).table, out.bp_groups);
  if (opt.dp_epsilon > 0) {
    // Means of clipped columns; replacing one row moves a mean by at most (hi − lo)/n, plus the mean's
    // own fixed-point error (|mean|·2^-f + 4·2^-f ≤ 8 ulps here). ε is split evenly over the columns.
    auto clipped = tfe::stats::clip_columns(x, lo, hi);
    auto means = tfe::stats::column_mean(clipped);
    std::vector<tfe::private_tensor<P>> noisy;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const double sens = (hi[c] - lo[c]) / static_cast<double>(n) + 8 * s.fixed_point().resolution();
      const auto mean = tfe::slice(means, 0, c, c + 1);
      std::optional<tfe::private_tensor<P>> released;
      (void)dp_release<P>(opt, sens, s.fixed_point(), &mean, &released);
      noisy.push_back(*released);
    }
    receive(tfe::concat(noisy, 0), out.dp_means);
  }
}

/// numpy-equivalent statistics of the joined table (the analyst's check; in a real deployment it
/// has no plaintext, this is the demonstration's reference).
struct reference {
  xt::xarray<double> mean, var, min, max, sum, corr, quartiles, group_mean, group_count;
  std::map<double, std::pair<double, double>> bp_groups;  // bp -> (count, cholesterol sum), count ≥ 10
};

reference compute_reference(const xt::xarray<double>& all) {
  reference r;
  const std::size_t n = all.shape()[0], k = all.shape()[1];
  r.sum = xt::sum(all, {0});
  r.mean = r.sum / static_cast<double>(n);
  r.min = xt::amin(all, {0});
  r.max = xt::amax(all, {0});
  r.var = xt::zeros<double>({k});
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t i = 0; i < n; ++i) r.var(c) += (all(i, c) - r.mean(c)) * (all(i, c) - r.mean(c));
    r.var(c) /= static_cast<double>(n - 1);
  }
  r.corr = xt::zeros<double>({std::size_t(5), std::size_t(5)});
  for (std::size_t p = 0; p < 5; ++p)
    for (std::size_t q = 0; q < 5; ++q) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += (all(i, p) - r.mean(p)) * (all(i, q) - r.mean(q));
      r.corr(p, q) = s / static_cast<double>(n - 1) / std::sqrt(r.var(p) * r.var(q));
    }
  std::vector<double> bp(n);
  for (std::size_t i = 0; i < n; ++i) bp[i] = all(i, 1);
  std::sort(bp.begin(), bp.end());
  r.quartiles = xt::zeros<double>({std::size_t(3)});
  for (std::size_t j = 0; j < 3; ++j) {
    const double h = 0.25 * static_cast<double>(j + 1) * static_cast<double>(n - 1);
    const auto i = static_cast<std::size_t>(h);
    r.quartiles(j) = bp[i] + (h - static_cast<double>(i)) * (bp[std::min(i + 1, n - 1)] - bp[i]);
  }
  r.group_mean = xt::zeros<double>({std::size_t(2), std::size_t(2)});
  r.group_count = xt::zeros<double>({std::size_t(2)});
  for (std::size_t i = 0; i < n; ++i) {
    const auto g = static_cast<std::size_t>(all(i, 5));
    r.group_count(g) += 1;
    r.group_mean(g, 0) += all(i, 1);
    r.group_mean(g, 1) += all(i, 2);
  }
  for (std::size_t g = 0; g < 2; ++g)
    for (std::size_t c = 0; c < 2; ++c) r.group_mean(g, c) /= r.group_count(g);
  for (std::size_t i = 0; i < n; ++i) {
    auto& [count, sum] = r.bp_groups[all(i, 1)];
    count += 1;
    sum += all(i, 2);
  }
  std::erase_if(r.bp_groups, [](const auto& g) { return g.second.first < 10; });
  return r;
}

/// max |a − b| / bound over the elements (≤ 1: within the bound everywhere).
template <class Bound>
double worst(const xt::xarray<double>& a, const xt::xarray<double>& b, Bound bound) {
  double w = 0;
  for (std::size_t i = 0; i < a.size(); ++i) w = std::max(w, std::fabs(a.data()[i] - b.data()[i]) / bound(b.data()[i]));
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    std::size_t rows = 0;
    options opt;
    auto f = examples::flags::parse(
        argc, argv,
        [&](CLI::App& app) {
          app.add_option("--rows", rows, "rows per hospital (default 2000, 150 with --small)");
          app.add_option("--dp-epsilon", opt.dp_epsilon, "release the column means with (ε, 1e-9)-DP noise");
          app.add_option("--dp-mechanism", opt.dp_mechanism, "laplace (default) or gaussian")
              ->check(CLI::IsMember({"laplace", "gaussian"}));
        },
        "aby3");
    if (rows == 0) rows = f.small ? 150 : 2000;
    const auto a = make_table(rows, 31, 0), b = make_table(rows + rows / 3, 32, 6);  // different sizes
    int rc = 0;
    examples::with_protocol(f.protocol, [&]<class P>() {
      analyst an;
      auto t0 = std::chrono::steady_clock::now();
      auto sent = examples::run<P>(f, examples::players<P>({"hospital-a", "hospital-b", an.player_name}), [&](auto& s) {
        joint_statistics(s, a, b, an, opt);
        return s.stats().total;
      });
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (examples::done_elsewhere(f, an.player_name)) return;
      const xt::xarray<double> all = xt::concatenate(xt::xtuple(a, b), 0);
      const auto ref = compute_reference(all);
      const auto& d = *an.desc;
      const double ulp = tfe::fixed_point_config::preset<typename P::ring>().resolution();
      std::cout << "joint statistics of " << all.shape()[0] << " rows (" << a.shape()[0] << " + " << b.shape()[0]
                << ") x " << columns.size() << " columns under " << P::name() << ": " << secs << " s\n";
      for (std::size_t p = 0; p < sent.size(); ++p)
        if (sent[p])
          std::cout << "  " << std::left << std::setw(16)
                    << examples::players<P>({"hospital-a", "hospital-b", an.player_name})[p] << std::right << " sent "
                    << sent[p]->bytes_sent << " bytes in " << sent[p]->rounds << " rounds\n";
      std::cout << "\nencrypted describe() (revealed to the analyst only):\n";
      tfe::stats::print(std::cout, d);
      std::cout << "\nplaintext reference:\n"
                << std::setw(14) << "column" << std::setw(14) << "mean" << std::setw(14) << "variance" << std::setw(14)
                << "min" << std::setw(14) << "max\n";
      for (std::size_t c = 0; c < columns.size(); ++c)
        std::cout << std::setw(14) << columns[c] << std::setw(14) << ref.mean(c) << std::setw(14) << ref.var(c)
                  << std::setw(14) << ref.min(c) << std::setw(14) << ref.max(c) << "\n";
      std::cout << "\nblood pressure quartiles: encrypted " << an.quartiles << ", plain " << ref.quartiles << "\n"
                << "mean (bp, cholesterol) by smoker status (private group-by, k = 10): encrypted " << an.group_mean
                << " (counts " << an.group_count << "), plain " << ref.group_mean << " (counts " << ref.group_count
                << ")\n"
                << "correlation matrix (encrypted):\n"
                << an.corr << "\n";
      // group_by_key: the kept readings and their counts and sums exactly (mean = sum / count).
      const auto bp_groups = tfe::stats::read_groups(an.bp_groups, 1);
      bool bp_exact = bp_groups.size() == ref.bp_groups.size();
      for (const auto& g : bp_groups) {
        const auto it = ref.bp_groups.find(g.key);
        bp_exact =
            bp_exact && it != ref.bp_groups.end() && it->second.first == g.count && it->second.second == g.sum[0];
      }
      std::cout << "cholesterol per systolic bp reading (group_by_key, k = 10): " << bp_groups.size()
                << " readings kept (plain: " << ref.bp_groups.size()
                << "), counts and sums equal to plain: " << bp_exact << "\n";
      for (std::size_t i = 0; i < bp_groups.size() && i < 3; ++i)
        std::cout << "  bp " << bp_groups[i].key << ": " << bp_groups[i].count << " patients, mean cholesterol "
                  << bp_groups[i].mean[0] << "\n";
      // Every comparison is normalized by its documented bound (stats/basic.hpp, sort.hpp, group_by.hpp):
      // ≤ 1 means within the bound.
      const double w = std::max(
          {worst(d.mean, ref.mean, [&](double m) { return std::fabs(m) * ulp + 4 * ulp; }),
           worst(d.variance, ref.var,
                 [&](double v) { return v * ulp + 8 * ulp + 2 * 100 * ulp; }),  // |mean| ≤ 100 here
           worst(d.min, ref.min, [&](double) { return 1e-300; }), worst(d.max, ref.max, [&](double) { return 1e-300; }),
           worst(an.corr, ref.corr, [&](double) { return ulp > 1e-6 ? 2e-3 : 1e-6; }),
           worst(an.quartiles, ref.quartiles, [&](double) { return ulp; }),
           worst(an.group_mean, ref.group_mean, [&](double m) { return 6 * ulp * std::fabs(m) + 3 * ulp; }),
           worst(an.group_count, ref.group_count, [&](double) { return 1e-300; }),
           worst(d.sum, ref.sum, [&](double) { return 1e-300; })});
      std::cout << "largest error relative to its documented bound: " << w << " (within the bounds: " << (w <= 1)
                << ")\n";
      if (opt.dp_epsilon > 0) {
        std::cout << "\nDP column means (" << opt.dp_mechanism << ", epsilon " << opt.dp_epsilon << " split over "
                  << columns.size() << " columns, delta 1e-9 each, noise sampled inside MPC):\n";
        for (std::size_t c = 0; c < columns.size(); ++c) {
          const double sens = (hi[c] - lo[c]) / static_cast<double>(all.shape()[0]) + 8 * ulp;
          std::cout << "  " << std::setw(12) << columns[c] << ": noisy " << std::setw(12) << an.dp_means(c)
                    << ", exact " << std::setw(12) << ref.mean(c) << ", noise standard deviation "
                    << dp_release<P>(opt, sens, tfe::fixed_point_config::preset<typename P::ring>(), nullptr, nullptr)
                    << "\n";
        }
      }
      if (f.check && !bp_exact) {
        std::cerr << "FAILED: group_by_key differs from the plaintext group-by\n";
        rc = 1;
      }
      if (f.check && !(w <= 1)) {
        std::cerr << "FAILED: a statistic is farther from the plaintext one than its documented bound\n";
        rc = 1;
      }
    });
    return rc;
  });
}
