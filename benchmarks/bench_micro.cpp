// Micro benchmarks: the protocol ops behind every network, with their theoretical costs.
//
//   build/benchmarks/bench_micro [--protocol plain,pond,pond128] [--filter relu] [--quick] [--trace t.json]
//
// Workloads (issue 8): 10^6 multiplications; matmul 128×784×128 and 512×512×512; truncation of 10^6
// values; ReLU on 2^14 and 2^20 values; 2×2 max pooling on 128×24×24×16; sigmoid on 10^5 values.
// Every player runs in this process (one thread each) over the in-memory network.
#include "common.hpp"

namespace {

using tfe::shape_t;

template <class P>
void micro(const bench::options& opt, const std::string& pname, tfe::trace_recorder* trace) {
  using R = typename P::ring;
  const auto players = P::default_players();
  const double l = static_cast<double>(tfe::ring_traits<R>::bits) / 8.0;  // bytes per ring element
  const bool is_pond = pname.rfind("pond", 0) == 0;
  auto emit = [&](const std::string& workload, const std::string& params, const bench::run_result& r,
                  const bench::theory& th) { std::cout << bench::to_json("micro", pname, workload, params, r, th) << std::endl; };
  auto pond_theory = [&](double server_bytes, double server_rounds, double dealer_bytes) {
    bench::theory th;
    if (is_pond) {
      th.per_player = {{players[0], {server_bytes, server_rounds}},
                       {players[1], {server_bytes, server_rounds}},
                       {players[2], {dealer_bytes, dealer_bytes > 0 ? 1.0 : 0.0}}};
    }
    return th;
  };
  const std::size_t big = opt.quick ? 1 << 14 : 1000000;

  if (opt.wants("mul")) {
    const std::size_t n = big;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(1);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
      auto y = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
      return [&s, x, y] { (void)(x * y); };
    }, trace);
    emit("mul", "\"n\":" + std::to_string(n), r, pond_theory(2 * n * l, 1, n * l));
  }
  for (auto [a, k, b] : {std::array<std::size_t, 3>{128, 784, 128}, std::array<std::size_t, 3>{512, 512, 512}}) {
    if (!opt.wants("matmul") || (opt.quick && a == 512)) continue;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(2);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({a, k}, 1.0); });
      auto y = s.define_private_input(players[0], [&] { return rng.tensor({k, b}, 1.0); });
      return [&s, x, y] { (void)tfe::matmul(x, y); };
    }, trace);
    emit("matmul", "\"shape\":\"" + std::to_string(a) + "x" + std::to_string(k) + "x" + std::to_string(b) + "\"", r,
         pond_theory(static_cast<double>(a * k + k * b) * l, 1, static_cast<double>(a * b) * l));
  }
  if (opt.wants("truncation")) {
    const std::size_t n = big;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(3);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
      return [&s, x] { (void)tfe::truncate(x); };
    }, trace);
    emit("truncation", "\"n\":" + std::to_string(n), r, pond_theory(0, 0, 0));
  }
  for (std::size_t n : {std::size_t(1) << 14, std::size_t(1) << 20}) {
    if (!opt.wants("relu") || (opt.quick && n > (1 << 14))) continue;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(4);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 100.0); });
      return [&s, x] { (void)tfe::relu(x); };
    }, trace);
    // Pond (compare.hpp): n·ℓ/8 (open c) + 2·A(k)·8·⌈n/64⌉ (ANDs) + 8·⌈n/64⌉ (B2A) + 2n·ℓ/8 (product);
    // A(32) = 55 AND gates for ring64's k = 32; rounds 1 + ⌈log2(k−1)⌉ + 1 + 1.
    const double words = std::ceil(static_cast<double>(n) / 64.0);
    const unsigned k = tfe::fixed_point_config::preset<R>().used_bits();
    std::size_t ands = 0, levels = 0;
    for (std::size_t g = k - 1; g > 1; g = g / 2 + g % 2, ++levels) ands += 2 * (g / 2) - 1;
    emit("relu", "\"n\":" + std::to_string(n), r,
         pond_theory(static_cast<double>(n) * l + 2.0 * static_cast<double>(ands) * 8 * words + 8 * words + 2.0 * static_cast<double>(n) * l,
                     static_cast<double>(levels) + 3,
                     // crypto producer: r_1, bits of r, AND corrections, t, [t]_1, Beaver c_1
                     3.0 * static_cast<double>(n) * l + (static_cast<double>(k + ands) + 1.0) * 8 * words));
  }
  if (opt.wants("maxpool")) {
    const std::size_t batch = opt.quick ? 8 : 128;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(5);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({batch, 24, 24, 16}, 10.0); });
      return [&s, x] { (void)tfe::max_pool2d(x, {2, 2}); };
    }, trace);
    emit("maxpool2x2", "\"shape\":\"" + std::to_string(batch) + "x24x24x16\"", r, {});
  }
  if (opt.wants("sigmoid")) {
    const std::size_t n = opt.quick ? 1 << 12 : 100000;
    auto r = bench::run<P>(players, [&](auto& s) {
      bench::data_rng rng(6);
      auto x = s.define_private_input(players[0], [&] { return rng.tensor({n}, 10.0); });
      return [&s, x] { (void)tfe::sigmoid(x); };
    }, trace);
    emit("sigmoid", "\"n\":" + std::to_string(n), r, {});
  }
}

}  // namespace

int main(int argc, char** argv) try {
  auto opt = bench::options::parse(argc, argv);
  tfe::trace_recorder recorder;
  tfe::trace_recorder* trace = opt.trace_file ? &recorder : nullptr;
  bench::for_protocols(opt.protocols, [&]<class P>(const std::string& name) { micro<P>(opt, name, trace); });
  if (trace) recorder.write_chrome_json(*opt.trace_file);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}
