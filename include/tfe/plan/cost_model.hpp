// tfe/plan/cost_model.hpp: a protocol's cost model at run time, hook by hook, for the planner
// (tfe/plan/planning.hpp). It reads the formulas of protocol/<name>/costs.hpp (written once, checked
// against measured runs by tests/test_*_costs.cpp) and adds what a sequence of ops needs besides the
// totals: whether a player's part of a hook opens and closes with a send. A player's rounds are its
// runs of sends (net/statistics.hpp), so a hook that opens with a send right after a hook that closed
// with one continues that run; the channel merges them (channel::count_predicted).
//
// The message order behind each flag (players 0, 1, 2 in the protocol's role order):
//   Pond, SecureNN products: server 0 sends its opened operands, then receives the other's; server 1
//     first receives c_1 from the crypto producer / helper, which only sends. Pond's bit tests: the
//     same three roles (server 1 receives the dealt bits first).
//   SecureNN's DReLU: the servers open with a send, the helper with a receive, and the helper's last
//     message is a send (its dealt shares); in the masked DReLU server 0 only sends.
//   ABY3 products: every server sends, then receives; the fused truncation's server 1 only sends. Bit
//     tests: server 0 deals (only sends), server 1 opens with a send, server 2 with a receive.
//   Inputs and reveals: an owner or sender only sends, a receiver only receives.
// tests/test_plan.cpp checks the whole: a planned graph's statistics equal a measured run's, player by
// player.
#pragma once

#include "tfe/net/channel.hpp"
#include "tfe/protocol/aby3/costs.hpp"
#include "tfe/protocol/pond/costs.hpp"
#include "tfe/protocol/securenn/costs.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/ring_tensor.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tfe::plan {

using traffic = channel::predicted_traffic;

/// A player's part of an op from a cost formula and its message order. A player that sends nothing
/// opens no round, whatever the formula's round column says for an op it only receives in.
inline traffic traffic_of(const costs::player_cost& c, bool opens_with_send, bool closes_with_send) {
  traffic t{c.bytes_sent, c.bytes_received, c.messages_sent, c.messages_received,
            c.rounds,     opens_with_send,  closes_with_send};
  if (t.messages_sent == 0) {
    t.rounds = 0;
    t.opens_with_send = t.closes_with_send = false;
  } else if (t.messages_received == 0) {
    t.opens_with_send = t.closes_with_send = true;
  }
  return t;
}

/// The hooks' critical path, for a time estimate (programs/plan.cpp): hooks run one after the other,
/// and within a hook the players' sends overlap on their links. Per hook: its hops are the most rounds
/// of any player, and its bytes on the critical path the most that any player sends and receives,
/// halved (what a player sends and what it receives cross the network in two directions, or one after
/// the other: SecureNN's servers send to the helper, which answers).
/// The comparisons (sign_bit, zero_bit) apart from the other hooks: their sub-protocols' messages
/// overlap and queue in ways a protocol's calibration measures (programs/plan.cpp). Inputs in a row
/// (the model owner's weights, one after the other) are one hop: their owner sends them back to back.
struct timeline {
  enum class kind { input, comparison, other };
  struct path {
    std::uint64_t hops = 0;
    double bytes = 0;
  };
  path comparisons, others;
  /// The peak memory model (docs/planner.md, "Peak memory"): which players hold shares (set before
  /// the run), and per player the most of `live` (the planning player's ring tensors when the hook
  /// starts, shares as many parts as the protocol's: planning.hpp) where it holds shares, plus the
  /// hook's working memory there (cost_model::working_bytes).
  std::vector<bool> holds_shares;
  std::vector<std::int64_t> peak_bytes;
  /// Per player, the op scope (channel::scope_path) of the hook where its peak_bytes were reached.
  std::vector<std::string> peak_where;
  void add(const std::vector<traffic>& hook, kind k, std::int64_t live = 0,
           const std::vector<std::uint64_t>& working = {}, const std::string& where = {}) {
    std::uint64_t h = 0;
    double b = 0;
    peak_bytes.resize(hook.size());
    peak_where.resize(hook.size());
    for (std::size_t who = 0; who < hook.size(); ++who) {
      const auto& t = hook[who];
      h = std::max(h, t.rounds);
      b = std::max(b, static_cast<double>(t.bytes_sent + t.bytes_received) / 2);
      const bool holder = who < holds_shares.size() && holds_shares[who];
      const auto work = static_cast<std::int64_t>(who < working.size() ? working[who] : 0);
      if ((holder ? live : 0) + work > peak_bytes[who]) {
        peak_bytes[who] = (holder ? live : 0) + work;
        peak_where[who] = where;
      }
    }
    if (k == kind::input) h = m_last == kind::input ? 0 : std::min<std::uint64_t>(h, 1);
    m_last = k;
    path& p = k == kind::comparison ? comparisons : others;
    p.hops += h;
    p.bytes += b;
  }

 private:
  kind m_last = kind::other;
};

/// One hook call, for its working memory (cost_model::working_bytes): which hook, its element counts
/// (n: the result's; x, y: a product's operands) and a comparison's bit width, and the input's owner or
/// the reveal's receiver (`other`; players: every player for reveal_all).
struct hook_call {
  enum class hook { input, reveal, mask, product, product_truncated, truncate, sign, zero };
  hook kind = hook::input;
  std::uint64_t n = 0, xn = 0, yn = 0;
  unsigned width = 0;
  std::size_t other = 0;
  /// A product's local op (a matmul's or convolution's kernel, e.g. im2col) evaluated once on the
  /// planning player's zeros: the most it held beyond its result (ring/memory_meter.hpp's window).
  std::uint64_t op_bytes = 0;
  /// A product of operands and result of one shape, elementwise (ABY3 fuses its terms in one loop).
  bool elementwise = false;
  /// A truncation (or a product fused with one) under the exact truncation (ring/fixed_point.hpp),
  /// and the session's exact truncations before it (ABY3's roles rotate by it).
  bool exact = false;
  std::uint64_t exact_calls = 0;
  static constexpr std::size_t everyone = ~std::size_t(0);  // reveal_all's receivers
};

/// What one hook sends and receives at player `who` (protocol players first, in role order).
class cost_model {
 public:
  virtual ~cost_model() = default;
  /// The registry name (tfe::with_protocol) and the protocol's own players.
  virtual std::string protocol() const = 0;
  virtual std::vector<std::string> players() const = 0;
  /// The ring tensors a server holds per private tensor (ABY3 2, Pond and SecureNN 1), and whether
  /// player `who` holds shares (the servers; not the crypto producer or helper, nor input players).
  virtual std::size_t share_parts() const = 0;
  virtual bool holds_shares(std::size_t who) const = 0;
  /// Ring tensors a masked operand keeps at a server (Pond's a_i and e; none where masks are empty).
  virtual std::size_t mask_tensors() const = 0;
  /// ABY3 fuses the fixed-point truncation into the product's round (protocol.hpp: fused_truncation).
  virtual bool fused_truncation() const = 0;
  /// The protocol state's set-up (session<P>'s constructor, after the session's own seeds).
  virtual traffic setup(std::size_t /*players*/, std::size_t /*who*/) const { return {}; }
  /// share_input of n values by `owner`, without the public shape (the session sends it).
  virtual traffic input(std::uint64_t n, std::size_t owner, std::size_t players, std::size_t who) const = 0;
  virtual traffic reveal(std::uint64_t n, std::size_t receiver, std::size_t who) const = 0;
  virtual traffic reveal_all(std::uint64_t n, std::size_t players, std::size_t who) const = 0;
  virtual traffic mask(std::uint64_t n, std::size_t who) const = 0;
  /// bilinear / bilinear_masked: |x|, |y| and |z| elements; a masked operand is not opened again.
  virtual traffic product(std::uint64_t xn, std::uint64_t yn, std::uint64_t zn, bool x_masked, bool y_masked,
                          std::size_t who) const = 0;
  /// bilinear_truncated (fused_truncation() only), with the session's fixed point (its truncation mode).
  /// `exact_calls`: the exact truncations the session ran before this one (ABY3 rotates roles by it).
  virtual traffic product_truncated(std::uint64_t zn, std::size_t who, const fixed_point_config& fp,
                                    std::uint64_t exact_calls) const = 0;
  virtual traffic truncate(std::uint64_t n, std::size_t who, const fixed_point_config& fp,
                           std::uint64_t exact_calls) const = 0;
  virtual traffic sign(std::uint64_t n, unsigned width, std::size_t who) const = 0;
  virtual traffic zero(std::uint64_t n, unsigned width, std::size_t who) const = 0;
  /// A hook's working memory at player `who`: the most bytes of ring tensors the hook holds there at
  /// once beyond what was held when it started, its result included (ring/memory_meter.hpp's count).
  /// Factors of the hook's element counts, measured hook by hook and per player with the meter on
  /// ring64 and checked so by tests/test_plan_memory.cpp (an upper bound, within 30%); a whole graph's
  /// prediction against a real run's meters by tests/test_plan.cpp. docs/planner.md, "Peak memory".
  virtual std::uint64_t working_bytes(const hook_call& call, std::size_t who) const = 0;
};

namespace detail {
/// `factor` tensors of `elements` ring elements of `element_bytes` each, as ring_allocator places
/// them: a tensor of 1 MiB or more takes whole 2 MiB pages (ring/ring_tensor.hpp).
inline std::uint64_t times(double factor, std::uint64_t elements, std::size_t element_bytes) {
  std::uint64_t bytes = elements * element_bytes;
  if (bytes >= tfe::detail::huge_page_min_bytes) bytes = tfe::detail::round_up_to_huge_pages(bytes);
  return static_cast<std::uint64_t>(factor * static_cast<double>(bytes));
}
/// A comparison's working memory per value, in ring elements, at the three protocol players: the
/// first row whose width bound is at least `width` (rows by increasing bound; the last row beyond).
/// The rows are measured on ring64 with the meter (8192 values per width); the bit-level parts of a
/// comparison do not grow with the ring, so on ring128 they are upper bounds.
struct width_row {
  unsigned up_to;
  double player[3];
};
template <std::size_t N>
double by_width(const width_row (&rows)[N], unsigned width, std::size_t who) {
  for (const auto& r : rows)
    if (width <= r.up_to) return r.player[who];
  return rows[N - 1].player[who];
}

/// What input and reveal hold, in ring elements per value, at any protocol (a server: its `parts`
/// result parts; the owner: the encoded value and one share per server; a receiver: the two tensors
/// it receives, the sum taking the block of the second (ring_tensor.hpp's operators reuse a
/// temporary operand); reveal_all's receivers are everyone), or -1 for another hook.
inline double io_factor(const hook_call& c, std::size_t who, bool server, std::size_t parts, std::size_t servers) {
  using h = hook_call::hook;
  if (c.kind == h::input) return server ? static_cast<double>(parts) : who == c.other ? 1.0 + servers : 0.0;
  if (c.kind == h::reveal) return server || who == c.other || c.other == hook_call::everyone ? 2.0 : 0.0;
  return -1;
}
}  // namespace detail

namespace detail {

/// costs::player_cost a − b, field by field (b a part of a).
constexpr costs::player_cost minus(costs::player_cost a, const costs::player_cost& b) {
  return {a.bytes_sent - b.bytes_sent, a.bytes_received - b.bytes_received, a.messages_sent - b.messages_sent,
          a.messages_received - b.messages_received, a.rounds - b.rounds};
}

/// A protocol player's part of an op_cost (nothing for the input and output players).
inline costs::player_cost part(const costs::op_cost& c, std::size_t who) {
  return who < 3 ? c.player[who] : costs::player_cost{};
}

/// Pond's and SecureNN's shared hooks (securenn<R> runs Pond's inputs, reveals and products).
template <class C>
class two_server_model : public cost_model {
 public:
  bool fused_truncation() const override { return false; }
  std::size_t share_parts() const override { return 1; }
  bool holds_shares(std::size_t who) const override { return who < 2; }
  std::size_t mask_tensors() const override { return 2; }
  traffic input(std::uint64_t n, std::size_t owner, std::size_t players, std::size_t who) const override {
    const auto c = minus(C::input(n, 0, owner, players, who), costs::public_shape(0, C::E, owner, players, who));
    return traffic_of(c, true, true);
  }
  traffic reveal(std::uint64_t n, std::size_t receiver, std::size_t who) const override {
    return traffic_of(C::reveal(n, receiver, who), true, true);
  }
  traffic reveal_all(std::uint64_t n, std::size_t players, std::size_t who) const override {
    return traffic_of(C::reveal_all(n, players, who), true, false);
  }
  traffic mask(std::uint64_t n, std::size_t who) const override {
    return traffic_of(part(C::mask(n), who), true, false);
  }
  traffic product(std::uint64_t xn, std::uint64_t yn, std::uint64_t zn, bool xm, bool ym,
                  std::size_t who) const override {
    const std::uint64_t opened = (xm ? 0 : xn) + (ym ? 0 : yn), messages = (xm ? 0 : 1) + (ym ? 0 : 1);
    return traffic_of(part(C::product(zn, opened, messages), who), who == 0, false);
  }
  traffic product_truncated(std::uint64_t, std::size_t, const fixed_point_config&, std::uint64_t) const override {
    throw config_error(protocol() + " has no fused truncation");
  }
  /// Share-local (nothing), or the exact truncation's one round (pond/truncation.hpp).
  traffic truncate(std::uint64_t n, std::size_t who, const fixed_point_config& fp, std::uint64_t) const override {
    if (fp.truncation != truncation_mode::exact) return {};
    return traffic_of(part(C::exact_truncation(n, fp.frac_bits), who), true, false);
  }
  /// Products (pond.hpp's Beaver products): a server holds its shares of a, b, c, the opened e, f and
  /// the result's terms; the dealer a, b, c and their shares. Comparisons: comparison_factor().
  std::uint64_t working_bytes(const hook_call& c, std::size_t who) const override {
    using h = hook_call::hook;
    constexpr std::size_t E = C::E;
    const bool server = who < 2, dealer = who == 2;
    if (const double f = io_factor(c, who, server, 1, 2); f >= 0) return times(f, c.n, E);
    switch (c.kind) {
      case h::mask:
        return server ? times(3, c.n, E) : dealer ? times(2, c.n, E) : 0;
      case h::product:
        if (!server && !dealer) return 0;
        return times(2, c.xn, E) + times(server ? 3 : 2, c.yn, E) + times(2, c.n, E) + c.op_bytes;
      case h::truncate:
        return server ? times(1, c.n, E) : 0;
      default:
        return server || dealer ? times(comparison_factor(c, server), c.n, E) : 0;
    }
  }

 protected:
  /// A comparison's working memory per element, in ring elements, at a server or at the third player.
  virtual double comparison_factor(const hook_call& c, bool server) const = 0;
};

}  // namespace detail

template <class R>
class pond_model final : public detail::two_server_model<pond_costs<R>> {
  using C = pond_costs<R>;

 public:
  std::string protocol() const override { return ring_traits<R>::bits == 64 ? "pond" : "pond128"; }
  std::vector<std::string> players() const override { return {"server0", "server1", "crypto-producer"}; }
  traffic sign(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::sign(n, width), who), who == 0, false);
  }
  traffic zero(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::zero(n, width), who), who == 0, false);
  }

 protected:
  /// pond/bits.hpp's bit tests: the dealt bits and their prefix products, per element.
  double comparison_factor(const hook_call& c, bool server) const override {
    static constexpr detail::width_row sign_rows[] = {
        {8, {2.24, 2.24, 2.13}},  {16, {2.49, 2.49, 2.25}}, {24, {2.74, 2.74, 2.38}},
        {32, {3.71, 3.71, 2.5}},  {40, {4.71, 4.71, 2.63}}, {48, {5.71, 5.71, 2.75}},
        {56, {6.71, 6.71, 2.88}}, {63, {7.68, 7.68, 2.99}}, {64, {7.71, 7.71, 3}}};
    static constexpr detail::width_row zero_rows[] = {
        {8, {2.13, 2.13, 2.13}},  {16, {2.26, 2.26, 2.25}}, {24, {2.38, 2.38, 2.38}},
        {32, {2.51, 2.51, 2.5}},  {40, {2.63, 2.63, 2.63}}, {48, {3.01, 3.01, 2.75}},
        {56, {3.51, 3.51, 2.88}}, {63, {3.9, 3.9, 2.99}},   {64, {4.01, 4.01, 3}}};
    return detail::by_width(c.kind == hook_call::hook::zero ? zero_rows : sign_rows, c.width, server ? 0 : 2);
  }
};

template <class R>
class securenn_model final : public detail::two_server_model<securenn_costs<R>> {
  using C = securenn_costs<R>;

 public:
  std::string protocol() const override { return ring_traits<R>::bits == 64 ? "securenn" : "securenn128"; }
  std::vector<std::string> players() const override { return {"server0", "server1", "helper"}; }
  /// DReLU: servers open with a send, the helper with a receive and closes with a send.
  traffic sign(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::sign(n, width), who), who < 2, who == 2);
  }
  /// [x = 0]: DReLU over (x, −x), then one product (the helper's c_1 last).
  traffic zero(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::zero(n, width), who), who < 2, who == 2);
  }

 protected:
  /// securenn/: the masked DReLU's ring tensors (r_0, r_1, the opening, R, the dealt B, the result;
  /// its Z_p tensors of k − 1 bytes per value are worked a block at a time), at every width.
  double comparison_factor(const hook_call& c, bool server) const override {
    if (c.kind == hook_call::hook::zero) return server ? 13 : 12;
    return server ? 5 : 6;
  }
};

template <class R>
class aby3_model final : public cost_model {
  using C = aby3_costs<R>;

 public:
  std::string protocol() const override { return ring_traits<R>::bits == 64 ? "aby3" : "aby3_128"; }
  std::vector<std::string> players() const override { return {"server0", "server1", "server2"}; }
  bool fused_truncation() const override { return true; }
  std::size_t share_parts() const override { return 2; }
  bool holds_shares(std::size_t who) const override { return who < 3; }
  std::size_t mask_tensors() const override { return 0; }
  traffic setup(std::size_t players, std::size_t who) const override {
    return traffic_of(C::setup(players, who), true, true);
  }
  traffic input(std::uint64_t n, std::size_t owner, std::size_t players, std::size_t who) const override {
    const auto c =
        detail::minus(C::input(n, 0, owner, players, who), costs::public_shape(0, C::E, owner, players, who));
    return traffic_of(c, true, true);
  }
  traffic reveal(std::uint64_t n, std::size_t receiver, std::size_t who) const override {
    return traffic_of(C::reveal(n, receiver, who), true, true);
  }
  traffic reveal_all(std::uint64_t n, std::size_t players, std::size_t who) const override {
    return traffic_of(C::reveal_all(n, players, who), true, false);
  }
  traffic mask(std::uint64_t, std::size_t) const override { return {}; }
  traffic product(std::uint64_t, std::uint64_t, std::uint64_t zn, bool, bool, std::size_t who) const override {
    return traffic_of(detail::part(C::bilinear(zn), who), true, false);
  }
  traffic product_truncated(std::uint64_t zn, std::size_t who, const fixed_point_config& fp,
                            std::uint64_t exact_calls) const override {
    if (fp.truncation == truncation_mode::exact) {
      // Servers 0 and 2 of the call's roles end with a send (their shares of ū·v), server 1 with
      // receives (aby3/truncation.hpp); the roles rotate by exact_calls mod 3.
      const bool closes_with_send = (who + 3 - exact_calls % 3) % 3 != 1;
      return traffic_of(detail::part(C::exact_bilinear_truncated(zn, fp.frac_bits, exact_calls), who), true,
                        closes_with_send);
    }
    return traffic_of(detail::part(C::bilinear_truncated(zn), who), true, false);
  }
  traffic truncate(std::uint64_t n, std::size_t who, const fixed_point_config& fp,
                   std::uint64_t exact_calls) const override {
    if (fp.truncation == truncation_mode::exact)
      return traffic_of(detail::part(C::exact_truncation(n, fp.frac_bits, exact_calls), who), true, false);
    return traffic_of(detail::part(C::truncation(n), who), true, true);
  }
  /// Server 0 deals (only sends); server 1 opens with a send, server 2 with a receive.
  traffic sign(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::sign(n, width), who), who < 2, false);
  }
  traffic zero(std::uint64_t n, unsigned width, std::size_t who) const override {
    return traffic_of(detail::part(C::zero(n, width), who), who < 2, false);
  }
  /// Two parts per value; a product's local terms and its reshared parts; the bit tests' boolean
  /// sharings (aby3/boolean.hpp), largest at server 2, which receives the dealt bits.
  std::uint64_t working_bytes(const hook_call& c, std::size_t who) const override {
    using h = hook_call::hook;
    constexpr std::size_t E = sizeof(R);
    const bool server = who < 3;
    if (const double f = detail::io_factor(c, who, server, 2, 3); f >= 0) return detail::times(f, c.n, E);
    if (!server) return 0;
    switch (c.kind) {
      case h::mask:
        return 0;
      case h::product:
      case h::product_truncated:
        // aby3/arithmetic.hpp's local_product: the smaller operand's x_i + x_{i+1} (or y_i + y_{i+1})
        // and two terms; elementwise, one fused pass (the exact truncation's role-1 server,
        // truncation.hpp, keeps no more)
        if (c.elementwise) {
          const bool role1 = (who + 3 - c.exact_calls % 3) % 3 == 1;
          return detail::times(c.exact && !role1 ? 3 : 2, c.n, E);
        }
        return detail::times(1, c.xn != 0 && c.xn < c.yn ? c.xn : c.yn, E) + detail::times(3, c.n, E) + c.op_bytes;
      case h::truncate:
        return detail::times(2, c.n, E);
      case h::sign: {
        static constexpr detail::width_row rows[] = {{32, {3.02, 3.07, 3.07}}, {40, {3.02, 3.07, 3.57}},
                                                     {48, {3.02, 3.07, 4.32}}, {56, {3.02, 3.43, 5.07}},
                                                     {63, {3.02, 3.71, 5.58}}, {64, {3.02, 3.93, 5.82}}};
        return detail::times(detail::by_width(rows, c.width, who), c.n, E);
      }
      default: {
        static constexpr detail::width_row rows[] = {
            {48, {3.02, 3.07, 3.07}}, {56, {3.02, 3.07, 3.27}}, {63, {3.02, 3.07, 3.71}}, {64, {3.02, 3.07, 3.74}}};
        return detail::times(detail::by_width(rows, c.width, who), c.n, E);
      }
    }
  }
};

/// The cost model of a registered protocol name; config_error for plain (nothing to plan: it has no
/// secrecy) and unknown names.
inline std::unique_ptr<cost_model> make_cost_model(const std::string& name) {
  if (name == "pond") return std::make_unique<pond_model<ring64>>();
  if (name == "pond128") return std::make_unique<pond_model<ring128>>();
  if (name == "securenn") return std::make_unique<securenn_model<ring64>>();
  if (name == "securenn128") return std::make_unique<securenn_model<ring128>>();
  if (name == "aby3") return std::make_unique<aby3_model<ring64>>();
  if (name == "aby3_128") return std::make_unique<aby3_model<ring128>>();
  throw config_error("no cost model for protocol '" + name +
                     "' (the planner covers pond, pond128, securenn, securenn128, aby3, aby3_128)");
}

}  // namespace tfe::plan
