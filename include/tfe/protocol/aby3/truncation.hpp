// tfe/protocol/aby3/truncation.hpp: ABY3's exact truncation (truncation_mode::exact), standalone and
// fused with a product; the arithmetic and its proof are in protocol/exact_truncation.hpp.
//
// Both start from a two-piece split x' = x + 2^(ℓ−2) = a + b (mod 2^ℓ) in which servers 0 and 2
// both know a and server 1 knows b:
//   standalone:  a = x_0 + 2^(ℓ−2), b = x_1 + x_2 (no communication);
//   product:     a = z_0 + z_2 + 2^(ℓ−2), b = z_1, from the 3-out-of-3 sharing z of the product after
//                servers 0 and 2 swap z_0 and z_2 (as in the probabilistic fused product).
// The result is y = ⌊a/2^f⌋ + ⌈b/2^f⌉ − w·2^(ℓ−f) − 2^(ℓ−2−f) = ⌊x/2^f⌋ + {0, 1} for |x| < 2^(ℓ−2),
// with w = u ∨ v (u = msb(a), v = msb(b)); what differs is how w·2^(ℓ−f) gets into the replicated
// sharing (y_0 held by servers 0 and 2, y_1 by 0 and 1, y_2 by 1 and 2). Shares of w are taken mod
// 2^f, which is all w·2^(ℓ−f) needs (mod 2^ℓ), and travel as small values (2 bytes on ring64).
//
// Standalone (1 round): w reaches servers 0 and 2 masked, through two of ABY3's three-party
// oblivious transfers (Mohassel & Rindal, CCS 2018, §5.4.1: the receiver and a helper both know the
// choice bit u, the sender knows the two messages):
//   server 1 (sender) draws ρ mod 2^f from its private stream and the messages m_c = (c ∨ v) + ρ for
//     c ∈ {0, 1}; it sends server 0 e_c = m_c + μ_c (μ from F_{1,2}) and server 2 e'_c = m_c + μ'_c
//     (μ' from F_{0,1}), and y_1 = ⌈b/2^f⌉ + ρ·2^(ℓ−f) − r to server 0 (r from F_{1,2});
//   server 2 (server 0's helper) sends μ_u to server 0; server 0 (server 2's helper) sends μ'_u to 2;
//   servers 0 and 2 get m_u = w + ρ and set y_0 = ⌊a/2^f⌋ − m_u·2^(ℓ−f) − 2^(ℓ−2−f); y_2 = r.
// Security: server 0 sees y_1 (masked by r), e_{1−u} (masked by μ_{1−u}, which it never sees) and
// m_u = w + ρ (masked by ρ, server 1's alone); server 2 symmetrically with μ'; server 1 receives
// nothing.
//
// The product (2 rounds, the swap's and one more): w = u + ū·v, and ū·v is a product of a bit servers
// 0 and 2 know and a bit server 1 knows, so no transfer is needed:
//   round 1: servers 0 and 2 swap z_0, z_2; server 1 sends server 0 ⌈b/2^f⌉ − r and v + m, with r
//     and m from F_{1,2};
//   round 2: server 0 sends server 1 Y_1 = ū·(v + m) + k_1, server 2 sends it Y_2 = k_2 − ū·m, with
//     k_1, k_2 from F_{0,2} (so Y_1 + Y_2 = ū·v + k_1 + k_2);
//   y_0 = ⌊a/2^f⌋ − (u − k_1 − k_2)·2^(ℓ−f) − 2^(ℓ−2−f),  y_1 = ⌈b/2^f⌉ − r − Y_1·2^(ℓ−f),
//   y_2 = r − Y_2·2^(ℓ−f): the three sum to the y above.
// Security: server 0 sees z_2 (masked by α as in bilinear()), ⌈b/2^f⌉ − r and v + m (masked by r
// and m, which it does not hold); server 2 sees z_0; server 1 sees Y_1 and Y_2, masked by k_1 and
// k_2, which it does not hold. tests/test_exact_truncation.cpp checks every received word.
//
// Roles rotate: the k-th exact truncation of a session runs the above with server j + t in the role
// of server j (t = k mod 3, indices mod 3; components likewise), so that the standalone sender's
// larger share of the bytes falls on each server in turn.
//
// Costs per role (n elements, E = ℓ/8, k = value_bytes(f): 2 on the ring64 preset; aby3/costs.hpp):
//   standalone: 1 round; server 0 and 2 send n·k, server 1 n·E + 4n·k (3 messages).
//   product:    2 rounds; every server sends n·E + n·k.
// Against the probabilistic product (1 round, n·E each) that is 1 more round and, on ring64 with
// f = 16, 10 bytes per element and server instead of 8.
#pragma once

#include "tfe/protocol/exact_truncation.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/ring_tensor.hpp"

#include <cstddef>
#include <optional>
#include <utility>

namespace tfe {

template <class P>
struct aby3_exact_truncation {
  using R = typename P::ring;
  using parts_type = typename P::parts_type;
  using session_type = typename P::session_type;
  static_assert(exact_truncation::supported<R>);

  /// This call's roles: server `physical(j)` acts as server j of the file comment.
  struct roles {
    std::size_t t;
    std::size_t physical(std::size_t j) const { return (j + t) % 3; }
    std::size_t logical(std::size_t id) const { return (id + 3 - t) % 3; }
  };
  static roles next_roles(session_type& s) { return {s.state().exact_truncations++ % 3}; }

  /// Standalone exact truncation of a replicated sharing by f bits: 1 round.
  static parts_type truncate(session_type& s, const parts_type& x, const shape_t& shape) {
    const roles ro = next_roles(s);
    const std::size_t n = shape_size(shape);
    switch (ro.logical(s.id())) {
      case 0:
      case 2: {
        // Server 0's x_0 is its part 0, server 2's its part 1 (roles and components rotate together).
        const ring_tensor<R>& x0 = ro.logical(s.id()) == 0 ? x.at(0) : x.at(1);
        auto a = ring_tensor<R>::from_shape(shape);
        R* ap = a.data();
        const R* xp = x0.data();
        const R off = exact_truncation::offset<R>();
        for (std::size_t i = 0; i < n; ++i) ap[i] = R(xp[i] + off);
        return receive(s, ro, std::move(a), shape);
      }
      default: {
        auto b = ring_tensor<R>::from_shape(shape);
        R* bp = b.data();
        const R *x1 = x.at(0).data(), *x2 = x.at(1).data();
        for (std::size_t i = 0; i < n; ++i) bp[i] = R(x1[i] + x2[i]);
        return send(s, ro, std::move(b), shape);
      }
    }
  }

  /// The exact truncation of a product's 3-out-of-3 sharing z (this server's z_i, re-randomized by
  /// α): servers 0 and 2 swap z_0 and z_2 while server 1 sends y_1 and v + m (round 1), then the
  /// reshare of ū·v (round 2); see "The product" in the file comment.
  static parts_type truncate_product(session_type& s, ring_tensor<R>&& z, const shape_t& zs) {
    const roles ro = next_roles(s);
    const unsigned f = s.fixed_point().frac_bits;
    const std::size_t me = ro.logical(s.id()), s0 = ro.physical(0), s1 = ro.physical(1), s2 = ro.physical(2);
    const std::size_t n = z.size();
    if (me == 1) return product_server1(s, s0, s2, std::move(z), zs, f);
    const std::size_t other = me == 0 ? s2 : s0;
    s.net().send(other, z);
    const ring_tensor<R> theirs = P::recv_checked(s, other, zs);
    R* ap = z.data();
    const R* tp = theirs.data();
    const R off = exact_truncation::offset<R>();
    for (std::size_t i = 0; i < n; ++i) ap[i] = R(ap[i] + tp[i] + off);         // a = z_0 + z_2 + 2^(ℓ−2)
    const auto k = exact_truncation::draw_values(s.pair_prg(other), 2 * n, f);  // k_1, k_2 from F_{0,2}
    std::optional<ring_tensor<R>> y2, y1;
    std::optional<exact_truncation::packed_values> masked_v;
    if (me == 2) {
      y2 = s.pair_prg(s1).template uniform<R>(zs);                     // r, drawn as server 1 does
      masked_v = exact_truncation::draw_values(s.pair_prg(s1), n, f);  // m
    } else {
      y1 = P::recv_checked(s, s1, zs);                        // ⌈b/2^f⌉ − r
      masked_v = exact_truncation::recv_values(s, s1, n, f);  // v + m
    }
    exact_truncation::packed_values share(n, f);  // server 0: Y_1 = ū·(v + m) + k_1; server 2: Y_2 = k_2 − ū·m
    const R off_t = exact_truncation::offset_truncated<R>(f);
    R* other_part = me == 2 ? y2->data() : y1->data();
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t u = exact_truncation::msb(ap[i]);
        const std::uint64_t k1 = k.template get<W>(2 * i), k2 = k.template get<W>(2 * i + 1);
        const std::uint64_t mv = u ? 0 : masked_v->template get<W>(i);
        const std::uint64_t y = me == 2 ? k2 - mv : mv + k1;
        share.template set<W>(i, y);
        other_part[i] = R(other_part[i] - exact_truncation::to_top<R>(y, f));
        ap[i] = R(exact_truncation::floor_shift(ap[i], f) - exact_truncation::to_top<R>(u - k1 - k2, f) - off_t);
      }
    });
    exact_truncation::send_values(s, s1, share);
    if (me == 0) return moved_parts(std::move(z), std::move(*y1));  // (y_0, y_1)
    return moved_parts(std::move(*y2), std::move(z));               // (y_2, y_0)
  }

 private:
  /// Server 1 in the product, with b = z_1: sends y_1 − (its wrap part) and v + m, receives Y_1, Y_2.
  static parts_type product_server1(session_type& s, std::size_t s0, std::size_t s2, ring_tensor<R>&& b,
                                    const shape_t& zs, unsigned f) {
    const std::size_t n = b.size();
    auto r = s.pair_prg(s2).template uniform<R>(zs);                      // y_2 before its wrap part, F_{1,2}
    auto masked_v = exact_truncation::draw_values(s.pair_prg(s2), n, f);  // m, F_{1,2}
    R* bp = b.data();
    const R* rp = r.data();
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i) {
        masked_v.template set<W>(i, exact_truncation::msb(bp[i]) + masked_v.template get<W>(i));  // v + m
        bp[i] = R(exact_truncation::ceil_shift(bp[i], f) - rp[i]);
      }
    });
    s.net().send(s0, b);
    exact_truncation::send_values(s, s0, masked_v);
    const auto share_y1 = exact_truncation::recv_values(s, s0, n, f);  // Y_1
    const auto share_y2 = exact_truncation::recv_values(s, s2, n, f);  // Y_2
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      R* r2 = r.data();
      for (std::size_t i = 0; i < n; ++i) {
        bp[i] = R(bp[i] - exact_truncation::to_top<R>(share_y1.template get<W>(i), f));
        r2[i] = R(r2[i] - exact_truncation::to_top<R>(share_y2.template get<W>(i), f));
      }
    });
    return moved_parts(std::move(b), std::move(r));  // (y_1, y_2)
  }

  /// Server 1 with its piece b (overwritten by y_1): sends y_1 and the two transfers' messages.
  static parts_type send(session_type& s, const roles& ro, ring_tensor<R>&& b, const shape_t& shape) {
    const unsigned f = s.fixed_point().frac_bits;
    const std::size_t n = b.size(), s0 = ro.physical(0), s2 = ro.physical(2);
    auto r = s.pair_prg(s2).template uniform<R>(shape);
    const auto mu = exact_truncation::draw_values(s.pair_prg(s2), 2 * n, f);        // to server 0, from F_{1,2}
    const auto mu_prime = exact_truncation::draw_values(s.pair_prg(s0), 2 * n, f);  // to server 2, from F_{0,1}
    const auto rho = exact_truncation::draw_values(s.private_prg(), n, f);
    exact_truncation::packed_values e(2 * n, f), e_prime(2 * n, f);
    R* bp = b.data();
    const R* rp = r.data();
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t v = exact_truncation::msb(bp[i]);
        const std::uint64_t p = rho.template get<W>(i);
        const std::uint64_t m0 = v + p, m1 = 1 + p;  // m_c = (c ∨ v) + ρ
        e.template set<W>(2 * i, m0 + mu.template get<W>(2 * i));
        e.template set<W>(2 * i + 1, m1 + mu.template get<W>(2 * i + 1));
        e_prime.template set<W>(2 * i, m0 + mu_prime.template get<W>(2 * i));
        e_prime.template set<W>(2 * i + 1, m1 + mu_prime.template get<W>(2 * i + 1));
        bp[i] = R(exact_truncation::ceil_shift(bp[i], f) + exact_truncation::to_top<R>(p, f) - rp[i]);  // y_1
      }
    });
    s.net().send(s0, b);
    exact_truncation::send_values(s, s0, e);
    exact_truncation::send_values(s, s2, e_prime);
    return moved_parts(std::move(b), std::move(r));
  }

  /// Server 0 or 2 with the piece a (overwritten by y_0): helps the other receiver, then receives.
  static parts_type receive(session_type& s, const roles& ro, ring_tensor<R>&& a, const shape_t& shape) {
    const unsigned f = s.fixed_point().frac_bits;
    const std::size_t me = ro.logical(s.id()), other = ro.physical(me == 0 ? 2 : 0), s1 = ro.physical(1);
    const std::size_t n = a.size();
    std::optional<ring_tensor<R>> r;  // server 2's y_2, drawn before μ as server 1 draws them
    if (me == 2) r = s.pair_prg(s1).template uniform<R>(shape);
    // Server 2 holds μ (F_{1,2}) for server 0; server 0 holds μ' (F_{0,1}) for server 2.
    const auto masks = exact_truncation::draw_values(s.pair_prg(s1), 2 * n, f);
    exact_truncation::packed_values help(n, f);
    R* ap = a.data();
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i)
        help.template set<W>(i, masks.template get<W>(2 * i + exact_truncation::msb(ap[i])));
    });
    exact_truncation::send_values(s, other, help);
    std::optional<ring_tensor<R>> y1;
    if (me == 0) y1 = P::recv_checked(s, s1, shape);
    const auto e = exact_truncation::recv_values(s, s1, 2 * n, f);
    const auto mask = exact_truncation::recv_values(s, other, n, f);
    const R off = exact_truncation::offset_truncated<R>(f);
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t u = exact_truncation::msb(ap[i]);
        const std::uint64_t m = e.template get<W>(2 * i + u) - mask.template get<W>(i);                // w + ρ
        ap[i] = R(exact_truncation::floor_shift(ap[i], f) - exact_truncation::to_top<R>(m, f) - off);  // y_0
      }
    });
    if (me == 0) return moved_parts(std::move(a), std::move(*y1));
    return moved_parts(std::move(*r), std::move(a));
  }
};

}  // namespace tfe
