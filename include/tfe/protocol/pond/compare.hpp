// tfe/protocol/pond/compare.hpp: Pond's exact sign and zero tests with the crypto producer's help.
//
// Idea (dealer-assisted bit decomposition, in the spirit of Damgård et al. "Unconditionally secure
// constant-rounds MPC for equality, comparison, bits and exponentiation", TCC 2006, with a dealer):
// the crypto producer deals a random r as arithmetic shares and as XOR-shared bits of its low k bits.
// The servers open c = x + r (uniform, so it reveals nothing). For x in the k-bit range,
// x mod 2^k = (c − r) mod 2^k, and its top bit is the sign. The servers compute that bit with a
// subtraction circuit in which c is public: d = c + ~r + 1, generate g_i = c_i ∧ ¬r_i and propagate
// p_i = c_i ⊕ ¬r_i are local, and the carry into bit k−1 is a tree of (G, P) combinations
//   (G_hi, P_hi) ∘ (G_lo, P_lo) = (G_hi ⊕ P_hi∧G_lo, P_hi∧P_lo),
// ⌈log2(k−1)⌉ levels of AND gates on Beaver bit-triples (dealt with seed compression like the
// arithmetic triples). Finally the XOR-shared bit becomes an arithmetic share with a dealt random bit t
// held both ways: open u = b ⊕ t, then [b] = u + [t] − 2u[t].
// Bits are bit-sliced (tfe/ring/bitslice.hpp): row i holds bit i of every element, 64 elements per
// word, so one AND "gate" instruction serves 64 values and the opened bits are sent densely; c and r
// are sliced 512 elements at a time by a bit-matrix transpose, and the generate/propagate rows are
// formed from the slices while in cache. The carry and AND trees are bitslice::carry_tree / and_tree
// (shared with ABY3); a level's ANDs are Beaver ANDs (bitslice::beaver_open / beaver_close): the
// servers open e = x ⊕ a and f = y ⊕ b and take e∧y_i ⊕ a_i∧f ⊕ c_i as their shares of x∧y.
// Draw order per AND gate (the dealer mirrors each server): server 0 draws (a, b, c) from its stream
// with the crypto producer, server 1 (a, b) from its own; the producer forms server 1's c one gate at
// a time and sends a level's c rows in one message.
//
// Cost per server for n values of width k (k = 32 with the ring64 preset: 15 integral + 16
// fractional + 1 sign bits; k + 1 for differences), online (as code: pond/costs.hpp, bit_test):
//   rounds: 1 (open c) + ⌈log2(k − 1)⌉ (carry tree) + 1 (bit to arithmetic) = 7 for k = 32 or 33
//   bytes:  n·ℓ/8 (c) + 2·A(k)·n/8 (AND gates, A(32) = 55) + n/8 (u)  ≈ 8 + 13.75 + 0.125 bytes
//           per value for ring64, rounded up to whole 64-bit words per row.
// The crypto producer sends server 1: n ring elements (r_1) + k·n/8 bytes (bits of r) + A(k)·n/8
// (AND triple corrections) + n/8 + n ring elements (the random bit t), in a single round.
// Equality ([x = 0]) uses the same opening: x mod 2^k = 0 iff every c_i = r_i, an AND tree over the
// k bits ¬(c_i ⊕ r_i): k − 1 AND gates in ⌈log2 k⌉ levels.
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/ring/bitslice.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/tensor.hpp"

#include <cstdint>
#include <vector>

namespace tfe {

template <class P>
struct pond_compare {
  using R = typename P::ring;
  using T = ring_traits<R>;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<P>;
  using word = bitslice::word;
  using rows = bitslice::rows;
  static constexpr std::size_t dealer = 2;
  static constexpr std::size_t tw = bitslice::tile_words;

  /// Shares of [x < 0] as ring integers, for x in the `width`-bit two's-complement range.
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > dealer) return {};
    auto scope = s.op_scope("pond_sign");
    const std::size_t k = width, n = shape_size(shape), W = bitslice::words_for(n);
    TFE_ENFORCE(k >= 2 && k <= T::bits, protocol_error, "sign bit width ", k, " is not in [2, ", T::bits, "]");
    if (s.id() == dealer) {
      deal_masked(s, shape, k);
      const std::vector<word*> none(k - 1, nullptr);
      bitslice::carry_tree(none, none, [&](const bitslice::and_level& lv) { deal_gates(s, lv.size(), W); });
      deal_bit(s, shape);
      return {};
    }
    const bool first = s.id() == 0;
    opened m = open_masked(s, x, shape, k);
    // b = ¬r: server 0 flips its share (a public NOT); p = c ⊕ b (server 0 adds the public c), g = c ∧ b.
    // p overwrites the r rows (server 1's p is its r share as it is); g rows 0..k−2 are new.
    rows g = rows::uninitialized(k - 1, W);
    const R *mv = m.masked.data(), *th = m.theirs.data();
    bitslice::slice<R>(
        n, k, [mv, th](std::size_t j) { return R(mv[j] + th[j]); },
        [&](std::size_t w0, std::size_t t, const word* tile) {
          for (std::size_t i = 0; i < k; ++i) {
            const word* c = tile + i * tw;
            word* r = m.r_bits.row(i) + w0;
            if (i + 1 < k) {
              word* gi = g.row(i) + w0;
              if (first)
                for (std::size_t u = 0; u < t; ++u) gi[u] = c[u] & ~r[u];
              else
                for (std::size_t u = 0; u < t; ++u) gi[u] = c[u] & r[u];
            }
            if (first)
              for (std::size_t u = 0; u < t; ++u) r[u] = c[u] ^ ~r[u];
          }
          // Fold the carry-in 1 into position 0: the carry out of bit 0 is g_0 ∨ p_0 = g_0 ⊕ p_0.
          for (std::size_t u = 0; u < t; ++u) g.row(0)[w0 + u] ^= m.r_bits.row(0)[w0 + u];
        });
    m.masked = ring_tensor<R>();  // c is no longer needed: free it for the allocations below
    m.theirs = ring_tensor<R>();
    // Carry tree over positions 0..k−2, groups (g_i, p_i); then sign = p_{k−1} ⊕ carry_{k−1}.
    std::vector<word*> G(k - 1), Pr(k - 1);
    for (std::size_t i = 0; i + 1 < k; ++i) {
      G[i] = g.row(i);
      Pr[i] = m.r_bits.row(i);
    }
    gate_scratch sc;
    const word* carry = bitslice::carry_tree(std::move(G), std::move(Pr),
                                             [&](const bitslice::and_level& lv) { and_gates(s, lv, W, sc); });
    word* sign = m.r_bits.row(k - 1);
    for (std::size_t w = 0; w < W; ++w) sign[w] ^= carry[w];
    return bits_to_arith(s, sign, shape);
  }

  /// Shares of [x = 0] as ring integers, for x in the `width`-bit range.
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > dealer) return {};
    auto scope = s.op_scope("pond_is_zero");
    const std::size_t k = width, n = shape_size(shape), W = bitslice::words_for(n);
    if (s.id() == dealer) {
      deal_masked(s, shape, k);
      bitslice::and_tree(std::vector<word*>(k, nullptr),
                         [&](const bitslice::and_level& lv) { deal_gates(s, lv.size(), W); });
      deal_bit(s, shape);
      return {};
    }
    opened m = open_masked(s, x, shape, k);
    // q_i = ¬(c_i ⊕ r_i): server 0 applies the public c and the NOT (in place); server 1's q is its r share.
    if (s.id() == 0) {
      const R *mv = m.masked.data(), *th = m.theirs.data();
      bitslice::slice<R>(
          n, k, [mv, th](std::size_t j) { return R(mv[j] + th[j]); },
          [&](std::size_t w0, std::size_t t, const word* tile) {
            for (std::size_t i = 0; i < k; ++i) {
              const word* c = tile + i * tw;
              word* r = m.r_bits.row(i) + w0;
              for (std::size_t u = 0; u < t; ++u) r[u] = ~(c[u] ^ r[u]);
            }
          });
    }
    m.masked = ring_tensor<R>();  // c is no longer needed: free it for the allocations below
    m.theirs = ring_tensor<R>();
    std::vector<word*> q(k);
    for (std::size_t i = 0; i < k; ++i) q[i] = m.r_bits.row(i);
    gate_scratch sc;
    const word* all = bitslice::and_tree(std::move(q), [&](const bitslice::and_level& lv) { and_gates(s, lv, W, sc); });
    return bits_to_arith(s, all, shape);
  }

 private:
  /// A server's view after opening c = x + r: its share of the bits of r (k rows), and the two
  /// halves of c (its own masked share x_i + r_i, sent, and the other server's), c = masked + theirs.
  struct opened {
    rows r_bits;
    ring_tensor<R> masked, theirs;
  };

  /// A level's a rows (and server 0's c rows), reused by the smaller levels after the first.
  struct gate_scratch {
    rows a, c;
  };

  static ring_tensor<word> recv_words(session_type& s, std::size_t from, std::size_t n) {
    auto t = s.net().template recv<word>(from);
    TFE_ENFORCE(t.size() == n, protocol_error, "expected ", n, " words from '", s.name_of(from), "' but got ",
                t.size());
    return t;
  }

  /// The dealer's half of open_masked: deals r as arithmetic shares (r_0 from the stream with server
  /// 0, r − r_0 sent to server 1) and as XOR-shared bits of its low k bits (server 0's from the
  /// stream, the bits ⊕ that share sent to server 1).
  static void deal_masked(session_type& s, const shape_t& shape, std::size_t k) {
    prg& g0 = s.pair_prg(0);
    ring_tensor<R> r = s.private_prg().template uniform<R>(shape);
    ring_tensor<R> r1 = g0.template uniform<R>(shape);  // r_0, turned into r_1 = r − r_0 in place
    const std::size_t n = r.size();
    for (std::size_t j = 0; j < n; ++j) r1.data()[j] = R(r.data()[j] - r1.data()[j]);
    s.net().send(1, r1);
    rows rb = bitslice::slice_rows(r, k);
    g0.xor_bytes(rb.data.data(), rb.data.size() * sizeof(word));
    s.net().send(1, rb.data);
  }

  /// The servers open c = x + r; see `opened`.
  static opened open_masked(session_type& s, const parts_type& x, const shape_t& shape, std::size_t k) {
    const std::size_t W = bitslice::words_for(shape_size(shape));
    opened m;
    if (s.id() == 0) {
      prg& g = s.pair_prg(dealer);
      m.masked = g.template uniform<R>(shape);
      m.r_bits = rows::uninitialized(k, W);
      g.fill_bytes(m.r_bits.data.data(), k * W * sizeof(word));
    } else {
      m.masked = P::recv_checked(s, dealer, shape);
      m.r_bits.count = k;
      m.r_bits.W = W;
      m.r_bits.data = recv_words(s, dealer, k * W);
    }
    const R* xi = x.at(0).data();
    R* mv = m.masked.data();
    for (std::size_t j = 0; j < m.masked.size(); ++j) mv[j] = R(mv[j] + xi[j]);  // x_i + r_i
    const std::size_t other = 1 - s.id();
    s.net().send(other, m.masked);
    m.theirs = P::recv_checked(s, other, shape);
    return m;
  }

  /// The dealer's half of a level of `gates` AND gates: per gate, (a_0, b_0, c_0) from the stream with
  /// server 0 and (a_1, b_1) from the stream with server 1, and c_1 = (a_0 ⊕ a_1) ∧ (b_0 ⊕ b_1) ⊕ c_0
  /// into the level's message to server 1 (rows·words words).
  static void deal_gates(session_type& s, std::size_t gates, std::size_t W) {
    prg& g0 = s.pair_prg(0);
    prg& g1 = s.pair_prg(1);
    auto msg = ring_tensor<word>::from_shape(shape_t{gates * W});
    std::vector<word> ab(2 * W);
    for (std::size_t r = 0; r < gates; ++r) {
      word* c1 = msg.data() + r * W;
      g0.fill_bytes(ab.data(), 2 * W * sizeof(word));
      g0.fill_bytes(c1, W * sizeof(word));
      g1.xor_bytes(ab.data(), 2 * W * sizeof(word));
      for (std::size_t w = 0; w < W; ++w) c1[w] ^= ab[w] & ab[W + w];
    }
    s.net().send(1, msg);
  }

  /// A level of Beaver ANDs at the servers: 1 round, both operands opened in one message of
  /// 2·rows·words words per server; server 1 first receives the level's c rows from the dealer.
  static void and_gates(session_type& s, const bitslice::and_level& lv, std::size_t W, gate_scratch& sc) {
    const std::size_t m = lv.size();
    const bool first = s.id() == 0;
    prg& g = s.pair_prg(dealer);
    if (sc.a.count < m) sc.a = rows::uninitialized(m, W);  // the first level is the largest
    if (first && sc.c.count < m) sc.c = rows::uninitialized(m, W);
    ring_tensor<word> c1;
    if (!first) c1 = recv_words(s, dealer, m * W);
    auto ef = bitslice::beaver_open(lv, W, sc.a.data.data(), [&](std::size_t i, word* a, word* f) {
      g.fill_bytes(a, W * sizeof(word));
      g.xor_bytes(f, W * sizeof(word));
      if (first) g.fill_bytes(sc.c.row(i), W * sizeof(word));
    });
    const std::size_t other = 1 - s.id();
    s.net().send(other, ef);
    auto theirs = recv_words(s, other, ef.size());
    bitslice::beaver_close(lv, W, sc.a.data.data(), first ? sc.c.data.data() : c1.data(), ef.data(), theirs.data());
  }

  /// The dealer's half of bits_to_arith: a random bit t, XOR-shared (t ⊕ t_0 to server 1) and as
  /// arithmetic shares ([t] − [t]_0 to server 1).
  static void deal_bit(session_type& s, const shape_t& shape) {
    const std::size_t n = shape_size(shape), W = bitslice::words_for(n);
    prg& g0 = s.pair_prg(0);
    rows t = rows::uninitialized(1, W);
    s.private_prg().fill_bytes(t.data.data(), W * sizeof(word));
    ring_tensor<word> t1 = t.data;
    g0.xor_bytes(t1.data(), W * sizeof(word));
    s.net().send(1, t1);
    ring_tensor<R> ta1 = g0.template uniform<R>(shape);  // [t]_0, turned into [t]_1 = t − [t]_0
    R* tp = ta1.data();
    const word* tb = t.row(0);
    bitslice::for_each_bit(
        n, [tb](std::size_t w) { return tb[w]; }, [tp](std::size_t j, unsigned b) { tp[j] = R(R(b) - tp[j]); });
    s.net().send(1, ta1);
  }

  /// XOR-shared bits (one row) to arithmetic shares of 0/1 with a dealt random bit t: 1 round,
  /// the servers open u = b ⊕ t (one word per 64 values), then [b] = u + [t] − 2u[t].
  static parts_type bits_to_arith(session_type& s, const word* bits, const shape_t& shape) {
    const std::size_t n = shape_size(shape), W = bitslice::words_for(n);
    ring_tensor<word> t;
    ring_tensor<R> ta;
    if (s.id() == 0) {
      t = s.pair_prg(dealer).template uniform<word>(shape_t{W});
      ta = s.pair_prg(dealer).template uniform<R>(shape);
    } else {
      t = recv_words(s, dealer, W);
      ta = P::recv_checked(s, dealer, shape);
    }
    auto u = ring_tensor<word>::from_shape(shape_t{W});
    for (std::size_t w = 0; w < W; ++w) u.data()[w] = bits[w] ^ t.data()[w];
    const std::size_t other = 1 - s.id();
    s.net().send(other, u);
    auto theirs = recv_words(s, other, W);
    // u + [t] − 2u[t]: [t] where u = 0, [server 0] − [t] where u = 1 (in [t]'s storage).
    const R lead = s.id() == 0 ? T::one() : T::zero();
    R* tp = ta.data();
    const word *um = u.data(), *ut = theirs.data();
    bitslice::for_each_bit(
        n, [um, ut](std::size_t w) { return um[w] ^ ut[w]; },
        [=](std::size_t j, unsigned b) {
          const R tj = tp[j], mask = R(R(0) - R(b));
          tp[j] = R(tj ^ ((tj ^ R(lead - tj)) & mask));
        });
    return moved_parts(std::move(ta));
  }
};

}  // namespace tfe
