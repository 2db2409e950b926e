// tfe/protocol/aby3/conversions.hpp: conversions between ABY3's arithmetic and boolean sharings, in
// tfe::aby3_ops (ABY3 §5.3, §5.4). ℓ = ring bits, n = elements, costs per server.
//
//   add(a, b)          boolean a + b mod 2^ℓ, Kogge–Stone parallel-prefix adder:
//                        g = a ∧ b, p = a ⊕ b (1 AND round), then for d = 1, 2, 4, …, ℓ/2:
//                        G ← G ⊕ P ∧ (G ≪ d), P ← P ∧ (P ≪ d) (both ANDs in one round; the last
//                        level needs no P), and a + b = p ⊕ (G ≪ 1).
//                        1 + log2 ℓ rounds; (1 + 2·(log2 ℓ − 1) + 1) words per element per server
//                        (ring64: 13 words = 104 bytes).
//   a2b(x)             arithmetic → boolean. Server 0 knows v = x_0 + x_1 and inputs it as boolean
//                        shares (share_bits, one word to server 2), w = x_2 is a boolean sharing for
//                        free (component 2 = x_2), then add(v, w).
//                        log2 ℓ + 2 rounds; server 0 sends one word more than add().
//   b2a(b)             boolean → arithmetic. The output's components 1 and 2 are ρ_1 from F_{0,1}
//                        and ρ_2 from F_{1,2}; server 1 knows σ = −(ρ_1 + ρ_2) and inputs it as
//                        boolean (one word to server 0); d = add(b, σ) = x − ρ_1 − ρ_2 is opened to
//                        servers 0 and 2 only (they swap their missing components), and becomes
//                        component 0. Server 1 never sees d; servers 0 and 2 see d masked by the ρ
//                        they miss. At most log2 ℓ + 3 rounds (measured: 9 on ring64, 9 on
//                        ring128, whose last adder level ends on the opening servers' side);
//                        add() + one word per element (server 1's
//                        input, servers 0 and 2's exchange).
//   bit_to_arith(b)    the low bit of every word → arithmetic 0/1: the XOR sharing is 2-out-of-2
//                        between servers 1 (b_1 ⊕ b_2) and 2 (b_0) for free, then compare.hpp's
//                        dealt bit-to-arithmetic step: 2 rounds; server 0 sends n·ℓ/8 bytes,
//                        servers 1 and 2 ⌈n/64⌉·8 + n·ℓ/8 bytes.
//   bit_inject(b, x)   x · (low bit of b) as arithmetic shares: bit_to_arith then one product
//                        (aby3::bilinear): 3 rounds, bit_to_arith + n ring elements per server.
//   msb(x)             the sign bit of every element as a boolean 0/1 word: a2b then a shift
//                        (the protocol's sign_bit hook is the cheaper route to ARITHMETIC sign bits).
#pragma once

#include "tfe/protocol/aby3/boolean.hpp"
#include "tfe/protocol/aby3/compare.hpp"
#include "tfe/ring/tensor_ops.hpp"

namespace tfe::aby3_ops {

/// Boolean a + b mod 2^ℓ (Kogge–Stone, see the file comment).
template <class R>
boolean_tensor<R> add(const boolean_tensor<R>& a, const boolean_tensor<R>& b) {
  constexpr unsigned L = ring_traits<R>::bits;
  detail::check_same(a, b, "add");
  auto scope = a.sess().op_scope("aby3_bool_add");
  const boolean_tensor<R> p = a ^ b;
  boolean_tensor<R> G = a & b, Pr = p;
  for (unsigned d = 1; d < L; d *= 2) {
    if (2 * d < L) {
      auto r = and_batch<R>({{Pr, shl(G, d)}, {Pr, shl(Pr, d)}});
      G = G ^ r[0];
      Pr = std::move(r[1]);
    } else {
      G = G ^ (Pr & shl(G, d));
    }
  }
  return p ^ shl(G, 1);
}

/// Arithmetic → boolean (see the file comment): log2 ℓ + 2 rounds.
template <class R>
boolean_tensor<R> a2b(const private_tensor<aby3<R>>& x) {
  using P = aby3<R>;
  auto& s = x.sess();
  auto scope = s.op_scope("aby3_a2b");
  const std::size_t me = s.id();
  std::optional<ring_tensor<R>> v;
  if (me == 0) v.emplace(x.parts().at(0) + x.parts().at(1));
  boolean_tensor<R> vb = share_bits(s, 0, v ? &*v : nullptr, x.shape());
  std::vector<ring_tensor<R>> wparts;
  if (me < P::num_servers) {
    ring_tensor<R> zero = xt::zeros<R>(x.shape());
    if (me == 0) wparts = {zero, zero};
    if (me == 1) wparts = {zero, x.parts().at(1)};
    if (me == 2) wparts = {x.parts().at(0), zero};
  }
  return add(vb, boolean_tensor<R>(s, x.shape(), std::move(wparts)));
}

/// Boolean → arithmetic (see the file comment): at most log2 ℓ + 3 rounds.
template <class R>
private_tensor<aby3<R>> b2a(const boolean_tensor<R>& b) {
  using P = aby3<R>;
  auto& s = b.sess();
  auto scope = s.op_scope("aby3_b2a");
  const std::size_t me = s.id();
  const shape_t& shape = b.shape();
  ring_tensor<R> rho1, rho2;
  if (me == 0 || me == 1) rho1 = s.pair_prg(me == 0 ? 1 : 0).template uniform<R>(shape);
  if (me == 1 || me == 2) rho2 = s.pair_prg(me == 1 ? 2 : 1).template uniform<R>(shape);
  std::optional<ring_tensor<R>> sigma;
  if (me == 1) sigma.emplace(ring_ops::neg(ring_tensor<R>(rho1 + rho2)));
  boolean_tensor<R> sb = share_bits(s, 1, sigma ? &*sigma : nullptr, shape);
  boolean_tensor<R> d = add(b, sb);
  // Open d to servers 0 and 2: server 0 misses component 2 (server 2's part 0), server 2 misses
  // component 1 (server 0's part 1).
  std::vector<ring_tensor<R>> parts;
  if (me == 0) {
    s.net().send(2, d.parts().at(1));
    ring_tensor<R> y0 = detail::bxor(detail::bxor(d.parts().at(0), d.parts().at(1)), P::recv_checked(s, 2, shape));
    parts = moved_parts(std::move(y0), std::move(rho1));
  } else if (me == 2) {
    s.net().send(0, d.parts().at(0));
    ring_tensor<R> y0 = detail::bxor(detail::bxor(d.parts().at(0), d.parts().at(1)), P::recv_checked(s, 0, shape));
    parts = moved_parts(std::move(rho2), std::move(y0));
  } else if (me == 1) {
    parts = moved_parts(std::move(rho1), std::move(rho2));
  }
  return private_tensor<P>(s, shape, std::move(parts));
}

/// The low bit of every word → arithmetic shares of the integer 0/1 (2 rounds, see the file comment).
template <class R>
private_tensor<aby3<R>> bit_to_arith(const boolean_tensor<R>& b) {
  using P = aby3<R>;
  auto& s = b.sess();
  auto scope = s.op_scope("aby3_bit_to_arith");
  const std::size_t me = s.id(), n = b.size();
  aby3_detail::rows mine;
  if (me == 1 || me == 2) {
    // 2-out-of-2 between servers 1 and 2: server 1 holds b_1 ⊕ b_2 (both its parts), server 2 b_0 (its part 1).
    const R* b0 = b.parts().at(0).data();
    const R* b1 = b.parts().at(1).data();
    mine = me == 1 ? bitslice::pack(n, [b0, b1](std::size_t j) { return static_cast<unsigned>(R(b0[j] ^ b1[j]) & 1u); })
                   : bitslice::pack(n, [b1](std::size_t j) { return static_cast<unsigned>(b1[j] & 1u); });
  }
  return private_tensor<P>(s, b.shape(), aby3_compare<P>::bits_to_arith(s, mine, b.shape()));
}

/// x · (low bit of b), arithmetic (ABY3's bit injection): bit_to_arith then one product. 3 rounds.
template <class R>
private_tensor<aby3<R>> bit_inject(const boolean_tensor<R>& b, const private_tensor<aby3<R>>& x) {
  using P = aby3<R>;
  TFE_ENFORCE(b.shape() == x.shape(), shape_error, "bit_inject: shapes ", shape_str(b.shape()), " and ",
              shape_str(x.shape()), " differ");
  auto& s = x.sess();
  auto scope = s.op_scope("aby3_bit_inject");
  auto a = bit_to_arith(b);
  auto z = P::bilinear(s, a.parts(), x.parts(), x.shape(), x.shape(), x.shape(),
                       [](const ring_tensor<R>& u, const ring_tensor<R>& v) { return ring_tensor<R>(u * v); });
  return private_tensor<P>(s, x.shape(), std::move(z));
}

/// The sign bit (bit ℓ−1) of every element as a boolean 0/1 word: a2b and a shift.
template <class R>
boolean_tensor<R> msb(const private_tensor<aby3<R>>& x) {
  return shr(a2b(x), ring_traits<R>::bits - 1);
}

}  // namespace tfe::aby3_ops
