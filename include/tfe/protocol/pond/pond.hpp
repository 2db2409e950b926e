// tfe/protocol/pond/pond.hpp: Pond: two servers with 2-out-of-2 additive shares and a crypto producer.
//
// Roles (by position in the player list): player 0 and 1 are the servers, player 2 the crypto
// producer (dealer), every further player an input/output player. Semi-honest, non-colluding
// (Dahl, Mancuso, Dupis, Decoste, Giraud, Livingstone, Patriquin, Uhma: "Private Machine Learning in
// TensorFlow using Secure Computation", 2018, the protocol behind TF Encrypted's Pond).
// A value x is held as x = x0 + x1 mod 2^ℓ, server i holding x_i (one part).
//
// Costs (per player, n = elements; as code, asserted by the tests: pond/costs.hpp, cost_model):
//   input from a non-server owner: owner sends n elements to server1 (server0's share comes from the
//     PRG stream it shares with the owner); from a server: no share traffic at all. In both cases the
//     owner also sends the (public) shape, ndim elements, to every other player (session.hpp).
//   reveal to a server: the other server sends n; to another player: both servers send n, re-randomized
//     with a mask from their pairwise stream (x_0 + r, x_1 − r) so that the crypto producer, which
//     dealt the triples, learns nothing but x.
//   bilinear op z = op(x, y) (elementwise product, matmul, conv2d), Beaver (1991) with seed-compressed
//     triples: server i derives a_i, b_i (server 0 also c_0) from the stream it shares with the crypto
//     producer, which sends only c_1 = op(a, b) − c_0 to server 1 (|z| elements, offline-able).
//     Online: 1 round; each server sends |x| + |y| elements (e = x − a and f = y − b).
//   truncation: SecureML's share-local truncation, 0 rounds (see ring/fixed_point.hpp for its error);
//     with truncation_mode::exact 1 round and small messages (protocol/pond/truncation.hpp).
//   sign bit: see protocol/pond/compare.hpp.
#pragma once

#include "tfe/protocol/pond/compare.hpp"
#include "tfe/protocol/pond/costs.hpp"
#include "tfe/protocol/pond/truncation.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"

#include <optional>
#include <string>
#include <type_traits>

namespace tfe {

template <class R>
struct pond {
  using ring = R;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<pond>;
  // The hooks are templates over the session type S, so that protocols built on Pond's shares
  // (securenn<R> derives from pond<R>) reuse them with their own session<securenn<R>>.

  static constexpr std::size_t min_players = 3;
  static constexpr std::size_t dealer = 2;
  static std::string name() { return "pond<" + ring_traits<R>::name() + ">"; }
  static std::string roles() { return "server0, server1, crypto-producer, then input/output players"; }
  static std::vector<std::string> default_players() { return {"server0", "server1", "crypto-producer"}; }
  using cost_model = pond_costs<R>;  // bytes, messages and rounds per op (pond/costs.hpp)

  struct state {
    state() = default;
    template <class S>
    explicit state(S&) {}
  };

  template <class S>
  static bool is_server(const S& s) {
    return s.id() < 2;
  }
  template <class S>
  static bool is_dealer(const S& s) {
    return s.id() == dealer;
  }
  template <class S>
  static int public_component(const S& s) {
    return s.id() == 0 ? 0 : -1;
  }

  template <class S>
  static parts_type zero_parts(const S& s, const shape_t& shape) {
    if (!is_server(s)) return {};
    return moved_parts(ring_tensor<R>(xt::zeros<R>(shape)));
  }

  /// Sharing an input. A server owner derives the other server's share from their common stream;
  /// any other owner derives server 0's share from its stream with server 0 and sends server 1 the rest.
  template <class S>
  static parts_type share_input(S& s, std::size_t owner, const ring_tensor<R>* value, const shape_t& shape) {
    const std::size_t me = s.id();
    if (owner < 2) {
      const std::size_t other = 1 - owner;
      if (me == owner) {
        auto other_share = s.pair_prg(other).template uniform<R>(shape);
        return moved_parts(ring_tensor<R>(*value - other_share));
      }
      if (me == other) return moved_parts(s.pair_prg(owner).template uniform<R>(shape));
      return {};
    }
    if (me == owner) {
      auto x0 = s.pair_prg(0).template uniform<R>(shape);
      s.net().send(1, ring_tensor<R>(*value - x0));
      return {};
    }
    if (me == 0) return moved_parts(s.pair_prg(owner).template uniform<R>(shape));
    if (me == 1) {
      auto x1 = s.net().template recv<R>(owner);
      TFE_ENFORCE(shape_of(x1) == shape, protocol_error, "input share from '", s.name_of(owner), "' has shape ",
                  shape_str(shape_of(x1)), " but ", shape_str(shape), " was announced");
      return moved_parts(std::move(x1));
    }
    return {};
  }

  /// Reveals x to `receiver`. To a server, the other server sends its share. To any other player
  /// (the crypto producer, SecureNN's helper, an input/output player) the servers first re-randomize:
  /// server 0 sends x_0 + r and server 1 sends x_1 − r, with r fresh from their pairwise stream. The
  /// crypto producer dealt the triple (a_i, b_i, c_i) of the product that made x, so an unmasked x_1
  /// would give it z_1 − c_1 = e·b_1 + f·a_1, a linear relation in the secret operands; masked, each
  /// share it receives is uniform and only their sum, x, is learned. No extra round, no extra bytes.
  template <class S>
  static std::optional<ring_tensor<R>> reveal(S& s, const parts_type& x, const shape_t& shape, std::size_t receiver) {
    const std::size_t me = s.id();
    if (receiver < 2) {
      if (me == 1 - receiver) s.net().send(receiver, x.at(0));
      if (me == receiver) return ring_tensor<R>(x.at(0) + recv_checked(s, 1 - receiver, shape));
      return std::nullopt;
    }
    if (me < 2) s.net().send(receiver, rerandomized_share(s, x, shape));
    if (me == receiver) {
      auto a = recv_checked(s, 0, shape);
      return a + recv_checked(s, 1, shape);  // the sum in the second block
    }
    return std::nullopt;
  }

  /// Every player learns x: the servers exchange their shares, and send the re-randomized pair of
  /// reveal() (one r for all non-server receivers, who all learn the same x) to every other player.
  template <class S>
  static ring_tensor<R> reveal_all(S& s, const parts_type& x, const shape_t& shape) {
    const std::size_t me = s.id();
    if (me < 2) {
      s.net().send(1 - me, x.at(0));
      if (s.num_players() > 2) {
        const ring_tensor<R> masked = rerandomized_share(s, x, shape);
        for (std::size_t p = 2; p < s.num_players(); ++p) s.net().send(p, masked);
      }
      return ring_tensor<R>(x.at(0) + recv_checked(s, 1 - me, shape));
    }
    auto a = recv_checked(s, 0, shape);
    return ring_tensor<R>(a + recv_checked(s, 1, shape));
  }

  /// A server's share re-randomized for a player that is not a server: x_0 + r at server 0, x_1 − r
  /// at server 1, r drawn from the servers' pairwise stream (both draw it, in the same order).
  template <class S>
  static ring_tensor<R> rerandomized_share(S& s, const parts_type& x, const shape_t& shape) {
    const ring_tensor<R> r = s.pair_prg(1 - s.id()).template uniform<R>(shape);
    return s.id() == 0 ? ring_tensor<R>(x.at(0) + r) : ring_tensor<R>(x.at(0) - r);
  }

  /// A masked operand: its Beaver mask a and the opened e = x − a, kept to be reused in many
  /// products (weights multiplied by many batches) without opening x again. Servers keep their share
  /// a_i and e; the crypto producer keeps the whole a.
  struct mask_type {
    ring_tensor<R> a, e;
  };

  /// Opens x − a once: 1 round, |x| elements per server; the crypto producer sends nothing.
  template <class S>
  static mask_type mask(S& s, const parts_type& x, const shape_t& shape) {
    auto scope = s.op_scope("mask");
    const std::size_t me = s.id();
    if (me == dealer) {
      auto a0 = s.pair_prg(0).template uniform<R>(shape);
      auto a1 = s.pair_prg(1).template uniform<R>(shape);
      return {ring_tensor<R>(a0 + a1), {}};  // a struct: its members are moved in
    }
    if (me >= 2) return {};
    auto a = s.pair_prg(dealer).template uniform<R>(shape);
    ring_tensor<R> e_mine = x.at(0) - a;
    s.net().send(1 - me, e_mine);
    ring_tensor<R> e = e_mine + recv_checked(s, 1 - me, shape);
    return {std::move(a), std::move(e)};
  }

  /// Beaver's bilinear product with a seed-compressed triple (a, b, c = op(a, b)):
  ///   servers open e = x − a and f = y − b (1 round, |x| + |y| elements each), then
  ///   z_i = c_i + op(e, b_i) + op(a_i, f) + [i = 0]·op(e, f)
  ///       = c_i + op(e, b_i + [i = 0]·f) + op(a_i, f)     (two local products per server).
  /// The crypto producer sends c_1 = op(a0 + a1, b0 + b1) − c_0 to server 1 (|z| elements).
  /// A masked operand (see mask) brings its own a and e: it is not opened again, so a product with
  /// masked y costs |x| elements per server (and a fresh c from the crypto producer).
  template <class S, class Op>
  static parts_type bilinear(S& s, const parts_type& x, const parts_type& y, const shape_t& xs, const shape_t& ys,
                             const shape_t& zs, Op&& op) {
    return bilinear_masked(s, &x, nullptr, &y, nullptr, xs, ys, zs, op);
  }

  template <class S, class Op>
  static parts_type bilinear_masked(S& s, const parts_type* x, const mask_type* xm, const parts_type* y,
                                    const mask_type* ym, const shape_t& xs, const shape_t& ys, const shape_t& zs,
                                    Op&& op) {
    auto scope = s.op_scope("beaver");
    const std::size_t me = s.id();
    // Sums and differences are formed in place, and a mask's a and e are used where they are.
    if (me == dealer) {
      // Same draw order as the servers: from each stream a (if fresh), b (if fresh), then c0.
      ring_tensor<R> a0, b0, a1, b1;
      if (!xm) a0 = s.pair_prg(0).template uniform<R>(xs);
      if (!ym) b0 = s.pair_prg(0).template uniform<R>(ys);
      auto c0 = s.pair_prg(0).template uniform<R>(zs);
      if (!xm) a1 = s.pair_prg(1).template uniform<R>(xs);
      if (!ym) b1 = s.pair_prg(1).template uniform<R>(ys);
      if (!xm) add_to(a0, a1);  // a = a0 + a1
      if (!ym) add_to(b0, b1);
      ring_tensor<R> c = op(xm ? xm->a : a0, ym ? ym->a : b0);
      sub_from(c, c0);  // c_1 = c − c_0
      s.net().send(1, c);
      return {};
    }
    if (me >= 2) return {};
    ring_tensor<R> a_fresh, b_fresh;
    if (!xm) a_fresh = s.pair_prg(dealer).template uniform<R>(xs);
    if (!ym) b_fresh = s.pair_prg(dealer).template uniform<R>(ys);
    ring_tensor<R> c = me == 0 ? s.pair_prg(dealer).template uniform<R>(zs) : recv_checked(s, dealer, zs);
    const ring_tensor<R>& a = xm ? xm->a : a_fresh;
    const std::size_t other = 1 - me;
    ring_tensor<R> e_open, f_open;  // this server's e_i = x_i − a_i, then e = e_0 + e_1 in place
    if (!xm) {
      e_open = x->at(0) - a;
      s.net().send(other, e_open);
    }
    if (!ym) {
      f_open = y->at(0) - b_fresh;
      s.net().send(other, f_open);
    }
    if (!xm) add_to(e_open, recv_checked(s, other, xs));
    if (!ym) add_to(f_open, recv_checked(s, other, ys));
    const ring_tensor<R>& e = xm ? xm->e : e_open;
    const ring_tensor<R>& f = ym ? ym->e : f_open;
    if constexpr (std::is_same_v<std::decay_t<Op>, ring_ops::elementwise_product>) {
      // z_i = c_i + e·(b_i + [i = 0]·f) + a_i·f in one pass, in c's storage.
      const ring_tensor<R>& b = ym ? ym->a : b_fresh;
      if (xs == zs && ys == zs) {
        ring_tensor<R> z = std::move(c);
        R* zp = z.data();
        const R *ep = e.data(), *ap = a.data(), *bp = b.data(), *fp = f.data();
        if (me == 0) {
          for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] + R(ep[i] * R(bp[i] + fp[i])) + R(ap[i] * fp[i]));
        } else {
          for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] + R(ep[i] * bp[i]) + R(ap[i] * fp[i]));
        }
        return moved_parts(std::move(z));
      }
    }
    // Two local products per server: server 0 folds op(e, f) into op(e, b_0 + f) (bilinearity).
    ring_tensor<R> b;
    if (ym)
      b = ym->a;
    else
      b = std::move(b_fresh);
    if (me == 0) add_to(b, f);
    ring_tensor<R> z = op(e, b);
    add_to(z, op(a, f));
    add_to(z, c);
    return moved_parts(std::move(z));
  }

  /// t −= u, elementwise and in place (same shape).
  static void sub_from(ring_tensor<R>& t, const ring_tensor<R>& u) {
    TFE_ASSERT(t.size() == u.size());
    R* tp = t.data();
    const R* up = u.data();
    for (std::size_t i = 0; i < t.size(); ++i) tp[i] = R(tp[i] - up[i]);
  }

  /// t += u, elementwise and in place (same shape).
  static void add_to(ring_tensor<R>& t, const ring_tensor<R>& u) {
    TFE_ASSERT(t.size() == u.size());
    R* tp = t.data();
    const R* up = u.data();
    for (std::size_t i = 0; i < t.size(); ++i) tp[i] = R(tp[i] + up[i]);
  }

  /// SecureML share-local truncation by f bits: 0 rounds, no communication. With
  /// truncation_mode::exact, the exact truncation of protocol/pond/truncation.hpp (1 round).
  template <class S>
  static parts_type truncate(S& s, const parts_type& x, const shape_t& shape) {
    if (s.fixed_point().truncation == truncation_mode::exact) {
      if constexpr (exact_truncation::supported<R>) {
        return pond_exact_truncation<R>::truncate(s, x, shape);
      } else {
        throw config_error(
            detail::concat("the exact truncation is implemented for ring64 and ring128, not ", ring_traits<R>::name()));
      }
    }
    if (!is_server(s)) return {};
    return moved_parts(truncate_share(x.at(0), s.fixed_point().frac_bits, static_cast<int>(s.id())));
  }

  template <class S>
  static parts_type sign_bit(S& s, const parts_type& x, const shape_t& shape, unsigned width) {
    return pond_compare<typename S::protocol>::sign_bit(s, x, shape, width);
  }
  template <class S>
  static parts_type zero_bit(S& s, const parts_type& x, const shape_t& shape, unsigned width) {
    return pond_compare<typename S::protocol>::zero_bit(s, x, shape, width);
  }

  template <class S>
  static ring_tensor<R> recv_checked(S& s, std::size_t from, const shape_t& shape) {
    auto t = s.net().template recv<R>(from);
    TFE_ENFORCE(shape_of(t) == shape, protocol_error, "expected a tensor of shape ", shape_str(shape), " from '",
                s.name_of(from), "' but got ", shape_str(shape_of(t)));
    return t;
  }
};

static_assert(protocol<pond<ring64>> && protocol<pond<ring128>>);

}  // namespace tfe
