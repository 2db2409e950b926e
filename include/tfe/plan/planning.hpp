// tfe/plan/planning.hpp: planning<R>, a protocol that runs a program's ops without any cryptography
// and counts, at every player, the traffic that the protocol of a cost model (tfe/plan/cost_model.hpp)
// would send and receive there: the statistics of a planned run are the predicted statistics.
//
// How. Every player runs the program as usual (the session's own messages, i.e. the seeds, the public
// shapes and anything the program sends itself, are real and counted as usual). The hooks send
// nothing; each asks the cost model what its protocol would send and receive at this player and counts
// it on the channel (channel::count_predicted). Values are not computed: player 0 holds zeros of the
// right shapes, as many parts as a server of the planned protocol holds (cost_model::share_parts), the
// others hold nothing (like plain's non-holders), so every op runs its own control flow and calls the
// same hooks with the same shapes as under the real protocol: ops never branch on secret values, only
// on shapes and public values. Player 0's ring tensors are then a server's, but for what the hooks
// make inside (their messages and temporaries): its memory meter (ring/memory_meter.hpp) is where the
// planner's peak memory model starts (plan::timeline, cost_model::working_bytes). Only the products
// are evaluated, at player 0 on its zeros: for the memory their local ops hold (a convolution's
// im2col), and, when state::product_seconds is set, to time this machine's kernels for the time
// estimate.
//
// Exactness. Bytes, messages and rounds equal a real run's whenever the cost model's formulas do (they
// are checked against measured runs per hook by tests/test_*_costs.cpp, and as a whole graph by
// tests/test_plan.cpp); frame header bytes are not predicted.
#pragma once

#include "tfe/detail/thread_clock.hpp"
#include "tfe/plan/cost_model.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace tfe {

template <class R>
struct planning {
  using ring = R;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<planning<R>>;
  static constexpr std::size_t min_players = 3;

  static std::string name() { return "planning<" + ring_traits<R>::name() + ">"; }
  static std::string roles() { return "the planned protocol's three players, then input/output players"; }
  /// Position names only: a planner reports the cost model's own names (cost_model::players).
  static std::vector<std::string> default_players() { return {"player0", "player1", "player2"}; }

  struct state {
    /// The protocol whose traffic is counted; set before the first op (tfe::plan does).
    const plan::cost_model* model = nullptr;
    /// When set, player 0 times the products it evaluates on its zeros and adds the seconds here.
    double* product_seconds = nullptr;
    /// When set (at player 0), every hook's critical path is added here for the time estimate.
    plan::timeline* timeline = nullptr;
    /// Truncations so far (aby3's roles rotate with its count of exact truncations, the same calls).
    std::uint64_t truncations = 0;
    /// When set, player 0 adds here its thread's CPU seconds between hooks: the ops' local work on a
    /// server's share parts, the same as a real server's (hook_timer).
    double* local_seconds = nullptr;
    double cpu_mark = -1;  // the CPU clock when the last hook ended (< 0: none yet)
    int hook_depth = 0;    // hooks within hooks (the unfused truncated product) count once
    state() = default;
    explicit state(session_type&) {}
  };

  static bool holds_value(const session_type& s) { return s.id() == 0; }
  static int public_component(const session_type& s) { return holds_value(s) ? 0 : -1; }
  static parts_type zero_parts(const session_type& s, const shape_t& shape) {
    if (!holds_value(s)) return {};
    parts_type p(model(s).share_parts());
    for (auto& t : p) t = ring_tensor<R>(xt::zeros<R>(shape));
    return p;
  }

  static parts_type share_input(session_type& s, std::size_t owner, const ring_tensor<R>*, const shape_t& shape) {
    const hook_timer timer(s);
    count(
        s, [&](std::size_t who) { return model(s).input(shape_size(shape), owner, s.num_players(), who); },
        {plan::hook_call::hook::input, shape_size(shape), 0, 0, 0, owner}, plan::timeline::kind::input);
    return zero_parts(s, shape);
  }
  static std::optional<ring_tensor<R>> reveal(session_type& s, const parts_type&, const shape_t& shape,
                                              std::size_t receiver) {
    const hook_timer timer(s);
    count(s, [&](std::size_t who) { return model(s).reveal(shape_size(shape), receiver, who); },
          {plan::hook_call::hook::reveal, shape_size(shape), 0, 0, 0, receiver});
    if (s.id() != receiver) return std::nullopt;
    return ring_tensor<R>(xt::zeros<R>(shape));
  }
  static ring_tensor<R> reveal_all(session_type& s, const parts_type&, const shape_t& shape) {
    const hook_timer timer(s);
    count(s, [&](std::size_t who) { return model(s).reveal_all(shape_size(shape), s.num_players(), who); },
          {plan::hook_call::hook::reveal, shape_size(shape), 0, 0, 0, plan::hook_call::everyone});
    return ring_tensor<R>(xt::zeros<R>(shape));
  }

  /// A masked operand: what it keeps at a server (cost_model::mask_tensors zeros at player 0, for the
  /// memory meter); that it is one is all the costs need.
  struct mask_type {
    std::vector<ring_tensor<R>> kept;
  };
  static mask_type mask(session_type& s, const parts_type&, const shape_t& shape) {
    const hook_timer timer(s);
    count(s, [&](std::size_t who) { return model(s).mask(shape_size(shape), who); },
          {plan::hook_call::hook::mask, shape_size(shape)});
    mask_type m;
    if (holds_value(s)) m.kept.assign(model(s).mask_tensors(), ring_tensor<R>(xt::zeros<R>(shape)));
    return m;
  }

  template <class Op>
  static parts_type bilinear(session_type& s, const parts_type& x, const parts_type& y, const shape_t& xs,
                             const shape_t& ys, const shape_t& zs, Op&& op) {
    return bilinear_masked(s, &x, nullptr, &y, nullptr, xs, ys, zs, op);
  }
  template <class Op>
  static parts_type bilinear_masked(session_type& s, const parts_type* x, const mask_type* xm, const parts_type* y,
                                    const mask_type* ym, const shape_t& xs, const shape_t& ys, const shape_t& zs,
                                    Op&& op) {
    const hook_timer timer(s);
    plan::hook_call call{plan::hook_call::hook::product, shape_size(zs), xm ? 0 : shape_size(xs),
                         ym ? 0 : shape_size(ys)};
    auto [z, live] = product_here(s, *x, *y, zs, op, call);
    count(
        s,
        [&](std::size_t who) {
          return model(s).product(shape_size(xs), shape_size(ys), shape_size(zs), xm != nullptr, ym != nullptr, who);
        },
        call, plan::timeline::kind::other, live);
    return std::move(z);
  }
  /// The fixed-point product: fused under a protocol that fuses it (ABY3), else as ops/arithmetic.hpp's
  /// truncated_product does it: the product, then the truncation in a scope "truncate".
  template <class Op>
  static parts_type bilinear_truncated(session_type& s, const parts_type* x, const mask_type* xm, const parts_type* y,
                                       const mask_type* ym, const shape_t& xs, const shape_t& ys, const shape_t& zs,
                                       Op&& op) {
    const hook_timer timer(s);
    if (model(s).fused_truncation()) {
      const std::uint64_t calls = s.state().truncations++;
      plan::hook_call call{plan::hook_call::hook::product_truncated, shape_size(zs), shape_size(xs), shape_size(ys)};
      call.exact = s.fixed_point().truncation == truncation_mode::exact;
      call.exact_calls = calls;
      auto [z, live] = product_here(s, *x, *y, zs, op, call);
      count(
          s, [&](std::size_t who) { return model(s).product_truncated(shape_size(zs), who, s.fixed_point(), calls); },
          call, plan::timeline::kind::other, live);
      return std::move(z);
    }
    auto z = bilinear_masked(s, x, xm, y, ym, xs, ys, zs, op);
    auto scope = s.op_scope("truncate");
    return truncate(s, z, zs);
  }
  static parts_type truncate(session_type& s, const parts_type& x, const shape_t& shape) {
    const hook_timer timer(s);
    const std::uint64_t call = s.state().truncations++;
    count(s, [&](std::size_t who) { return model(s).truncate(shape_size(shape), who, s.fixed_point(), call); },
          {plan::hook_call::hook::truncate, shape_size(shape)});
    return x;
  }
  static parts_type sign_bit(session_type& s, const parts_type&, const shape_t& shape, unsigned width) {
    const hook_timer timer(s);
    count(
        s, [&](std::size_t who) { return model(s).sign(shape_size(shape), width, who); },
        {plan::hook_call::hook::sign, shape_size(shape), 0, 0, width}, plan::timeline::kind::comparison);
    return zero_parts(s, shape);
  }
  static parts_type zero_bit(session_type& s, const parts_type&, const shape_t& shape, unsigned width) {
    const hook_timer timer(s);
    count(
        s, [&](std::size_t who) { return model(s).zero(shape_size(shape), width, who); },
        {plan::hook_call::hook::zero, shape_size(shape), 0, 0, width}, plan::timeline::kind::comparison);
    return zero_parts(s, shape);
  }

 private:
  static const plan::cost_model& model(const session_type& s) {
    auto* m = s.state().model;
    TFE_ENFORCE(m != nullptr, config_error, name(), " at '", s.name(),
                "': no cost model set (plan a program through tfe::plan, which sets state().model)");
    return *m;
  }
  /// Marks a hook's extent at player 0: the CPU time from the end of the previous hook to the start of
  /// this one goes to state::local_seconds.
  struct hook_timer {
    explicit hook_timer(session_type& s) : st(s.state()) {
      if (!st.local_seconds || st.hook_depth++ > 0) return;
      const double now = detail::thread_cpu_seconds();
      if (st.cpu_mark >= 0) *st.local_seconds += now - st.cpu_mark;
    }
    hook_timer(const hook_timer&) = delete;
    hook_timer& operator=(const hook_timer&) = delete;
    ~hook_timer() {
      if (st.local_seconds && --st.hook_depth == 0) st.cpu_mark = detail::thread_cpu_seconds();
    }
    state& st;
  };

  /// Counts this player's part of a hook (`part(who)` for who = this player); at player 0 with a
  /// timeline, also adds the hook's critical path and every player's working memory in `call`
  /// (plan::timeline::add).
  template <class Part>
  static void count(session_type& s, Part&& part, const plan::hook_call& call,
                    plan::timeline::kind kind = plan::timeline::kind::other, std::optional<std::int64_t> live = {}) {
    s.net().count_predicted(part(s.id()));
    if (plan::timeline* t = s.state().timeline) {
      std::vector<plan::traffic> all(s.num_players());
      std::vector<std::uint64_t> working(s.num_players());
      for (std::size_t who = 0; who < all.size(); ++who) {
        all[who] = part(who);
        working[who] = model(s).working_bytes(call, who);
      }
      t->add(all, kind, live.value_or(s.memory().live()), working, s.net().scope_path());
    }
  }

  /// The product at player 0 on its zeros (timed into state::product_seconds when set), in as many
  /// parts as a server holds, and what the memory model needs: the ring bytes held before it, and in
  /// `call.op_bytes` the most the op held beyond its result. The other players hold nothing.
  template <class Op>
  static std::pair<parts_type, std::int64_t> product_here(session_type& s, const parts_type& x, const parts_type& y,
                                                          const shape_t& zs, Op& op, plan::hook_call& call) {
    const std::int64_t live = s.memory().live();
    call.elementwise =
        std::is_same_v<std::decay_t<Op>, ring_ops::elementwise_product> && call.xn == call.n && call.yn == call.n;
    if (!holds_value(s)) return {parts_type{}, live};
    ring_tensor<R> z;
    {
      const memory_meter::window w(s.memory());
      const auto start = std::chrono::steady_clock::now();
      z = op(x.at(0), y.at(0));
      if (double* seconds = s.state().product_seconds)
        *seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto result = static_cast<std::int64_t>(z.size() * sizeof(R));
      call.op_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, w.extra_peak() - result));
    }
    TFE_ENFORCE(shape_of(z) == zs, protocol_error, name(), ": a product of shape ", shape_str(shape_of(z)), " where ",
                shape_str(zs), " was announced");
    parts_type p = zero_parts(s, zs);
    p.at(0) = std::move(z);
    return {std::move(p), live};
  }
};

static_assert(protocol<planning<ring64>> && fused_truncation<planning<ring64>>);

}  // namespace tfe
