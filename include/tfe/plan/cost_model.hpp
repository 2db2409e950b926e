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
//     message is a send (its dealt shares); the full-ring DReLU's server 0 only sends.
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

#include <algorithm>
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
  void add(const std::vector<traffic>& hook, kind k) {
    std::uint64_t h = 0;
    double b = 0;
    for (const auto& t : hook) {
      h = std::max(h, t.rounds);
      b = std::max(b, static_cast<double>(t.bytes_sent + t.bytes_received) / 2);
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

/// What one hook sends and receives at player `who` (protocol players first, in role order).
class cost_model {
 public:
  virtual ~cost_model() = default;
  /// The registry name (tfe::with_protocol) and the protocol's own players.
  virtual std::string protocol() const = 0;
  virtual std::vector<std::string> players() const = 0;
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
};

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
    const auto c = costs::then(C::sign(2 * n, width), C::mul(n), {width >= C::ell, false, true});
    return traffic_of(detail::part(c, who), who < 2, who == 2);
  }
};

template <class R>
class aby3_model final : public cost_model {
  using C = aby3_costs<R>;

 public:
  std::string protocol() const override { return ring_traits<R>::bits == 64 ? "aby3" : "aby3_128"; }
  std::vector<std::string> players() const override { return {"server0", "server1", "server2"}; }
  bool fused_truncation() const override { return true; }
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
