// tfe/protocol/aby3/arithmetic.hpp: ABY3's replicated arithmetic sharing: roles, setup, inputs,
// reveals, products (with the truncation fused into the product's round) and truncation.
//
// ABY3 (Mohassel & Rindal, "ABY3: A Mixed Protocol Framework for Machine Learning", CCS 2018),
// semi-honest, honest majority (at most one of the three servers corrupted), no dealer.
// Roles by position: players 0, 1, 2 are the servers, every further player an input/output player.
// Indices of servers are mod 3: next(i) = i + 1, prev(i) = i − 1.
//
// A value x ∈ Z_2^ℓ is x = x_0 + x_1 + x_2; server i holds the pair (x_i, x_{i+1}) as its parts
// (part 0 = x_i, part 1 = x_{i+1}). Component c is held by servers c − 1 and c; every single server
// misses exactly one component. Every part is an additive piece, so the linear and structural ops of
// tfe/ops/ work part by part; a public constant is absorbed by component 0 (server 0's part 0 and
// server 2's part 1: public_component()).
//
// Randomness (all AES-CTR, tfe::prg): the pair streams F_{i,j} (session.pair_prg), and two kinds of
// streams set up once per session by `state` (tag "setup"):
//   servers:        shared by the three servers only (server 0 sends a fresh seed to 1 and 2);
//   key01[o], key20[o]: for every input player o, shared by o and servers {0, 1} resp. {2, 0}
//                   (o draws the seeds from its pair stream with server 0 and sends one to server 1,
//                   the other to server 2: 2 messages of 16 bytes per input player).
// α_i = F_{i,i+1} − F_{i−1,i} is a 3-out-of-3 sharing of zero that costs no communication
// (α_0 + α_1 + α_2 = 0): it re-randomizes every product before it is reshared.
//
// Costs per server (n = elements, E = ℓ/8 bytes; "rounds" = latency in message hops; as code, asserted
// by tests/test_aby3_costs.cpp: aby3/costs.hpp, aby3<R>::cost_model):
//   input, owner = server o:   o sends n·E to server o+2; 1 round. (x_{o+1} from F_{o,o+1}, x_{o+2}
//                              from the servers' stream, x_o = x − x_{o+1} − x_{o+2} sent to o+2.)
//   input, owner an input player: the owner sends n·E to server 1 and n·E to server 2 (2 messages),
//                              1 round; server 0 receives nothing (its components come from the
//                              owner's 3-party streams). 2 messages is the minimum: a single
//                              receiving server would leave the other two holding all three
//                              components of something independent of x.
//   reveal to server j:        server j+1 sends x_{j+2} (n·E); 1 round.
//   reveal to an input player: server 0 sends x_0 + x_1 + r, server 2 sends x_2 − r (r from F_{0,2}),
//                              n·E each; the receiver learns x only.
//   reveal_all:                every server sends its part 0 to the next (n·E), and servers 0 and 2
//                              send the masked pair above to every input player.
//   bilinear z = op(x, y):     1 round, |z|·E per server (see bilinear).
//   bilinear_truncated:        1 round, |z|·E per server (see bilinear_truncated).
//   truncate:                  1 round, server 1 sends n·E, the others nothing.
//   with truncation_mode::exact (protocol/aby3/truncation.hpp): bilinear_truncated 2 rounds, truncate
//                              1 round, and small values mod 2^f besides (never the large error).
//   sign_bit / zero_bit:       protocol/aby3/compare.hpp.
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/protocol/aby3/compare.hpp"
#include "tfe/protocol/aby3/costs.hpp"
#include "tfe/protocol/aby3/truncation.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace tfe {

template <class R>
struct aby3 : unmasked_products<aby3<R>> {
  using typename unmasked_products<aby3<R>>::mask_type;
  static_assert(std::is_same_v<R, ring64> || std::is_same_v<R, ring128>, "aby3 is implemented for ring64 and ring128");

  using ring = R;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<aby3>;

  static constexpr std::size_t min_players = 3;
  static constexpr std::size_t num_servers = 3;
  static std::string name() { return "aby3<" + ring_traits<R>::name() + ">"; }
  static std::string roles() { return "server0, server1, server2, then input/output players"; }
  static std::vector<std::string> default_players() { return {"server0", "server1", "server2"}; }
  using cost_model = aby3_costs<R>;  // bytes, messages, rounds and latency per op (aby3/costs.hpp)

  static constexpr std::size_t next(std::size_t i) { return (i + 1) % 3; }
  static constexpr std::size_t prev(std::size_t i) { return (i + 2) % 3; }
  static bool is_server(const session_type& s) { return s.id() < num_servers; }

  /// Streams set up once per session (see the file comment). Cost: server 0 sends 16 bytes to
  /// servers 1 and 2; every input player sends 16 bytes to servers 1 and 2.
  struct state {
    std::optional<prg> servers;                    // the three servers' common stream
    std::vector<std::optional<prg>> key01, key20;  // per input player o: (o, server0, server1), (o, server2, server0)
    /// Exact truncations so far: the k-th gives the sender's role to server (k + 1) mod 3 (truncation.hpp).
    std::size_t exact_truncations = 0;

    state() = default;
    explicit state(session_type& s) {
      auto scope = s.op_scope("setup");
      const std::size_t me = s.id(), n = s.num_players();
      key01.resize(n);
      key20.resize(n);
      if (me == 0) {
        seed_t seed = s.private_prg().next_seed();
        wipe_on_exit wipe(seed);
        s.send_seed(1, seed);
        s.send_seed(2, seed);
        servers.emplace(seed);
      } else if (me < num_servers) {
        seed_t seed{};
        wipe_on_exit wipe(seed);
        s.recv_seed(0, seed);
        servers.emplace(seed);
      }
      for (std::size_t o = num_servers; o < n; ++o) {
        if (me == o) {
          seed_t a = s.pair_prg(0).next_seed(), b = s.pair_prg(0).next_seed();
          wipe_on_exit wipe(a, b);
          s.send_seed(1, a);
          s.send_seed(2, b);
          key01[o].emplace(a);
          key20[o].emplace(b);
        } else if (me == 0) {  // the same two seeds from the stream shared with o: fork() draws and wipes each
          key01[o].emplace(s.pair_prg(o).fork());
          key20[o].emplace(s.pair_prg(o).fork());
        } else if (me == 1 || me == 2) {
          seed_t seed{};
          wipe_on_exit wipe(seed);
          s.recv_seed(o, seed);
          (me == 1 ? key01 : key20)[o].emplace(seed);
        }
      }
    }
  };

  /// Component 0 absorbs public constants: server 0's part 0 and server 2's part 1.
  static int public_component(const session_type& s) { return s.id() == 0 ? 0 : s.id() == 2 ? 1 : -1; }

  /// The trivial sharing (0, 0, 0). No communication.
  static parts_type zero_parts(const session_type& s, const shape_t& shape) {
    if (!is_server(s)) return {};
    return moved_parts(ring_tensor<R>(xt::zeros<R>(shape)), ring_tensor<R>(xt::zeros<R>(shape)));
  }

  /// z += α_i = F_{i,i+1} − F_{i−1,i}: this server's term of a 3-out-of-3 sharing of zero. No
  /// communication. Every call draws one tensor of z's shape from each of the server's two pair
  /// streams (next, then previous), through one scratch tensor.
  static void add_zero_share(session_type& s, ring_tensor<R>& z) {
    const std::size_t me = s.id(), n = z.size();
    ring_tensor<R> f = s.pair_prg(next(me)).template uniform<R>(shape_of(z));
    R* zp = z.data();
    for (std::size_t i = 0; i < n; ++i) zp[i] = R(zp[i] + f.data()[i]);
    s.pair_prg(prev(me)).fill(f);
    for (std::size_t i = 0; i < n; ++i) zp[i] = R(zp[i] - f.data()[i]);
  }

  /// Shares a value of `owner` (see the costs in the file comment).
  static parts_type share_input(session_type& s, std::size_t owner, const ring_tensor<R>* value, const shape_t& shape) {
    auto scope = s.op_scope("aby3_input");
    const std::size_t me = s.id();
    if (owner < num_servers) {
      if (!is_server(s)) return {};
      const std::size_t o1 = next(owner), o2 = prev(owner);
      ring_tensor<R> g = s.state().servers->template uniform<R>(shape);  // x_{o+2}, all three servers draw it
      if (me == owner) {
        auto x1 = s.pair_prg(o1).template uniform<R>(shape);
        ring_tensor<R> x0 = *value - x1 - g;
        s.net().send(o2, x0);
        return moved_parts(std::move(x0), std::move(x1));
      }
      if (me == o1) return moved_parts(s.pair_prg(owner).template uniform<R>(shape), std::move(g));
      return moved_parts(std::move(g), recv_checked(s, owner, shape));
    }
    // An input player: component 1 from key01[owner], component 0 from key20[owner], component 2 sent.
    if (me == owner) {
      auto c1 = s.state().key01[owner]->template uniform<R>(shape);
      auto c0 = s.state().key20[owner]->template uniform<R>(shape);
      ring_tensor<R> c2 = *value - c0 - c1;
      s.net().send(1, c2);
      s.net().send(2, c2);
      return {};
    }
    if (me == 0) {
      auto c1 = s.state().key01[owner]->template uniform<R>(shape);
      auto c0 = s.state().key20[owner]->template uniform<R>(shape);
      return moved_parts(std::move(c0), std::move(c1));
    }
    if (me == 1) {
      auto c1 = s.state().key01[owner]->template uniform<R>(shape);
      return moved_parts(std::move(c1), recv_checked(s, owner, shape));
    }
    if (me == 2) {
      auto c2 = recv_checked(s, owner, shape);
      return moved_parts(std::move(c2), s.state().key20[owner]->template uniform<R>(shape));
    }
    return {};
  }

  /// Reveals x to `receiver` only. A server gets its missing component from the next server; an
  /// input player gets x_0 + x_1 + r from server 0 and x_2 − r from server 2 (r from F_{0,2}), so it
  /// learns nothing but x.
  static std::optional<ring_tensor<R>> reveal(session_type& s, const parts_type& x, const shape_t& shape,
                                              std::size_t receiver) {
    const std::size_t me = s.id();
    if (receiver < num_servers) {
      if (me == next(receiver)) s.net().send(receiver, x.at(1));
      if (me == receiver) return ring_tensor<R>(x.at(0) + x.at(1) + recv_checked(s, next(receiver), shape));
      return std::nullopt;
    }
    send_masked_pair(s, x, shape, receiver);
    if (me == receiver) {
      auto a = recv_checked(s, 0, shape);
      return ring_tensor<R>(a + recv_checked(s, 2, shape));
    }
    return std::nullopt;
  }

  /// Reveals x to every player: each server sends its part 0 to the next server (which misses it);
  /// every input player receives the masked pair of reveal().
  static ring_tensor<R> reveal_all(session_type& s, const parts_type& x, const shape_t& shape) {
    const std::size_t me = s.id();
    if (is_server(s)) s.net().send(next(me), x.at(0));
    for (std::size_t p = num_servers; p < s.num_players(); ++p) send_masked_pair(s, x, shape, p);
    if (is_server(s)) return ring_tensor<R>(x.at(0) + x.at(1) + recv_checked(s, prev(me), shape));
    auto a = recv_checked(s, 0, shape);
    return ring_tensor<R>(a + recv_checked(s, 2, shape));
  }

  /// ABY3's product of replicated sharings for any bilinear op (elementwise, matmul, conv2d):
  ///   z_i = op(x_i, y_i + y_{i+1}) + op(x_{i+1}, y_i) + α_i     (local: 2 ops instead of 3)
  /// so that z_0 + z_1 + z_2 = Σ_{a,b} op(x_a, y_b) = op(x, y), a 3-out-of-3 sharing re-randomized by
  /// α; server i sends z_i to server i−1 and then holds (z_i, z_{i+1}).
  /// Cost: 1 round, |z| ring elements sent and received per server. No truncation.
  template <class Op>
  static parts_type bilinear(session_type& s, const parts_type& x, const parts_type& y, const shape_t&, const shape_t&,
                             const shape_t& zs, Op&& op) {
    auto scope = s.op_scope("aby3_mul");
    if (!is_server(s)) return {};
    const std::size_t me = s.id();
    ring_tensor<R> z = local_product(s, x, y, zs, op);
    s.net().send(prev(me), z);
    return moved_parts(std::move(z), recv_checked(s, next(me), zs));
  }

  /// The fixed-point product op(x, y) / 2^f in ONE round (ABY3 §5.1.1, Π_trunc1 fused with the
  /// product's resharing). From the 3-out-of-3 sharing z = z_0 + z_1 + z_2 of bilinear():
  ///   a = z_0 + z_2, b = z_1 is a 2-out-of-2 sharing of z in which servers 0 and 2 BOTH know a
  ///   (they swap z_0 and z_2) and server 1 knows b, uniform thanks to α_1. SecureML's local
  ///   truncation of the pair (see ring/fixed_point.hpp) gives a' = a >> f, b' = −((−b) >> f),
  ///   a' + b' = ⌊z / 2^f⌋ + {0, 1}. The new sharing is
  ///     y_0 = a'            (servers 2 and 0 compute it)
  ///     y_1 = b' − r        (server 1 computes it and sends it to server 0)
  ///     y_2 = r             (r from F_{1,2}: servers 1 and 2)
  /// Messages (all in the same round): server 0 → 2: z_0; server 2 → 0: z_2; server 1 → 0: y_1.
  /// Cost: 1 round, |z| ring elements sent per server (server 0 receives 2|z|, server 2 |z|).
  /// Security: server 0 sees z_2 (masked by F_{1,2} in α_2) and y_1 (masked by r); server 2 sees z_0
  /// (masked by F_{0,1} in α_0); server 1 receives nothing.
  /// Error: ⌊z/2^f⌋ or one more, i.e. within (−2^-f, 2^-f] of z/2^f, except with probability
  /// < 2^(b+1−ℓ) when |z| < 2^b, when the result is off by ≈ ±2^(ℓ−f) (the shares a, b overflow as
  /// signed integers). For a result in the fixed-point range b = int_bits + 2f: < 2^-16 per element on
  /// the ring64 preset, < 2^-32 on ring128 (measured in tests/test_aby3_truncation.cpp).
  template <class Op>
  static parts_type bilinear_truncated(session_type& s, const parts_type* x, const mask_type*, const parts_type* y,
                                       const mask_type*, const shape_t&, const shape_t&, const shape_t& zs, Op&& op) {
    auto scope = s.op_scope("aby3_mul_trunc");
    if (!is_server(s)) return {};
    const unsigned f = s.fixed_point().frac_bits;
    // Every step works in z's storage (a = z becomes y_0, y_1 or y_2 in place).
    ring_tensor<R> z = local_product(s, *x, *y, zs, op);
    if (s.fixed_point().truncation == truncation_mode::exact)
      return aby3_exact_truncation<aby3>::truncate_product(s, std::move(z), zs);
    switch (s.id()) {
      case 0: {
        s.net().send(2, z);
        add_in_place(z, recv_checked(s, 2, zs));  // a = z_0 + z_2
        truncate_share_in_place(z, f, 0);         // y_0 = a >> f
        return moved_parts(std::move(z), recv_checked(s, 1, zs));
      }
      case 1: {
        auto r = s.pair_prg(2).template uniform<R>(zs);
        truncate_share_in_place(z, f, 1);
        sub_in_place(z, r);  // y_1 = b' − r
        s.net().send(0, z);
        return moved_parts(std::move(z), std::move(r));
      }
      default: {
        s.net().send(0, z);
        add_in_place(z, recv_checked(s, 0, zs));  // a = z_2 + z_0
        auto r = s.pair_prg(1).template uniform<R>(zs);
        truncate_share_in_place(z, f, 0);
        return moved_parts(std::move(r), std::move(z));
      }
    }
  }

  /// Truncation of a replicated sharing by f bits (ABY3 Π_trunc1 on 2-out-of-3 shares): with ρ from
  /// the servers' stream, a = x_0 + ρ (known to servers 0 and 2, uniform) and b = x_1 + x_2 − ρ
  /// (server 1) are a 2-out-of-2 sharing of x; then y_0 = a >> f, y_1 = −((−b) >> f) − r sent by
  /// server 1 to server 0, y_2 = r from F_{1,2}.
  /// Cost: 1 round; server 1 sends n ring elements, servers 0 and 2 send nothing. Error as for
  /// bilinear_truncated (|x| < 2^b: floor or one more, failure probability < 2^(b+1−ℓ)).
  static parts_type truncate(session_type& s, const parts_type& x, const shape_t& shape) {
    auto scope = s.op_scope("aby3_trunc");
    if (!is_server(s)) return {};
    if (s.fixed_point().truncation == truncation_mode::exact) return aby3_exact_truncation<aby3>::truncate(s, x, shape);
    const unsigned f = s.fixed_point().frac_bits;
    // Every step works in ρ's storage.
    ring_tensor<R> rho = s.state().servers->template uniform<R>(shape);
    R* p = rho.data();
    const std::size_t n = rho.size();
    switch (s.id()) {
      case 0: {
        const R* x0 = x.at(0).data();
        for (std::size_t i = 0; i < n; ++i) p[i] = R(x0[i] + p[i]);  // a = x_0 + ρ
        truncate_share_in_place(rho, f, 0);
        return moved_parts(std::move(rho), recv_checked(s, 1, shape));
      }
      case 1: {
        const R *x1 = x.at(0).data(), *x2 = x.at(1).data();
        for (std::size_t i = 0; i < n; ++i) p[i] = R(R(x1[i] + x2[i]) - p[i]);  // b = x_1 + x_2 − ρ
        auto r = s.pair_prg(2).template uniform<R>(shape);
        truncate_share_in_place(rho, f, 1);
        sub_in_place(rho, r);  // y_1 = b' − r
        s.net().send(0, rho);
        return moved_parts(std::move(rho), std::move(r));
      }
      default: {
        const R* x0 = x.at(1).data();
        for (std::size_t i = 0; i < n; ++i) p[i] = R(x0[i] + p[i]);  // a = x_0 + ρ (server 2's x_0)
        auto r = s.pair_prg(1).template uniform<R>(shape);
        truncate_share_in_place(rho, f, 0);
        return moved_parts(std::move(r), std::move(rho));
      }
    }
  }

  /// Shares of [x < 0] as integers 0/1 for x in the width-bit range (protocol/aby3/compare.hpp).
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    return aby3_compare<aby3>::sign_bit(s, x, shape, width);
  }
  /// Shares of [x == 0] as integers 0/1 for x in the width-bit range (protocol/aby3/compare.hpp).
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    return aby3_compare<aby3>::zero_bit(s, x, shape, width);
  }

  static ring_tensor<R> recv_checked(session_type& s, std::size_t from, const shape_t& shape) {
    auto t = s.net().template recv<R>(from);
    TFE_ENFORCE(shape_of(t) == shape, protocol_error, "expected a tensor of shape ", shape_str(shape), " from '",
                s.name_of(from), "' but got ", shape_str(shape_of(t)));
    return t;
  }

 private:
  /// z += t, elementwise, in z's storage (shapes checked by the callers: t is a received z of z's shape).
  static void add_in_place(ring_tensor<R>& z, const ring_tensor<R>& t) {
    R* zp = z.data();
    const R* tp = t.data();
    for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] + tp[i]);
  }
  static void sub_in_place(ring_tensor<R>& z, const ring_tensor<R>& t) {
    R* zp = z.data();
    const R* tp = t.data();
    for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] - tp[i]);
  }

  /// z_i = x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i + α_i, as op(x_i, y_i + y_{i+1}) + op(x_{i+1}, y_i), or
  /// as op(x_i + x_{i+1}, y_i) + op(x_i, y_{i+1}) when x is the smaller operand (the same ring
  /// elements: op is bilinear): a layer's weights are summed only when they are smaller than its
  /// input (a 784×128 Gemm on a batch of 40 rows adds 31,360 elements, not 100,352, and allocates
  /// that much less). The elementwise product of equal shapes is one fused pass (no temporaries);
  /// any other op runs as two products and a sum.
  template <class Op>
  static ring_tensor<R> local_product(session_type& s, const parts_type& x, const parts_type& y, const shape_t& zs,
                                      Op& op) {
    if constexpr (std::is_same_v<std::decay_t<Op>, ring_ops::elementwise_product>) {
      const auto same = [&](const ring_tensor<R>& t) { return shape_of(t) == zs; };
      if (same(x.at(0)) && same(x.at(1)) && same(y.at(0)) && same(y.at(1))) {
        ring_tensor<R> z = ring_tensor<R>::from_shape(zs);
        R* zp = z.data();
        const R *x0 = x[0].data(), *x1 = x[1].data(), *y0 = y[0].data(), *y1 = y[1].data();
        for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(R(x0[i] * R(y0[i] + y1[i])) + R(x1[i] * y0[i]));
        add_zero_share(s, z);
        return z;
      }
    }
    ring_tensor<R> z, z2;
    if (x.at(0).size() < y.at(0).size()) {
      const ring_tensor<R> xsum = x.at(0) + x.at(1);
      z = op(xsum, y.at(0));
      z2 = op(x.at(0), y.at(1));
    } else {
      const ring_tensor<R> ysum = y.at(0) + y.at(1);
      z = op(x.at(0), ysum);
      z2 = op(x.at(1), y.at(0));
    }
    for (const ring_tensor<R>* t : {&z, &z2})
      TFE_ENFORCE(shape_of(*t) == zs, protocol_error, "product of shape ", shape_str(shape_of(*t)), " where ",
                  shape_str(zs), " was expected");
    R* zp = z.data();
    for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] + z2.data()[i]);  // in place (z += z2 would allocate)
    add_zero_share(s, z);
    return z;
  }

  /// Servers 0 and 2 send x_0 + x_1 + r and x_2 − r to an input player (r from F_{0,2}).
  static void send_masked_pair(session_type& s, const parts_type& x, const shape_t& shape, std::size_t receiver) {
    if (s.id() == 0) {
      auto r = s.pair_prg(2).template uniform<R>(shape);
      s.net().send(receiver, ring_tensor<R>(x.at(0) + x.at(1) + r));
    } else if (s.id() == 2) {
      auto r = s.pair_prg(0).template uniform<R>(shape);
      s.net().send(receiver, ring_tensor<R>(x.at(0) - r));
    }
  }
};

}  // namespace tfe
