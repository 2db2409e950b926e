// Statistics on encrypted data (issue 24): describe() of 10^6 × 8, the correlation matrix of 10^6 × 20,
// the oblivious sort of 10^5 and 10^6 keys with a payload column, the exact median and quartiles of
// 10^6 values, a group-by over a private key (16 keys one-hot; about 2^16 keys by sorting), and the discrete Laplace and Gaussian samplers; by default under ABY3
// ring64 with every player in one process. One JSON line per workload (benchmarks/common.hpp): wall
// time, bytes sent and rounds per player. The data owner shares its table before the clock starts.
//
//   build/benchmarks/bench_stats [--protocol aby3] [--filter sort] [--quick] [--networks none]
#include "common.hpp"

#include <tfe/stats/describe.hpp>
#include <tfe/stats/dp.hpp>
#include <tfe/stats/dp_gaussian.hpp>
#include <tfe/stats/group_by.hpp>
#include <tfe/stats/group_by_key.hpp>
#include <tfe/stats/regression.hpp>
#include <tfe/stats/sort.hpp>

#include <memory>

namespace {

/// Runs `work(session, table)` on a (rows, cols) table owned by "alice"; prints its JSON line.
/// Values uniform in [−range, range); `key_step` > 0: column 0 holds the integer keys ⌊x / key_step⌋
/// (12.5: the 16 keys −8..7; 100/32760: about 2^16 keys, −32760..32759).
template <class P, class Work>
void bench_table(const bench::options& opt, tfe::trace_recorder* trace, const std::string& pname,
                 const std::string& workload, std::size_t rows, std::size_t cols, Work work,
                 const std::string& extra_params = "", double key_step = 0, double range = 100.0) {
  if (!opt.wants(workload)) return;
  auto players = P::default_players();
  players.push_back("alice");
  players.push_back("analyst");
  bench::data_rng rng(17);
  const auto data = std::make_shared<xt::xarray<double>>(rng.tensor({rows, cols}, range));
  if (key_step > 0)
    for (std::size_t i = 0; i < rows; ++i) (*data)(i, 0) = std::floor((*data)(i, 0) / key_step);
  auto r = bench::run<P>(
      opt, players,
      [&](auto& s) {
        auto x = std::make_shared<tfe::private_tensor<P>>(s.define_private_input("alice", [&] { return *data; }));
        return [&s, x, &work] { work(s, *x); };
      },
      trace);
  std::cout << bench::to_json("stats", pname, workload,
                              "\"rows\":" + std::to_string(rows) + ",\"cols\":" + std::to_string(cols) + extra_params,
                              r)
            << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    auto opt = bench::options::parse(argc, argv, "Statistics on encrypted data: describe, correlation, sort, median");
    if (opt.protocols == std::vector<std::string>{"plain", "pond"}) opt.protocols = {"aby3"};
    const std::size_t big = opt.quick ? 10000 : 1000000, mid = opt.quick ? 1000 : 100000;
    // The ring64 protocols only (not the registry's eight types): half the instantiations, half the
    // compile time of this binary.
    auto body = [&]<class P>(const std::string& name, tfe::trace_recorder* trace) {
      using tensor = tfe::private_tensor<P>;
      bench_table<P>(opt, trace, name, "describe_16bins", big, 8, [](auto&, const tensor& x) {
        tfe::stats::describe_options d;
        for (std::size_t c = 0; c < 8; ++c) d.edges.push_back(tfe::stats::uniform_edges(-100, 100, 16));
        (void)tfe::stats::describe(x, "analyst", d);
      });
      bench_table<P>(opt, trace, name, "describe_no_histogram", big, 8,
                     [](auto&, const tensor& x) { (void)tfe::stats::describe(x, "analyst"); });
      bench_table<P>(opt, trace, name, "correlation", big, 20,
                     [](auto& s, const tensor& x) { (void)s.reveal_to("analyst", tfe::stats::correlation(x)); });
      for (std::size_t n : {mid, big})
        bench_table<P>(opt, trace, name, "sort_key_payload_" + std::to_string(n), n, 2, [](auto& s, const tensor& x) {
          (void)s.reveal_to("analyst", tfe::slice(tfe::stats::sort_rows(x), 0, 0, 1));
        });
      bench_table<P>(opt, trace, name, "median_quartiles", big, 1, [](auto& s, const tensor& x) {
        (void)s.reveal_to("analyst", tfe::stats::quantiles(tfe::reshape(x, {-1}), {0.25, 0.5, 0.75}));
      });
      bench_table<P>(
          opt, trace, name, "group_by_private_16_keys", big, 2,
          [](auto& s, const tensor& x) {
            std::vector<double> keys;
            for (int k = -8; k < 8; ++k) keys.push_back(k);
            auto g = tfe::stats::group_by_private(tfe::slice(x, 1, 1, 2), tfe::reshape(tfe::slice(x, 1, 0, 1), {-1}),
                                                  keys, 10);
            (void)s.reveal_to("analyst", g.mean);
            (void)s.reveal_to("analyst", g.count);
          },
          ",\"groups\":16", 12.5);
      bench_table<P>(
          opt, trace, name, "group_by_key_16bit", big, 2,
          [](auto& s, const tensor& x) {
            auto g = tfe::stats::group_by_key(tfe::slice(x, 1, 1, 2), tfe::reshape(tfe::slice(x, 1, 0, 1), {-1}), 10);
            (void)s.reveal_to("analyst", g.table);
          },
          ",\"key_bits\":16,\"min_count\":10", 100.0 / 32760);
      bench_table<P>(
          opt, trace, name, "linear_regression_20_features", big, 21,
          [](auto& s, const tensor& t) {
            // Standardized data (uniform on [−√3, √3): variance 1); the target is the last column.
            (void)s.reveal_to("analyst",
                              tfe::stats::linear_regression(tfe::slice(t, 1, 0, 20), tfe::slice(t, 1, 20, 21)));
          },
          "", 0, std::sqrt(3.0));
      const std::size_t samples = opt.quick ? 1000 : 10000;
      bench_table<P>(
          opt, trace, name, "dp_discrete_laplace_" + std::to_string(samples), 1, 1,
          [samples](auto& s, const tensor&) {
            const auto plan = tfe::stats::plan_discrete_laplace(1.0, 1e-9, 1.0, s.fixed_point());
            (void)tfe::stats::discrete_laplace_noise(s, {samples}, plan);
          },
          ",\"samples\":" + std::to_string(samples) + ",\"epsilon\":1,\"delta\":1e-9,\"sensitivity\":1");
      bench_table<P>(
          opt, trace, name, "dp_discrete_gaussian_" + std::to_string(samples), 1, 1,
          [samples](auto& s, const tensor&) {
            const auto plan = tfe::stats::plan_discrete_gaussian(1.0, 1e-9, 1.0, s.fixed_point());
            (void)tfe::stats::discrete_gaussian_noise(s, {samples}, plan);
          },
          ",\"samples\":" + std::to_string(samples) + ",\"epsilon\":1,\"delta\":1e-9,\"sensitivity\":1");
    };
    for (const auto& name : opt.protocols) {
      tfe::trace_recorder recorder;
      tfe::trace_recorder* trace = opt.trace_file.empty() ? nullptr : &recorder;
      if (name == "aby3")
        body.template operator()<tfe::aby3<tfe::ring64>>(name, trace);
      else if (name == "pond")
        body.template operator()<tfe::pond<tfe::ring64>>(name, trace);
      else if (name == "securenn")
        body.template operator()<tfe::securenn<tfe::ring64>>(name, trace);
      else if (name == "plain")
        body.template operator()<tfe::plain<tfe::ring64>>(name, trace);
      else
        throw tfe::config_error("bench_stats: --protocol " + name + " is not one of aby3, pond, securenn, plain");
      if (trace) recorder.write_chrome_json(bench::trace_path(opt, name));
    }
    return 0;
  });
}
