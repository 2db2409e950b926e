// tfe/protocol/aby3/boolean.hpp: ABY3's XOR-replicated boolean sharing of ring words, in tfe::aby3_ops.
//
// A boolean_tensor<R> holds words x ∈ {0,1}^ℓ (ℓ = ring bits, one word per element) as
// x = b_0 ⊕ b_1 ⊕ b_2, server i holding (b_i, b_{i+1}) — the arithmetic layout of aby3.hpp with XOR
// instead of +. Every bit of a word is an independent bit of the circuit, so one word op is ℓ gates.
//
// API (all players call every function, eagerly; non-servers hold no parts):
//   share_bits(s, owner, value*, shape)    an owner's words as shares (costs as aby3::share_input)
//   public_bits(s, value)                  a public value as the trivial sharing (b_0 = value)
//   reveal_bits(x, receiver), reveal_bits_all(x)        (costs as aby3::reveal / reveal_all)
//   x ^ y, xor_public(x, v), ~x, and_public(x, v), shl(x, n), shr(x, n)   local, no communication
//                                          (named functions for public operands: an operator taking
//                                          an xt::xarray would lose to xtensor's own operators)
//   x & y                                  AND: 1 round, ℓ bits (one word) per element per server
//   x | y = x ⊕ y ⊕ (x ∧ y)                one AND
//   and_batch({{x1, y1}, {x2, y2}, ...})   several ANDs in one round (one message per server)
// Conversions (a2b, b2a, bit injection, msb, the boolean adder) are in conversions.hpp.
//
// AND (ABY3 §3.2 over GF(2)): z_i = (x_i ∧ y_i) ⊕ (x_i ∧ y_{i+1}) ⊕ (x_{i+1} ∧ y_i) ⊕ β_i with
// β_i = G_{i,i+1} ⊕ G_{i−1,i} from the pair streams (a 3-out-of-3 XOR sharing of zero), so
// z_0 ⊕ z_1 ⊕ z_2 = x ∧ y; server i sends z_i to server i−1. Cost: 1 round, |x| words per server.
#pragma once

#include "tfe/protocol/aby3/arithmetic.hpp"
#include "tfe/ring/tensor_ops.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace tfe::aby3_ops {

template <class R>
class boolean_tensor {
 public:
  using protocol = aby3<R>;
  using session_type = session<aby3<R>>;
  using parts_type = std::vector<ring_tensor<R>>;

  boolean_tensor() = default;
  boolean_tensor(session_type& s, shape_t shape, parts_type parts)
      : m_session(&s), m_shape(std::move(shape)), m_parts(std::move(parts)) {}

  session_type& sess() const {
    TFE_ENFORCE(m_session != nullptr, protocol_error, "use of an empty boolean_tensor");
    return *m_session;
  }
  const shape_t& shape() const { return m_shape; }
  std::size_t size() const { return shape_size(m_shape); }
  /// This player's two XOR components (b_i, b_{i+1}); empty at non-servers.
  const parts_type& parts() const { return m_parts; }

 private:
  session_type* m_session = nullptr;
  shape_t m_shape;
  parts_type m_parts;
};

namespace detail {

template <class R, class F>
ring_tensor<R> zip(const ring_tensor<R>& a, const ring_tensor<R>& b, F f) {
  ring_tensor<R> out = ring_tensor<R>::from_shape(a.shape());
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) out.data()[i] = f(a.data()[i], b.data()[i]);
  return out;
}

template <class R, class F>
ring_tensor<R> map(const ring_tensor<R>& a, F f) {
  ring_tensor<R> out = ring_tensor<R>::from_shape(a.shape());
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) out.data()[i] = f(a.data()[i]);
  return out;
}

template <class R>
ring_tensor<R> bxor(const ring_tensor<R>& a, const ring_tensor<R>& b) {
  return zip(a, b, [](R x, R y) { return R(x ^ y); });
}

template <class R>
void check_same(const boolean_tensor<R>& a, const boolean_tensor<R>& b, const char* op) {
  TFE_ENFORCE(&a.sess() == &b.sess(), protocol_error, op, ": tensors belong to different sessions");
  TFE_ENFORCE(a.shape() == b.shape(), shape_error, op, ": shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
              " differ");
}

/// A public operand broadcast to `shape` (numpy rules; the result must have `shape`).
template <class R>
ring_tensor<R> public_operand(const ring_tensor<R>& v, const shape_t& shape, const char* op) {
  const shape_t out = tfe::detail::broadcast_shapes(shape, shape_of(v), op);
  TFE_ENFORCE(out == shape, shape_error, op, ": public operand of shape ", shape_str(shape_of(v)),
              " does not broadcast to ", shape_str(shape));
  return shape_of(v) == shape ? v : ::tfe::detail::ring_broadcast_to(v, shape);
}

template <class R, class F>
boolean_tensor<R> map_parts(const boolean_tensor<R>& x, F f) {
  std::vector<ring_tensor<R>> out;
  for (const auto& p : x.parts()) out.push_back(f(p));
  return boolean_tensor<R>(x.sess(), x.shape(), std::move(out));
}

}  // namespace detail

// ---- sharing and revealing ---------------------------------------------------------------------

/// Shares `owner`'s words (value at the owner only; the shape is public). A server o sends
/// x ⊕ F_{o,o+1} ⊕ G (G from the servers' stream) to server o+2; an input player sends the third
/// component to servers 1 and 2. Cost as aby3::share_input: 1 round, n words from the owner (2n
/// from an input player).
template <class R>
boolean_tensor<R> share_bits(session<aby3<R>>& s, std::size_t owner, const ring_tensor<R>* value,
                             const shape_t& shape) {
  using P = aby3<R>;
  auto scope = s.op_scope("aby3_share_bits");
  TFE_ENFORCE(owner < s.num_players(), protocol_error, "share_bits: unknown player index ", owner);
  TFE_ENFORCE(s.id() != owner || (value != nullptr && shape_of(*value) == shape), shape_error,
              "share_bits: the owner's value does not have the announced shape ", shape_str(shape));
  const std::size_t me = s.id();
  std::vector<ring_tensor<R>> parts;
  if (owner < P::num_servers) {
    if (me < P::num_servers) {
      ring_tensor<R> g = s.state().servers->template uniform<R>(shape);
      if (me == owner) {
        auto x1 = s.pair_prg(P::next(owner)).template uniform<R>(shape);
        ring_tensor<R> x0 = detail::bxor(detail::bxor(*value, x1), g);
        s.net().send(P::prev(owner), x0);
        parts = moved_parts(std::move(x0), std::move(x1));
      } else if (me == P::next(owner)) {
        parts = moved_parts(s.pair_prg(owner).template uniform<R>(shape), std::move(g));
      } else {
        parts = moved_parts(std::move(g), P::recv_checked(s, owner, shape));
      }
    }
  } else if (me == owner) {
    auto c1 = s.state().key01[owner]->template uniform<R>(shape);
    auto c0 = s.state().key20[owner]->template uniform<R>(shape);
    ring_tensor<R> c2 = detail::bxor(detail::bxor(*value, c0), c1);
    s.net().send(1, c2);
    s.net().send(2, c2);
  } else if (me == 0) {
    auto c1 = s.state().key01[owner]->template uniform<R>(shape);
    auto c0 = s.state().key20[owner]->template uniform<R>(shape);
    parts = moved_parts(std::move(c0), std::move(c1));
  } else if (me == 1) {
    auto c1 = s.state().key01[owner]->template uniform<R>(shape);
    parts = moved_parts(std::move(c1), P::recv_checked(s, owner, shape));
  } else if (me == 2) {
    auto c2 = P::recv_checked(s, owner, shape);
    parts = moved_parts(std::move(c2), s.state().key20[owner]->template uniform<R>(shape));
  }
  return boolean_tensor<R>(s, shape, std::move(parts));
}

/// A public value as the trivial sharing b_0 = value, b_1 = b_2 = 0. No communication.
template <class R>
boolean_tensor<R> public_bits(session<aby3<R>>& s, const ring_tensor<R>& value) {
  const shape_t shape = shape_of(value);
  ring_tensor<R> zero = xt::zeros<R>(shape);
  std::vector<ring_tensor<R>> parts;
  if (s.id() == 0) parts = {value, zero};
  if (s.id() == 1) parts = {zero, zero};
  if (s.id() == 2) parts = {zero, value};
  return boolean_tensor<R>(s, shape, std::move(parts));
}

/// Reveals the words to `receiver` only (a server gets its missing component from the next server;
/// an input player gets b_0 ⊕ b_1 ⊕ r from server 0 and b_2 ⊕ r from server 2, r from F_{0,2}).
template <class R>
std::optional<ring_tensor<R>> reveal_bits(const boolean_tensor<R>& x, std::size_t receiver) {
  using P = aby3<R>;
  auto& s = x.sess();
  auto scope = s.op_scope("aby3_reveal_bits");
  const std::size_t me = s.id();
  TFE_ENFORCE(receiver < s.num_players(), protocol_error, "reveal_bits: unknown player index ", receiver);
  if (receiver < P::num_servers) {
    if (me == P::next(receiver)) s.net().send(receiver, x.parts().at(1));
    if (me == receiver)
      return detail::bxor(detail::bxor(x.parts().at(0), x.parts().at(1)),
                          P::recv_checked(s, P::next(receiver), x.shape()));
    return std::nullopt;
  }
  if (me == 0) {
    auto r = s.pair_prg(2).template uniform<R>(x.shape());
    s.net().send(receiver, detail::bxor(detail::bxor(x.parts().at(0), x.parts().at(1)), r));
  } else if (me == 2) {
    auto r = s.pair_prg(0).template uniform<R>(x.shape());
    s.net().send(receiver, detail::bxor(x.parts().at(0), r));
  }
  if (me == receiver) {
    auto a = P::recv_checked(s, 0, x.shape());
    return detail::bxor(a, P::recv_checked(s, 2, x.shape()));
  }
  return std::nullopt;
}

/// Reveals the words to every player (each server sends its part 0 to the next; input players get
/// the masked pair of reveal_bits).
template <class R>
ring_tensor<R> reveal_bits_all(const boolean_tensor<R>& x) {
  using P = aby3<R>;
  auto& s = x.sess();
  auto scope = s.op_scope("aby3_reveal_bits");
  const std::size_t me = s.id();
  if (me < P::num_servers) s.net().send(P::next(me), x.parts().at(0));
  for (std::size_t p = P::num_servers; p < s.num_players(); ++p) {
    if (me == 0) {
      auto r = s.pair_prg(2).template uniform<R>(x.shape());
      s.net().send(p, detail::bxor(detail::bxor(x.parts().at(0), x.parts().at(1)), r));
    } else if (me == 2) {
      auto r = s.pair_prg(0).template uniform<R>(x.shape());
      s.net().send(p, detail::bxor(x.parts().at(0), r));
    }
  }
  if (me < P::num_servers)
    return detail::bxor(detail::bxor(x.parts().at(0), x.parts().at(1)), P::recv_checked(s, P::prev(me), x.shape()));
  auto a = P::recv_checked(s, 0, x.shape());
  return detail::bxor(a, P::recv_checked(s, 2, x.shape()));
}

// ---- local operations ------------------------------------------------------------------------------

template <class R>
boolean_tensor<R> operator^(const boolean_tensor<R>& a, const boolean_tensor<R>& b) {
  detail::check_same(a, b, "xor");
  std::vector<ring_tensor<R>> out;
  for (std::size_t i = 0; i < a.parts().size(); ++i) out.push_back(detail::bxor(a.parts()[i], b.parts()[i]));
  return boolean_tensor<R>(a.sess(), a.shape(), std::move(out));
}

/// XOR with a public value: only component 0 changes (server 0's part 0, server 2's part 1).
template <class R>
boolean_tensor<R> xor_public(const boolean_tensor<R>& a, const ring_tensor<R>& v) {
  const ring_tensor<R> pv = detail::public_operand(v, a.shape(), "xor");
  const int k = aby3<R>::public_component(a.sess());
  std::vector<ring_tensor<R>> out = a.parts();
  if (k >= 0) out[static_cast<std::size_t>(k)] = detail::bxor(out[static_cast<std::size_t>(k)], pv);
  return boolean_tensor<R>(a.sess(), a.shape(), std::move(out));
}

/// Bitwise NOT: XOR with all ones.
template <class R>
boolean_tensor<R> operator~(const boolean_tensor<R>& a) {
  ring_tensor<R> ones(shape_t{});
  ones() = R(~R(0));
  return xor_public(a, ones);
}

/// AND with a public mask: every component masked (linear over GF(2)).
template <class R>
boolean_tensor<R> and_public(const boolean_tensor<R>& a, const ring_tensor<R>& v) {
  const ring_tensor<R> pv = detail::public_operand(v, a.shape(), "and");
  return detail::map_parts(
      a, [&](const ring_tensor<R>& p) { return detail::zip(p, pv, [](R x, R y) { return R(x & y); }); });
}

/// Logical shifts of every word (zeros shifted in); n ≥ ℓ gives 0.
template <class R>
boolean_tensor<R> shl(const boolean_tensor<R>& a, unsigned n) {
  return detail::map_parts(a, [n](const ring_tensor<R>& p) { return ring_ops::shl(p, n); });
}
template <class R>
boolean_tensor<R> shr(const boolean_tensor<R>& a, unsigned n) {
  return detail::map_parts(a, [n](const ring_tensor<R>& p) { return ring_ops::shr_logical(p, n); });
}

// ---- AND ------------------------------------------------------------------------------------------

/// Several ANDs in one round: the pairs are flattened into one message per server.
/// Cost: 1 round, Σ|x_j| words sent and received per server.
template <class R>
std::vector<boolean_tensor<R>> and_batch(const std::vector<std::pair<boolean_tensor<R>, boolean_tensor<R>>>& pairs) {
  using P = aby3<R>;
  TFE_ENFORCE(!pairs.empty(), shape_error, "and_batch: no operands");
  auto& s = pairs.front().first.sess();
  std::size_t total = 0;
  for (const auto& [x, y] : pairs) {
    detail::check_same(x, y, "and");
    TFE_ENFORCE(&x.sess() == &s, protocol_error, "and: tensors belong to different sessions");
    total += x.size();
  }
  auto scope = s.op_scope("aby3_and");
  std::vector<boolean_tensor<R>> out;
  if (s.id() >= P::num_servers) {
    for (const auto& pr : pairs) out.emplace_back(s, pr.first.shape(), std::vector<ring_tensor<R>>{});
    return out;
  }
  const std::size_t me = s.id();
  const shape_t flat{total};
  ring_tensor<R> z = xt::zeros<R>(flat);
  std::size_t off = 0;
  for (const auto& [x, y] : pairs) {
    const R *x0 = x.parts()[0].data(), *x1 = x.parts()[1].data(), *y0 = y.parts()[0].data(), *y1 = y.parts()[1].data();
    for (std::size_t i = 0; i < x.size(); ++i)
      z.data()[off + i] = R((x0[i] & y0[i]) ^ (x0[i] & y1[i]) ^ (x1[i] & y0[i]));
    off += x.size();
  }
  auto g_next = s.pair_prg(P::next(me)).template uniform<R>(flat);
  auto g_prev = s.pair_prg(P::prev(me)).template uniform<R>(flat);
  for (std::size_t i = 0; i < total; ++i) z.data()[i] ^= R(g_next.data()[i] ^ g_prev.data()[i]);
  s.net().send(P::prev(me), z);
  ring_tensor<R> z_next = P::recv_checked(s, P::next(me), flat);
  off = 0;
  for (const auto& [x, y] : pairs) {
    ring_tensor<R> a = ring_tensor<R>::from_shape(x.shape()), b = ring_tensor<R>::from_shape(x.shape());
    std::copy(z.data() + off, z.data() + off + x.size(), a.data());
    std::copy(z_next.data() + off, z_next.data() + off + x.size(), b.data());
    off += x.size();
    out.emplace_back(s, x.shape(), moved_parts(std::move(a), std::move(b)));
  }
  return out;
}

/// x ∧ y: 1 round, one word per element per server.
template <class R>
boolean_tensor<R> operator&(const boolean_tensor<R>& a, const boolean_tensor<R>& b) {
  return and_batch<R>({{a, b}}).front();
}

/// x ∨ y = x ⊕ y ⊕ (x ∧ y): one AND.
template <class R>
boolean_tensor<R> operator|(const boolean_tensor<R>& a, const boolean_tensor<R>& b) {
  return a ^ b ^ (a & b);
}

}  // namespace tfe::aby3_ops
