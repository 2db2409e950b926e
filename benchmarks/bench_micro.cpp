// Micro benchmarks: the protocol ops behind every network, with their theoretical costs.
//
//   build/benchmarks/bench_micro [--protocol plain,pond,securenn,aby3,pond128,aby3_128] [--filter relu]
//                                [--quick] [--trace t.json] [--networks lan,wan|none]
//   bash scripts/launch_local.sh --insecure-plaintext -- build/benchmarks/bench_micro --protocol aby3
//
// Workloads (issue 8): 10^6 multiplications; matmul 128×784×128 and 512×512×512; truncation of 10^6
// values, probabilistic ("truncation") and exact ("exact_truncation", ring/fixed_point.hpp); ReLU on 2^14, 10^6 and 2^20 values; 2×2 max pooling on 128×24×24×16; sigmoid (23 pieces and
// 3 pieces) on 10^5 values. Every player runs in this process (one thread each) over the in-memory
// network, or one player per process with --hosts/--player. Each JSON line carries the measured bytes
// and rounds per player and, for Pond, SecureNN and ABY3, the theoretical ones: the protocol's cost
// model P::cost_model (protocol/{pond,securenn,aby3}/costs.hpp), the same functions test_*_costs assert.
// The products' theory assumes the probabilistic truncation: under --truncation exact, mul, matmul
// and the sigmoids carry no theoretical figures (the truncation rows fix their own mode whatever the
// flag says).
#include "common.hpp"

namespace {

using tfe::shape_t;

template <class P>
void micro(const bench::options& opt, const std::string& pname, tfe::trace_recorder* trace) {
  using R = typename P::ring;
  const auto players = P::default_players();
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();  // sign width of relu (fixed-point range)
  // The theoretical cost cost_of(P::cost_model) of a workload; none for a protocol without a model (plain).
  auto theory = [&](auto cost_of) -> bench::theory {
    if constexpr (requires { typename P::cost_model; })
      return bench::theory::of(cost_of(typename P::cost_model{}), players);
    else
      return {};
  };
  auto emit = [&](const std::string& workload, const std::string& params, const bench::run_result& r,
                  const bench::theory& th) {
    std::cout << bench::to_json("micro", pname, workload, params, r, th) << std::endl;
  };
  auto n_param = [](std::size_t n) { return "\"n\":" + std::to_string(n); };
  const std::size_t big = opt.quick ? 1 << 14 : 1000000;

  const tfe::fixed_point_config cfg = opt.session.fixed_point.value_or(tfe::fixed_point_config::preset<R>());
  const bool exact_products = opt.launch.truncation.empty()
                                  ? opt.session.truncation.value_or(cfg.truncation) == tfe::truncation_mode::exact
                                  : opt.launch.truncation == "exact";
  auto product_theory = [&](auto cost_of) { return exact_products ? bench::theory{} : theory(cost_of); };

  if (opt.wants("mul")) {
    const std::size_t n = big;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(1);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
          auto y = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
          return [x, y] { (void)(x * y); };
        },
        trace);
    emit("mul", n_param(n), r, product_theory([&](auto m) { return m.mul(n); }));
  }
  for (auto [a, kk, b] : {std::array<std::size_t, 3>{128, 784, 128}, std::array<std::size_t, 3>{512, 512, 512}}) {
    if (!opt.wants("matmul") || (opt.quick && a == 512)) continue;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(2);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({a, kk}, 1.0); });
          auto y = s.define_private_input(players[0], [&] { return rng.tensor({kk, b}, 1.0); });
          return [x, y] { (void)tfe::matmul(x, y); };
        },
        trace);
    emit("matmul", "\"shape\":\"" + std::to_string(a) + "x" + std::to_string(kk) + "x" + std::to_string(b) + "\"", r,
         product_theory([&](auto m) { return m.matmul(a, kk, b); }));
  }
  // The truncation alone in each mode, whatever --truncation says for the other workloads.
  for (const auto mode : {tfe::truncation_mode::probabilistic, tfe::truncation_mode::exact}) {
    const bool exact = mode == tfe::truncation_mode::exact;
    if (!opt.wants(exact ? "exact_truncation" : "truncation")) continue;
    const std::size_t n = big;
    bench::options fixed = opt;
    fixed.launch.truncation.clear();
    fixed.session.truncation = mode;
    auto r = bench::run<P>(
        fixed, players,
        [&](auto& s) {
          bench::data_rng rng(3);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
          return [x] { (void)tfe::truncate(x); };
        },
        trace);
    if (exact)
      emit("exact_truncation", n_param(n), r, theory([&](auto m) { return m.exact_truncation(n, cfg.frac_bits); }));
    else
      emit("truncation", n_param(n), r, theory([&](auto m) { return m.truncation(n); }));
  }
  for (std::size_t n : {std::size_t(1) << 14, std::size_t(1000000), std::size_t(1) << 20}) {
    if (!opt.wants("relu") || (opt.quick && n > (1 << 14))) continue;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(4);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
          return [x] { (void)tfe::relu(x); };
        },
        trace);
    emit("relu", n_param(n), r, theory([&](auto m) { return m.relu(n, k); }));
  }
  if (opt.wants("gelu")) {
    // One BERT-base feed-forward activation: 128 tokens x 3072 (bench_large_models' dominant op).
    const std::size_t n = opt.quick ? 1 << 12 : 128 * 3072;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(7);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 6.0); });
          return [x] { (void)tfe::gelu(x); };
        },
        trace);
    emit("gelu", n_param(n), r, {});
  }
  if (opt.wants("maxpool")) {
    const std::size_t batch = opt.quick ? 8 : 128;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(5);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({batch, 24, 24, 16}, 10.0); });
          return [x] { (void)tfe::max_pool2d(x, {2, 2}); };
        },
        trace);
    emit("maxpool2x2", "\"shape\":\"" + std::to_string(batch) + "x24x24x16\"", r,
         theory([&](auto m) { return m.max_pool_2x2(batch * 24 * 24 * 16, k); }));
  }
  if (opt.wants("sigmoid")) {
    const std::size_t n = opt.quick ? 1 << 12 : 100000;
    // piecewise linear: one sign test of the pieces' differences x − b_j (width k + 1), one product
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(6);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 10.0); });
          return [x] { (void)tfe::sigmoid(x); };
        },
        trace);
    const std::size_t pieces = tfe::detail::sigmoid_breakpoints.size();
    emit("sigmoid", n_param(n) + ",\"pieces\":23", r,
         product_theory([&](auto m) { return m.sign_then_product(pieces * n, k + 1, n); }));
    auto r3 = bench::run<P>(
        opt, players,
        [&](auto& s) {
          bench::data_rng rng(6);
          auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 10.0); });
          return [x] { (void)tfe::sigmoid_3piece(x); };
        },
        trace);
    emit("sigmoid_3piece", n_param(n) + ",\"pieces\":3", r3,
         product_theory([&](auto m) { return m.sign_then_product(2 * n, k + 1, n); }));
  }
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    auto opt = bench::options::parse(argc, argv, "tfe micro benchmarks (JSON lines on stdout)");
    bench::for_each_protocol(
        opt, [&]<class P>(const std::string& name, tfe::trace_recorder* trace) { micro<P>(opt, name, trace); });
    return 0;
  });
}
