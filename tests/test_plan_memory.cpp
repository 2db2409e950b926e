// test_plan_memory: the planner's working memory of each hook (plan::cost_model::working_bytes,
// docs/planner.md "Peak memory") against what the hook really holds, measured with each player's
// memory meter (ring/memory_meter.hpp) under ABY3, Pond and SecureNN on ring64: every player, every
// hook kind the planner counts, comparisons at several bit widths. The factors are a model (an upper
// bound within 30%, or a few KiB), not a formula: the whole-graph check is tests/test_plan.cpp.
#include "tfe/plan/cost_model.hpp"
#include "tfe/tfe.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_plan_memory {

namespace {

using tfe::plan::hook_call;
using hook = hook_call::hook;

struct measured_hook {
  std::string what;
  hook_call call;
  std::int64_t bytes;  // the most the hook held at once above what was held before it, result included
};

/// Runs every hook once on n values per player and measures it (a window of the player's meter).
template <class P>
std::vector<std::vector<measured_hook>> measure_hooks(std::size_t n) {
  auto players = P::default_players();
  players.push_back("owner");
  return tfe::run_local<P>(players, [&](tfe::session<P>& s) {
    std::vector<measured_hook> out;
    auto measure = [&](std::string what, hook_call call, auto&& f) {
      const tfe::memory_meter::window w(s.memory());
      { auto r = f(); }
      out.push_back({std::move(what), call, w.extra_peak()});
    };
    const std::size_t owner = s.id_of("owner");
    xt::xarray<double> v = xt::zeros<double>(tfe::shape_t{n});
    const std::size_t side = 64;  // a side × side matrix product
    xt::xarray<double> m = xt::zeros<double>(tfe::shape_t{side, side});
    measure("input", {hook::input, n, 0, 0, 0, owner},
            [&] { return s.define_private_input("owner", [&] { return v; }); });
    auto x = s.define_private_input("owner", [&] { return v; });
    auto y = s.define_private_input("owner", [&] { return v; });
    auto a = s.define_private_input("owner", [&] { return m; });
    auto b = s.define_private_input("owner", [&] { return m; });
    hook_call mul{hook::product, n, n, n};
    mul.elementwise = true;
    measure("elementwise product", mul, [&] {
      return P::bilinear(s, x.parts(), y.parts(), x.shape(), y.shape(), x.shape(),
                         tfe::ring_ops::elementwise_product{});
    });
    const tfe::shape_t ms{side, side};
    measure("matrix product", {hook::product, side * side, side * side, side * side}, [&] {
      return P::bilinear(s, a.parts(), b.parts(), ms, ms, ms,
                         [](const auto& l, const auto& r) { return tfe::ring_ops::matmul(l, r); });
    });
    if constexpr (tfe::fused_truncation<P>) {  // ABY3's product with its truncation in one round
      hook_call fused = mul;
      fused.kind = hook::product_truncated;
      measure("truncated elementwise product", fused, [&] {
        return P::bilinear_truncated(s, &x.parts(), nullptr, &y.parts(), nullptr, x.shape(), y.shape(), x.shape(),
                                     tfe::ring_ops::elementwise_product{});
      });
      const tfe::truncation_mode before = s.set_truncation(tfe::truncation_mode::exact);
      fused.exact = true;
      fused.exact_calls = s.state().exact_truncations;
      measure("exactly truncated elementwise product", fused, [&] {
        return P::bilinear_truncated(s, &x.parts(), nullptr, &y.parts(), nullptr, x.shape(), y.shape(), x.shape(),
                                     tfe::ring_ops::elementwise_product{});
      });
      s.set_truncation(before);
      measure("truncated matrix product", {hook::product_truncated, side * side, side * side, side * side}, [&] {
        return P::bilinear_truncated(s, &a.parts(), nullptr, &b.parts(), nullptr, ms, ms, ms,
                                     [](const auto& l, const auto& r) { return tfe::ring_ops::matmul(l, r); });
      });
    }
    measure("truncation", {hook::truncate, n}, [&] { return P::truncate(s, x.parts(), x.shape()); });
    for (unsigned width : {16u, 40u, 64u}) {
      measure("sign, width " + std::to_string(width), {hook::sign, n, 0, 0, width},
              [&] { return P::sign_bit(s, x.parts(), x.shape(), width); });
      measure("zero, width " + std::to_string(width), {hook::zero, n, 0, 0, width},
              [&] { return P::zero_bit(s, x.parts(), x.shape(), width); });
    }
    measure("reveal to all", {hook::reveal, n, 0, 0, 0, hook_call::everyone},
            [&] { return P::reveal_all(s, x.parts(), x.shape()); });
    return out;
  });
}

template <class P>
void check_working_memory(const std::string& protocol) {
  const auto model = tfe::plan::make_cost_model(protocol);
  const std::size_t n = 8192;  // tensors of 64 KiB: below the 1 MiB of a mapped block, no rounding
  const auto all = measure_hooks<P>(n);
  for (std::size_t who = 0; who < all.size(); ++who)
    for (const auto& h : all[who]) {
      CAPTURE(protocol);
      CAPTURE(who);
      CAPTURE(h.what);
      const auto predicted = static_cast<double>(model->working_bytes(h.call, who));
      const auto measured = static_cast<double>(h.bytes);
      CAPTURE(predicted);
      CAPTURE(measured);
      CHECK(measured <= predicted * 1.02 + 4096);  // an upper bound
      CHECK(predicted <= measured * 1.3 + 16384);  // and not a loose one
    }
}

}  // namespace

TEST_CASE("each hook's working memory per player is the cost model's, within its bound") {
  check_working_memory<tfe::aby3<tfe::ring64>>("aby3");
  check_working_memory<tfe::pond<tfe::ring64>>("pond");
  check_working_memory<tfe::securenn<tfe::ring64>>("securenn");
}

}  // namespace test_plan_memory
