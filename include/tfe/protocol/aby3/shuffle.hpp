// tfe/protocol/aby3/shuffle.hpp: ABY3's oblivious shuffle of rows (three reshares, each under a
// permutation known to two servers) and the opening of a value to the three servers only.
//
// Shuffle (the replicated-sharing shuffle of e.g. Asharov et al., "Efficient Secure Three-Party
// Sorting with Applications to Data Analysis and Heavy Hitters", CCS 2022, §4): x = x_0 + x_1 + x_2,
// server i holds (x_i, x_{i+1}). Step t = 0, 1, 2 uses the pair a = t, b = t + 1 and the third server
// c = t + 2 (indices mod 3); a and b draw a uniformly random permutation π_t from their pair stream
// F_{a,b}, which c never sees. The new sharing y of π_t(x):
//   y_a from F_{c,a} (servers c and a), y_c from F_{b,c} (servers b and c): c's two components are
//   stream output, independent of x;
//   server a sends u_a = π(x_a + x_{a+1}) − y_a to b, server b sends u_b = π(x_{a+2}) − y_c to a,
//   and both set y_b = u_a + u_b, so y_a + y_b + y_c = π(x).
//   New parts: a (y_a, y_b), b (y_b, y_c), c (y_c, y_a), as the replicated layout requires.
// Security (one corrupted server): b receives u_a, masked by y_a (F_{c,a}, unknown to b); a receives
// u_b, masked by y_c (F_{b,c}, unknown to a); c receives nothing. The output permutation
// π_2 ∘ π_1 ∘ π_0 is uniform to every server, since each misses one of the three (π_{t} with t + 2 = it).
// Cost (n rows of c ring elements, E = ℓ/8 bytes): every server is a or b in two of the three steps
// and sends n·c·E bytes in each: 2 messages and 2·n·c·E bytes sent and received per server, 2 rounds
// as net/statistics.hpp counts them, latency 3 hops (the steps are sequential). As code below:
// aby3_shuffle_costs.
//
// reveal_to_servers: every server sends its part 0 to the next server (which misses that component);
// no input player receives anything. 1 round, n·E bytes sent and received per server.
#pragma once

#include "tfe/protocol/aby3/arithmetic.hpp"
#include "tfe/protocol/aby3/costs.hpp"
#include "tfe/protocol/shuffle.hpp"

#include <xtensor/xnoalias.hpp>

#include <optional>
#include <vector>

namespace tfe {

template <class R>
struct shuffle_hooks<aby3<R>> {
  using P = aby3<R>;
  using parts_type = typename P::parts_type;
  using session_type = session<P>;

  /// The rows of x (axis 0) under a permutation no single server knows (see the file comment).
  static parts_type shuffle_rows(session_type& s, const parts_type& x, const shape_t& shape) {
    if (!P::is_server(s)) return {};
    auto scope = s.op_scope("aby3_shuffle");
    TFE_ENFORCE(!shape.empty(), shape_error, "shuffle of a 0-d tensor: rows are needed");
    const std::size_t me = s.id(), rows = shape[0];
    parts_type cur = x;
    for (std::size_t t = 0; t < 3; ++t) {
      const std::size_t a = t, b = P::next(a), c = P::prev(a);
      if (me == c) {
        ring_tensor<R> yc = s.pair_prg(b).template uniform<R>(shape);  // F_{b,c}
        ring_tensor<R> ya = s.pair_prg(a).template uniform<R>(shape);  // F_{c,a}
        cur = moved_parts(std::move(yc), std::move(ya));
        continue;
      }
      const std::size_t other = me == a ? b : a;
      const auto perm = shuffle_detail::random_permutation(s.pair_prg(other), rows);  // F_{a,b}
      // a: u_a = π(x_a + x_{a+1}) − y_a, y_a from F_{c,a}; b: u_b = π(x_{a+2}) − y_c, y_c from F_{b,c}.
      ring_tensor<R> u = me == a ? shuffle_detail::gather_rows(ring_tensor<R>(cur.at(0) + cur.at(1)), perm)
                                 : shuffle_detail::gather_rows(cur.at(1), perm);
      ring_tensor<R> fresh = s.pair_prg(c).template uniform<R>(shape);
      xt::noalias(u) -= fresh;
      s.net().send(other, u);
      ring_tensor<R> theirs = P::recv_checked(s, other, shape);
      xt::noalias(u) += theirs;  // y_b = u_a + u_b
      cur = me == a ? moved_parts(std::move(fresh), std::move(u)) : moved_parts(std::move(u), std::move(fresh));
    }
    return cur;
  }

  static bool participates(const session_type& s) { return P::is_server(s); }
  /// Every server holds shares: nothing to announce.
  static std::size_t announce_count(session_type&, std::size_t count) { return count; }

  /// x opened to the three servers only (nullopt at every other player).
  static std::optional<ring_tensor<R>> reveal_to_servers(session_type& s, const parts_type& x, const shape_t& shape) {
    if (!P::is_server(s)) return std::nullopt;
    auto scope = s.op_scope("aby3_reveal_servers");
    s.net().send(P::next(s.id()), x.at(0));
    ring_tensor<R> v = P::recv_checked(s, P::prev(s.id()), shape);
    xt::noalias(v) += x.at(0);
    xt::noalias(v) += x.at(1);
    return v;
  }
};

/// The costs of the hooks above, per server (see the file comment).
template <class R>
struct aby3_shuffle_costs {
  using base = aby3_costs<R>;
  /// shuffle_rows of `rows` rows of `cols` ring elements.
  static constexpr costs::op_cost shuffle(std::uint64_t rows, std::uint64_t cols) {
    const std::uint64_t b = 2 * rows * cols * base::E;
    const costs::player_cost p{b, b, 2, 2, 2};
    return {{{p, p, p}}, 3};
  }
  /// reveal_to_servers of n values.
  static constexpr costs::op_cost reveal_to_servers(std::uint64_t n) {
    const costs::player_cost p{n * base::E, n * base::E, 1, 1, 1};
    return {{{p, p, p}}, 1};
  }
};

}  // namespace tfe
