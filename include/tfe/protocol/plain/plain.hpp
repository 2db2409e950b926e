// tfe/protocol/plain/plain.hpp: the plaintext reference protocol, the test oracle of every other one.
//
// plain<R> is the ideal functionality of secure computation run by a trusted party: player 0 holds
// every "private" value in the clear (one part), private inputs are sent to it, outputs are sent from
// it to their receiver only. It uses the same ring, the same fixed-point encoding and the same
// operation sequence as the real protocols, with exact truncation (an arithmetic shift), so a real
// protocol's result differs from plain's only by its own documented approximation errors.
//
// Costs: input: 1 message owner → player 0 (none when player 0 owns it); output: 1 message player 0 →
// receiver; every other op: no communication.
#pragma once

#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"

#include <optional>
#include <string>

namespace tfe {

template <class R>
struct plain : unmasked_products<plain<R>> {
  using ring = R;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<plain>;

  static constexpr std::size_t min_players = 1;
  static std::string name() { return "plain<" + ring_traits<R>::name() + ">"; }
  static std::string roles() { return "player 0 is the trusted party that computes in the clear"; }
  /// No secrecy at all: run_player refuses to run it over TCP unless asked by name
  /// (launch_options::allow_insecure_plain_protocol, --insecure-plain-protocol).
  static constexpr bool insecure_no_secrecy = true;

  /// The players a program needs at least, in role order (tests and examples add input players).
  static std::vector<std::string> default_players() { return {"server0"}; }

  /// plain keeps no per-player state.
  struct state {
    state() = default;
    explicit state(session_type&) {}
  };

  static bool holds_value(const session_type& s) { return s.id() == 0; }

  /// Index of the part that absorbs public constants (player 0's only part), or -1.
  static int public_component(const session_type& s) { return holds_value(s) ? 0 : -1; }

  static parts_type zero_parts(const session_type& s, const shape_t& shape) {
    if (!holds_value(s)) return {};
    return moved_parts(ring_tensor<R>(xt::zeros<R>(shape)));
  }

  static parts_type share_input(session_type& s, std::size_t owner, const ring_tensor<R>* value, const shape_t& shape) {
    if (s.id() == owner && owner == 0) return {*value};
    if (s.id() == owner) {
      s.net().send(0, *value);
      return {};
    }
    if (holds_value(s)) {
      auto v = s.net().template recv<R>(owner);
      TFE_ENFORCE(shape_of(v) == shape, protocol_error, "input from '", s.name_of(owner), "' has shape ",
                  shape_str(shape_of(v)), " but ", shape_str(shape), " was announced");
      return moved_parts(std::move(v));
    }
    return {};
  }

  static std::optional<ring_tensor<R>> reveal(session_type& s, const parts_type& x, const shape_t&,
                                              std::size_t receiver) {
    if (receiver == 0) return holds_value(s) ? std::optional<ring_tensor<R>>(x.at(0)) : std::nullopt;
    if (holds_value(s)) s.net().send(receiver, x.at(0));
    if (s.id() == receiver) return s.net().template recv<R>(0);
    return std::nullopt;
  }

  static ring_tensor<R> reveal_all(session_type& s, const parts_type& x, const shape_t&) {
    if (holds_value(s)) {
      for (std::size_t p = 1; p < s.num_players(); ++p) s.net().send(p, x.at(0));
      return x.at(0);
    }
    return s.net().template recv<R>(0);
  }

  /// A bilinear op (elementwise product, matmul, conv2d) evaluated in the clear. No communication.
  template <class Op>
  static parts_type bilinear(session_type& s, const parts_type& x, const parts_type& y, const shape_t&, const shape_t&,
                             const shape_t&, Op&& op) {
    if (!holds_value(s)) return {};
    return moved_parts(ring_tensor<R>(op(x.at(0), y.at(0))));
  }

  /// Exact truncation: floor(x / 2^f). No communication. Recorded in the session's truncation audit.
  static parts_type truncate(session_type& s, const parts_type& x, const shape_t&) {
    if (!holds_value(s)) return {};
    if (auto* audit = s.truncations()) audit->record(s.net().scope_path(), x.at(0).data(), x.at(0).size());
    return moved_parts(ring_tensor<R>(tfe::truncate(x.at(0), s.fixed_point().frac_bits)));
  }

  /// [x < 0] from the top bit of the low `width` bits (for in-range values the same as the ring's
  /// sign; plain checks that, so a value out of the range shows up as an error in the oracle).
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t&, unsigned width) {
    if (!holds_value(s)) return {};
    using T = ring_traits<R>;
    ring_tensor<R> out(shape_of(x.at(0)));
    for (std::size_t i = 0; i < out.size(); ++i) {
      const R v = x[0].data()[i];
      if (width < T::bits) {
        // In range means the value sign-extends from `width` bits.
        const R ext = T::shr_arith(T::shl(v, T::bits - width), T::bits - width);
        TFE_ENFORCE(ext == v, encoding_error, "comparison input ", T::to_double(v) / s.fixed_point().scale(),
                    " is outside the ", width, "-bit fixed-point range");
      }
      out.data()[i] = T::msb(v) ? T::one() : T::zero();
    }
    return moved_parts(std::move(out));
  }

  /// [x == 0], exact.
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t&, unsigned) {
    if (!holds_value(s)) return {};
    using T = ring_traits<R>;
    ring_tensor<R> out(shape_of(x.at(0)));
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = x[0].data()[i] == T::zero() ? T::one() : T::zero();
    return moved_parts(std::move(out));
  }
};

static_assert(protocol<plain<ring64>> && protocol<plain<ring128>>);

}  // namespace tfe
