// tfe/protocol/aby3/truncation.hpp: ABY3's exact truncation (truncation_mode::exact), standalone and
// fused with a product; the arithmetic and its proof are in protocol/exact_truncation.hpp.
//
// Both start from a two-piece split x' = x + 2^(ℓ−2) = a + b (mod 2^ℓ) in which servers 0 and 2
// both know a and server 1 knows b:
//   standalone:  a = x_0 + 2^(ℓ−2), b = x_1 + x_2 (no communication);
//   product:     a = z_0 + z_2 + 2^(ℓ−2), b = z_1, from the 3-out-of-3 sharing z of the product after
//                servers 0 and 2 swap z_0 and z_2 (as in the probabilistic fused product).
// The wrap bit w = u ∨ v (u = msb(a), v = msb(b)) reaches servers 0 and 2 masked, through two of
// ABY3's three-party oblivious transfers (Mohassel & Rindal, CCS 2018, §5.4.1: the receiver and a
// helper both know the choice bit u, the sender knows the two messages):
//   server 1 (sender) draws ρ mod 2^f from its private stream and the messages m_c = (c ∨ v) + ρ for
//     c ∈ {0, 1}; it sends server 0 e_c = m_c + μ_c (μ from F_{1,2}) and server 2 e'_c = m_c + μ'_c
//     (μ' from F_{0,1}), and y_1 = ⌈b/2^f⌉ + ρ·2^(ℓ−f) − r to server 0 (r from F_{1,2});
//   server 2 (server 0's helper) sends μ_u to server 0; server 0 (server 2's helper) sends μ'_u to 2;
//   servers 0 and 2 get m_u = w + ρ and set y_0 = ⌊a/2^f⌋ − m_u·2^(ℓ−f) − 2^(ℓ−2−f); y_2 = r.
// y_0 + y_1 + y_2 = ⌊a/2^f⌋ + ⌈b/2^f⌉ − w·2^(ℓ−f) − 2^(ℓ−2−f) = ⌊x/2^f⌋ + {0, 1} for |x| < 2^(ℓ−2).
//
// Security: server 0 sees y_1 (masked by r), e_{1−u} (masked by μ_{1−u}, which it never sees) and
// m_u = w + ρ (masked by ρ, server 1's alone); server 2 symmetrically with μ'; server 1 receives
// nothing. In the product, server 0 also sees z_2 and server 2 z_0, masked by α as in bilinear().
//
// Roles rotate: the k-th exact truncation of a session runs the above with server j + t in the role
// of server j (t = k mod 3, indices mod 3; components likewise), so that the sender's larger share
// of the bytes falls on each server in turn.
//
// Costs per role (n elements, E = ℓ/8, k = value_bytes(f): 2 on the ring64 preset; aby3/costs.hpp):
//   standalone: 1 round; server 0 and 2 send n·k, server 1 n·E + 4n·k (3 messages).
//   product:    2 rounds; servers 0 and 2 send n·E + n·k, server 1 n·E + 4n·k.
// Against the probabilistic product (1 round, n·E each) that is 1 more round and, on ring64 with
// f = 16, 10, 16 and 10 bytes per element instead of 8.
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
  /// α): servers 0 and 2 swap z_0 and z_2 (round 1), then the transfer above (round 2).
  static parts_type truncate_product(session_type& s, ring_tensor<R>&& z, const shape_t& zs) {
    const roles ro = next_roles(s);
    if (ro.logical(s.id()) == 1) return send(s, ro, std::move(z), zs);
    const std::size_t other = ro.physical(ro.logical(s.id()) == 0 ? 2 : 0);
    s.net().send(other, z);
    const ring_tensor<R> theirs = P::recv_checked(s, other, zs);
    R* zp = z.data();
    const R* tp = theirs.data();
    const R off = exact_truncation::offset<R>();
    for (std::size_t i = 0; i < z.size(); ++i) zp[i] = R(zp[i] + tp[i] + off);  // a = z_0 + z_2 + 2^(ℓ−2)
    return receive(s, ro, std::move(z), zs);
  }

 private:
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
