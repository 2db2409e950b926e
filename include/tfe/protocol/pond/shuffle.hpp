// tfe/protocol/pond/shuffle.hpp: the shuffle capability (protocol/shuffle.hpp) for Pond's sharing
// (two servers, x = x_0 + x_1, and a third player without shares: Pond's crypto producer, SecureNN's
// helper, here "the dealer" D). Used by pond<R> and securenn<R> (securenn/shuffle.hpp).
//
// Shuffle: three permutations, each unknown to one of the three players, composed:
//   A, π_A from F_{0,D} (server 1 misses it): server 1 sends x_1 + r to D (r from F_{0,1});
//      D sends π_A(x_1 + r) − z to server 0 (z from F_{1,D}); server 0 holds π_A(x_0 − r) + that,
//      server 1 holds z.
//   B, π_B from F_{1,D} (server 0 misses it): the same with the servers' roles swapped (server 0
//      sends y_0 + r' to D, D sends π_B(y_0 + r') − z' to server 1, z' from F_{0,D}).
//   C, π_C from F_{0,1} (D misses it): both servers permute their shares locally.
// Security (one corrupted player): D receives x_1 + r and y_0 + r', masked by F_{0,1}, which it does
// not hold; server 0 receives a value masked by z (F_{1,D}), server 1 one masked by z' (F_{0,D}).
// The composition π_C ∘ π_B ∘ π_A is uniform to each player, as each misses one factor; so the sort's
// level sizes, which D learns to take part in the sign tests (announce_count), are a function of a
// uniform permutation: simulatable from n.
// Cost (n rows of c ring elements, E = ℓ/8 bytes): servers send and receive n·c·E bytes (1 message
// each way), D sends and receives 2·n·c·E bytes (2 messages each way); latency 4 hops.
// reveal_to_servers: the servers exchange their shares (1 round, n·E each); D receives nothing.
// announce_count: server 0 sends the count to D (one ring element).
#pragma once

#include "tfe/protocol/pond/pond.hpp"
#include "tfe/protocol/shuffle.hpp"

#include <xtensor/xnoalias.hpp>

#include <optional>

namespace tfe {

template <class P>
struct two_server_shuffle {
  using R = typename P::ring;
  using parts_type = typename P::parts_type;
  static constexpr std::size_t D = 2;

  static bool participates(const session<P>& s) { return s.id() <= D; }

  static parts_type shuffle_rows(session<P>& s, const parts_type& x, const shape_t& shape) {
    if (!participates(s)) return {};
    auto scope = s.op_scope("pond_shuffle");
    TFE_ENFORCE(!shape.empty(), shape_error, "shuffle of a 0-d tensor: rows are needed");
    const std::size_t me = s.id(), rows = shape[0];
    ring_tensor<R> y = me < D ? x.at(0) : ring_tensor<R>();
    for (std::size_t knower : {0, 1}) {  // step A: server 0 and D know π; step B: server 1 and D
      const std::size_t blind = 1 - knower;
      if (me == blind) {
        ring_tensor<R> masked = s.pair_prg(knower).template uniform<R>(shape);  // r, F_{0,1}
        xt::noalias(masked) += y;
        s.net().send(D, masked);
        y = s.pair_prg(D).template uniform<R>(shape);  // z, F_{blind,D}
      } else if (me == D) {
        const auto perm = shuffle_detail::random_permutation(s.pair_prg(knower), rows);
        ring_tensor<R> out = shuffle_detail::gather_rows(P::recv_checked(s, blind, shape), perm);
        xt::noalias(out) -= s.pair_prg(blind).template uniform<R>(shape);  // z
        s.net().send(knower, out);
      } else {  // the server that knows π
        const auto perm = shuffle_detail::random_permutation(s.pair_prg(D), rows);
        xt::noalias(y) -= s.pair_prg(blind).template uniform<R>(shape);  // r
        y = shuffle_detail::gather_rows(y, perm);
        xt::noalias(y) += P::recv_checked(s, D, shape);
      }
    }
    if (me == D) return {};
    // Step C: π_C from F_{0,1}, local.
    const auto perm = shuffle_detail::random_permutation(s.pair_prg(1 - me), rows);
    return moved_parts(shuffle_detail::gather_rows(y, perm));
  }

  static std::optional<ring_tensor<R>> reveal_to_servers(session<P>& s, const parts_type& x, const shape_t& shape) {
    if (s.id() >= D) return std::nullopt;
    auto scope = s.op_scope("pond_reveal_servers");
    s.net().send(1 - s.id(), x.at(0));
    ring_tensor<R> v = P::recv_checked(s, 1 - s.id(), shape);
    xt::noalias(v) += x.at(0);
    return v;
  }

  static std::size_t announce_count(session<P>& s, std::size_t count) {
    if (s.id() == 0) {
      ring_tensor<R> t = ring_tensor<R>::from_shape({1});
      t(0) = ring_traits<R>::from_uint(count);
      s.net().send(D, t);
    } else if (s.id() == D) {
      const auto t = P::recv_checked(s, 0, shape_t{1});
      return static_cast<std::size_t>(t(0));
    }
    return count;
  }
};

template <class R>
struct shuffle_hooks<pond<R>> : two_server_shuffle<pond<R>> {};

/// The shuffle's cost (see the file comment): players server 0, server 1, the dealer.
template <class R>
struct two_server_shuffle_costs {
  static constexpr costs::op_cost shuffle(std::uint64_t rows, std::uint64_t cols) {
    const std::uint64_t b = rows * cols * (ring_traits<R>::bits / 8);
    return {{{{b, b, 1, 1, 1}, {b, b, 1, 1, 1}, {2 * b, 2 * b, 2, 2, 2}}}, 4};
  }
  /// reveal_to_servers of n values: the servers swap their shares.
  static constexpr costs::op_cost reveal_to_servers(std::uint64_t n) {
    const std::uint64_t b = n * (ring_traits<R>::bits / 8);
    return {{{{b, b, 1, 1, 1}, {b, b, 1, 1, 1}, {}}}, 1};
  }
  /// announce_count: server 0 sends one ring element to the dealer.
  static constexpr costs::op_cost announce_count() {
    const std::uint64_t b = ring_traits<R>::bits / 8;
    return {{{{b, 0, 1, 0, 1}, {}, {0, b, 0, 1, 0}}}, 1};
  }
};

}  // namespace tfe
