// tfe/protocol/aby3/compare.hpp: ABY3's exact sign and zero tests, [x < 0] and [x = 0], returned as
// replicated arithmetic shares of the integers 0/1 (the protocol's sign_bit / zero_bit hooks).
//
// Setting: x = x_0 + x_1 + x_2 (replicated), x in the width-k two's-complement range, so the answer
// depends only on x mod 2^k. Each server knows two of the three terms (ABY3 §5.3's observation):
//   server 0 knows v = x_0 + x_1 mod 2^k in the clear, servers 1 and 2 both know w = x_2 mod 2^k,
// and x mod 2^k = v + w. The test is then a two-sided computation between server 0 (holding v) and
// the pair {1, 2} (holding w): the sign is bit k−1 of v + w, i.e. v_{k−1} ⊕ w_{k−1} ⊕ carry_{k−1}(v, w);
// the zero test is v = −w mod 2^k, i.e. the AND of all k bits ¬(v_i ⊕ w'_i), w' = −w.
// Servers 1 and 2 compute on 2-out-of-2 XOR shares; server 0 only SENDS (one message, first round),
// so its view is empty, and it plays the helper ABY3 uses for its 3-party OT (§5.4.1):
//
//  1. Leaves in one message (server 0 → server 2). For every block of 2 bit positions (a, b) of v,
//     any function of the block is a polynomial in the monomials a, b, ab with coefficients that are
//     functions of w. Server 0 sends the monomials XOR-masked with bits m from F_{0,1}: server 2 holds
//     M = mono ⊕ m, server 1 holds m, and for a coefficient h(w) known to both,
//     mono·h(w) = M·h(w) ⊕ m·h(w) is shared with no further message. Per block (c, d the bits of w):
//       carry block: G = bd ⊕ (ab)c ⊕ a(cd),   P = (b ⊕ d)(a ⊕ c) = ab ⊕ bc ⊕ ad ⊕ cd
//       zero block:  E = (a ⊕ c̄)(b ⊕ d̄)     = ab ⊕ ad̄ ⊕ bc̄ ⊕ c̄d̄      (c̄, d̄: bits of ¬w')
//     A lone position uses the monomial a only (G = ac, P = a ⊕ c; E = a ⊕ c̄). The sign also sends the
//     masked top bit v_{k−1}. Blocks of two halve the tree below for 1.5 bits per position.
//  2. Tree, on 2-out-of-2 shares between servers 1 and 2, with Beaver bit triples dealt by server 0
//     (seed-compressed: a¹, b¹, c¹ from F_{0,1}, a², b² from F_{0,2}; server 0 sends c² in the
//     message of step 1). Sign: the carry into position k−1 from (G, P) groups,
//       (G_hi, P_hi) ∘ (G_lo, P_lo) = (G_hi ⊕ P_hi∧G_lo, P_hi∧P_lo)   (2·pairs − 1 ANDs per level),
//     then s = v_{k−1} ⊕ w_{k−1} ⊕ G. Zero: an AND tree over the blocks' E (pairs ANDs per level).
//     Each level: servers 1 and 2 swap e = lhs ⊕ a and f = rhs ⊕ b (one message), 1 round.
//  3. Bit to arithmetic (B2A, 2 rounds): server 0 deals a random bit t as XOR shares (t¹ from F_{0,1},
//     t² from F_{0,2}, no message) and as arithmetic shares (T¹ from F_{0,1}, T² = t − T¹ sent in
//     step 1's message), and the output components y_1 (F_{0,1}) and y_0 (F_{0,2}).
//     Round a: servers 1 and 2 open u = s ⊕ t to each other. Then s = u + (1 − 2u)·t, i.e.
//       β¹ = u + (1 − 2u)·T¹ (server 1), β² = (1 − 2u)·T² (server 2), β¹ + β² = s.
//     Round b: server 1 sends β¹ − y_1, server 2 sends β² − y_0; both get y_2 = s − y_0 − y_1.
//     The result is replicated: server 0 (y_0, y_1), server 1 (y_1, y_2), server 2 (y_2, y_0).
// Security (one corrupted server): server 0 receives nothing. Server 2 receives mono ⊕ m (m unknown to
// it), c² = (a¹⊕a²)(b¹⊕b²) ⊕ c¹ (c¹ unknown), T² (masked by T¹), server 1's Beaver openings (masked by
// a¹, b¹), u¹ = s¹ ⊕ t¹ and β¹ − y_1 (masked by t¹, y_1). Server 1 receives the symmetric values,
// masked by a², b², t², y_0. u = s ⊕ t is uniform because t is unknown to both.
// All values are bit-sliced: row i holds bit i of every element, 64 elements per word, so one word
// operation is 64 gates and messages are dense; the last word of a row is padded.
//
// Cost for n values of width k, W = ⌈n/64⌉ words per row (8 bytes each), E = ℓ/8:
//   sign: positions q = k − 1, pairs p = ⌊q/2⌋, singles s = q mod 2, groups g = p + s,
//         monomial rows M_r = 3p + s + 1, AND gates A = Σ_levels (2·⌊g_l/2⌋ − 1), levels L = ⌈log2 g⌉
//   zero: positions k,     p = ⌊k/2⌋,   s = k mod 2,   g = p + s,   M_r = 3p + s,     A = g − 1, L = ⌈log2 g⌉
//   server 0:      sends (M_r + A)·8W + n·E bytes to server 2 in 2 messages, 1 round; receives nothing
//   servers 1, 2:  send 2A·8W (L messages) + 8W (u) + n·E (β) bytes, L + 2 messages and L + 2 rounds
//   server 2 also receives server 0's message; latency L + 3 rounds.
// Examples (bytes per value per server, n a multiple of 64): ring64 sign at k = 32: M_r = 47, A = 26,
// L = 4: server 0 (47 + 26)/8 + 8 = 17.125, servers 1/2 (52 + 1)/8 + 8 = 14.625, 7 rounds
// (so ReLU, one more product, is ≤ 25.2 bytes and 8 rounds); k = 33: 17.375 / 14.625, 7 rounds;
// full width k = 64: M_r = 95, A = 57, L = 5: 27 / 22.375 bytes, 8 rounds (ReLU 9 = log2(64) + 3).
// ring128 (E = 16): k = 64: 35 / 30.375 bytes, 8 rounds; full width k = 128: M_r = 191, A = 120,
// L = 6: 54.875 / 46.125 bytes, 9 rounds (ReLU 10 = log2(128) + 3).
// Zero test, ring64, k = 33 (equal): M_r = 49, A = 16, L = 5: 16.125 / 12.125 bytes, 8 rounds.
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"
#include "tfe/tensor.hpp"

#include <cstdint>
#include <vector>

namespace tfe {
namespace aby3_detail {

using word = std::uint64_t;

inline std::size_t words_for(std::size_t n) { return (n + 63) / 64; }

/// Bit-sliced bits: `count` rows of W words; row i, word j/64, bit j%64 is bit i of element j.
struct rows {
  std::size_t count = 0, W = 0;
  xt::xarray<word> data;  // 1-D, count * W

  rows() = default;
  rows(std::size_t c, std::size_t w) : count(c), W(w), data(xt::zeros<word>(shape_t{c * w})) {}
  word* row(std::size_t i) { return data.data() + i * W; }
  const word* row(std::size_t i) const { return data.data() + i * W; }
};

inline rows random_rows(prg& g, std::size_t count, std::size_t W) {
  rows r;
  r.count = count;
  r.W = W;
  r.data = g.uniform<word>(shape_t{count * W});
  return r;
}

/// The low k bits of every element, bit-sliced.
template <class R>
rows slice_bits(const ring_tensor<R>& v, std::size_t k) {
  const std::size_t n = v.size();
  rows out(k, words_for(n));
  for (std::size_t j = 0; j < n; ++j) {
    const R x = v.data()[j];
    const std::size_t w = j / 64;
    const word m = word(1) << (j % 64);
    for (std::size_t i = 0; i < k; ++i)
      if (static_cast<word>(x >> i) & 1u) out.row(i)[w] |= m;
  }
  return out;
}

/// Number of levels of a binary tree over g leaves: ⌈log2 g⌉.
inline std::size_t tree_levels(std::size_t g) {
  std::size_t l = 0;
  while ((std::size_t(1) << l) < g) ++l;
  return l;
}

/// AND gates of the (G, P) carry tree over g groups: 2·⌊g/2⌋ − 1 per level (the lowest group needs no P).
inline std::size_t carry_tree_ands(std::size_t g) {
  std::size_t a = 0;
  for (; g > 1; g = (g + 1) / 2) a += 2 * (g / 2) - 1;
  return a;
}

}  // namespace aby3_detail

template <class P>
struct aby3_compare {
  using R = typename P::ring;
  using T = ring_traits<R>;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<P>;
  using rows = aby3_detail::rows;
  using word = aby3_detail::word;

  enum class kind { sign, zero };

  /// The circuit for one width (see the cost formulas in the file comment).
  struct plan {
    kind what = kind::sign;
    std::size_t k = 0, pairs = 0, singles = 0, groups = 0, monomials = 0, ands = 0, levels = 0;
  };

  static plan make_plan(kind what, std::size_t k) {
    plan p;
    p.what = what;
    p.k = k;
    const std::size_t q = what == kind::sign ? k - 1 : k;  // positions that enter the tree
    p.pairs = q / 2;
    p.singles = q % 2;
    p.groups = p.pairs + p.singles;
    p.monomials = 3 * p.pairs + p.singles + (what == kind::sign ? 1 : 0);
    p.ands = what == kind::sign ? aby3_detail::carry_tree_ands(p.groups) : p.groups - 1;
    p.levels = aby3_detail::tree_levels(p.groups);
    return p;
  }

  /// Shares of [x < 0] as integers 0/1, for x in the width-bit two's-complement range.
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    TFE_ENFORCE(width >= 2 && width <= T::bits, protocol_error, "sign bit width ", width, " is not in [2, ", T::bits, "]");
    auto scope = s.op_scope("aby3_sign");
    return run(s, x, shape, make_plan(kind::sign, width));
  }

  /// Shares of [x = 0] as integers 0/1, for x in the width-bit range.
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    TFE_ENFORCE(width >= 1 && width <= T::bits, protocol_error, "zero test width ", width, " is not in [1, ", T::bits, "]");
    auto scope = s.op_scope("aby3_is_zero");
    return run(s, x, shape, make_plan(kind::zero, width));
  }

  /// Step 3 alone: bits XOR-shared 2-out-of-2 between servers 1 and 2 (one row, `mine` at those
  /// servers, ignored elsewhere) to replicated arithmetic 0/1. Server 0 sends n·E bytes (1 message),
  /// servers 1 and 2 send 8W + n·E bytes in 2 rounds.
  static parts_type bits_to_arith(session_type& s, const rows& mine, const shape_t& shape) {
    if (s.id() >= P::num_servers) return {};
    if (s.id() == 0) return deal(s, shape, nullptr, 0);
    const dealt d = receive_dealing(s, shape, 0, 0);
    return finish(s, mine, d, shape);
  }

 private:
  /// What server 1 or 2 holds from server 0's dealing.
  struct dealt {
    rows mono;           // monomial shares: masks m (server 1) or masked monomials M (server 2)
    rows a, b, c;        // Beaver bit triples, one row per AND gate
    rows t;              // XOR share of the random bit t
    ring_tensor<R> tt;   // arithmetic share of t
    ring_tensor<R> y;    // output component: y_1 (server 1) or y_0 (server 2)
  };

  static parts_type run(session_type& s, const parts_type& x, const shape_t& shape, const plan& pl) {
    const std::size_t me = s.id();
    if (me >= P::num_servers) return {};
    if (me == 0) {
      // v = x_0 + x_1 mod 2^k, in the clear at server 0.
      rows v = aby3_detail::slice_bits(ring_tensor<R>(x.at(0) + x.at(1)), pl.k);
      rows mono = monomials(v, pl);
      return deal(s, shape, &mono, pl.ands);
    }
    const dealt d = receive_dealing(s, shape, pl.monomials, pl.ands);
    // w = x_2 (server 1's part 1, server 2's part 0); the zero test compares v with −w.
    const ring_tensor<R>& x2 = me == 1 ? x.at(1) : x.at(0);
    const rows w = aby3_detail::slice_bits(pl.what == kind::sign ? x2 : ring_ops::neg(x2), pl.k);
    rows bit = pl.what == kind::sign ? sign_circuit(s, w, d, pl) : zero_circuit(s, w, d, pl);
    return finish(s, bit, d, shape);
  }

  /// Server 0's monomial rows: per pair block (a, b, ab), per lone position a, then (sign) the top bit.
  static rows monomials(const rows& v, const plan& pl) {
    rows m(pl.monomials, v.W);
    for (std::size_t j = 0; j < pl.pairs; ++j)
      for (std::size_t w = 0; w < v.W; ++w) {
        const word a = v.row(2 * j)[w], b = v.row(2 * j + 1)[w];
        m.row(3 * j)[w] = a;
        m.row(3 * j + 1)[w] = b;
        m.row(3 * j + 2)[w] = a & b;
      }
    if (pl.singles) std::copy(v.row(2 * pl.pairs), v.row(2 * pl.pairs) + v.W, m.row(3 * pl.pairs));
    if (pl.what == kind::sign) std::copy(v.row(pl.k - 1), v.row(pl.k - 1) + v.W, m.row(pl.monomials - 1));
    return m;
  }

  /// Server 0: masks the monomials, deals the Beaver triples and t, sends server 2 its message
  /// ((masked monomials | c²) as words, then T²), and returns its output components (y_0, y_1).
  /// Draw order: F_{0,1}: m, a¹, b¹, c¹, t¹, T¹, y_1; F_{0,2}: a², b², t², y_0 (servers 1, 2 mirror it).
  static parts_type deal(session_type& s, const shape_t& shape, const rows* mono, std::size_t ands) {
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n), nm = mono ? mono->count : 0;
    prg& g1 = s.pair_prg(1);
    prg& g2 = s.pair_prg(2);
    rows m = aby3_detail::random_rows(g1, nm, W);
    rows a1 = aby3_detail::random_rows(g1, ands, W), b1 = aby3_detail::random_rows(g1, ands, W),
         c1 = aby3_detail::random_rows(g1, ands, W);
    rows t1 = aby3_detail::random_rows(g1, 1, W);
    ring_tensor<R> tt1 = g1.template uniform<R>(shape);
    ring_tensor<R> y1 = g1.template uniform<R>(shape);
    rows a2 = aby3_detail::random_rows(g2, ands, W), b2 = aby3_detail::random_rows(g2, ands, W);
    rows t2 = aby3_detail::random_rows(g2, 1, W);
    ring_tensor<R> y0 = g2.template uniform<R>(shape);

    xt::xarray<word> msg = xt::zeros<word>(shape_t{(nm + ands) * W});
    word* out = msg.data();
    for (std::size_t i = 0; i < nm * W; ++i) out[i] = mono->data.data()[i] ^ m.data.data()[i];
    for (std::size_t i = 0; i < ands * W; ++i)
      out[nm * W + i] = ((a1.data.data()[i] ^ a2.data.data()[i]) & (b1.data.data()[i] ^ b2.data.data()[i])) ^
                        c1.data.data()[i];
    ring_tensor<R> tt2 = ring_tensor<R>::from_shape(shape);
    for (std::size_t j = 0; j < n; ++j) {
      const bool t = ((t1.row(0)[j / 64] ^ t2.row(0)[j / 64]) >> (j % 64)) & 1u;
      tt2.data()[j] = (t ? T::one() : T::zero()) - tt1.data()[j];
    }
    if (msg.size() > 0) s.net().send(2, msg);
    s.net().send(2, tt2);
    return {std::move(y0), std::move(y1)};
  }

  static dealt receive_dealing(session_type& s, const shape_t& shape, std::size_t nm, std::size_t ands) {
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n);
    prg& g = s.pair_prg(0);
    dealt d;
    if (s.id() == 1) {
      d.mono = aby3_detail::random_rows(g, nm, W);
      d.a = aby3_detail::random_rows(g, ands, W);
      d.b = aby3_detail::random_rows(g, ands, W);
      d.c = aby3_detail::random_rows(g, ands, W);
      d.t = aby3_detail::random_rows(g, 1, W);
      d.tt = g.template uniform<R>(shape);
      d.y = g.template uniform<R>(shape);
      return d;
    }
    d.a = aby3_detail::random_rows(g, ands, W);
    d.b = aby3_detail::random_rows(g, ands, W);
    d.t = aby3_detail::random_rows(g, 1, W);
    d.y = g.template uniform<R>(shape);
    d.mono = rows(nm, W);
    d.c = rows(ands, W);
    if (nm + ands > 0) {
      auto msg = recv_words(s, 0, (nm + ands) * W);
      std::copy(msg.data(), msg.data() + nm * W, d.mono.data.data());
      std::copy(msg.data() + nm * W, msg.data() + (nm + ands) * W, d.c.data.data());
    }
    d.tt = P::recv_checked(s, 0, shape);
    return d;
  }

  /// Steps 1–2 of the sign at servers 1 and 2: leaves from the monomial shares, the carry tree, and
  /// s = v_{k−1} ⊕ w_{k−1} ⊕ carry. Returns this server's XOR share of s (one row).
  static rows sign_circuit(session_type& s, const rows& w, const dealt& d, const plan& pl) {
    const std::size_t W = w.W;
    const bool second = s.id() == 2;  // server 2 adds the terms known to both (w alone)
    rows G(pl.groups, W), Pr(pl.groups, W);
    for (std::size_t j = 0; j < pl.pairs; ++j) {
      const word *ma = d.mono.row(3 * j), *mb = d.mono.row(3 * j + 1), *mab = d.mono.row(3 * j + 2);
      const word *c = w.row(2 * j), *dd = w.row(2 * j + 1);
      word *g = G.row(j), *p = Pr.row(j);
      for (std::size_t i = 0; i < W; ++i) {
        g[i] = (mb[i] & dd[i]) ^ (mab[i] & c[i]) ^ (ma[i] & c[i] & dd[i]);
        p[i] = mab[i] ^ (mb[i] & c[i]) ^ (ma[i] & dd[i]) ^ (second ? c[i] & dd[i] : 0);
      }
    }
    if (pl.singles) {
      const word* ma = d.mono.row(3 * pl.pairs);
      const word* c = w.row(2 * pl.pairs);
      word *g = G.row(pl.pairs), *p = Pr.row(pl.pairs);
      for (std::size_t i = 0; i < W; ++i) {
        g[i] = ma[i] & c[i];
        p[i] = ma[i] ^ (second ? c[i] : 0);
      }
    }
    std::size_t offset = 0, groups = pl.groups;
    while (groups > 1) {
      const std::size_t pairs = groups / 2;
      // This level's ANDs: P_hi ∧ G_lo for every pair, P_hi ∧ P_lo for every pair but the lowest.
      rows lhs(2 * pairs - 1, W), rhs(2 * pairs - 1, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        copy_row(lhs, j, Pr, 2 * j + 1);
        copy_row(rhs, j, G, 2 * j);
        if (j > 0) {
          copy_row(lhs, pairs + j - 1, Pr, 2 * j + 1);
          copy_row(rhs, pairs + j - 1, Pr, 2 * j);
        }
      }
      rows prod = and_rows(s, lhs, rhs, d, offset);
      const std::size_t next = pairs + groups % 2;
      rows G2(next, W), P2(next, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        for (std::size_t i = 0; i < W; ++i) G2.row(j)[i] = G.row(2 * j + 1)[i] ^ prod.row(j)[i];
        if (j > 0) copy_row(P2, j, prod, pairs + j - 1);
      }
      if (groups % 2) {
        copy_row(G2, next - 1, G, groups - 1);
        copy_row(P2, next - 1, Pr, groups - 1);
      }
      G = std::move(G2);
      Pr = std::move(P2);
      groups = next;
    }
    rows out(1, W);
    const word* top = d.mono.row(pl.monomials - 1);
    const word* wt = w.row(pl.k - 1);
    for (std::size_t i = 0; i < W; ++i) out.row(0)[i] = top[i] ^ (second ? wt[i] : 0) ^ G.row(0)[i];
    return out;
  }

  /// Steps 1–2 of the zero test: E per block, then an AND tree. Returns this server's share of [x = 0].
  static rows zero_circuit(session_type& s, const rows& w, const dealt& d, const plan& pl) {
    const std::size_t W = w.W;
    const bool second = s.id() == 2;
    rows E(pl.groups, W);
    for (std::size_t j = 0; j < pl.pairs; ++j) {
      const word *ma = d.mono.row(3 * j), *mb = d.mono.row(3 * j + 1), *mab = d.mono.row(3 * j + 2);
      const word *c = w.row(2 * j), *dd = w.row(2 * j + 1);
      word* e = E.row(j);
      for (std::size_t i = 0; i < W; ++i) {
        const word cn = ~c[i], dn = ~dd[i];
        e[i] = mab[i] ^ (ma[i] & dn) ^ (mb[i] & cn) ^ (second ? cn & dn : 0);
      }
    }
    if (pl.singles) {
      const word* ma = d.mono.row(3 * pl.pairs);
      const word* c = w.row(2 * pl.pairs);
      word* e = E.row(pl.pairs);
      for (std::size_t i = 0; i < W; ++i) e[i] = ma[i] ^ (second ? ~c[i] : 0);
    }
    std::size_t offset = 0, groups = pl.groups;
    while (groups > 1) {
      const std::size_t pairs = groups / 2;
      rows lhs(pairs, W), rhs(pairs, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        copy_row(lhs, j, E, 2 * j);
        copy_row(rhs, j, E, 2 * j + 1);
      }
      rows prod = and_rows(s, lhs, rhs, d, offset);
      const std::size_t next = pairs + groups % 2;
      rows E2(next, W);
      for (std::size_t j = 0; j < pairs; ++j) copy_row(E2, j, prod, j);
      if (groups % 2) copy_row(E2, next - 1, E, groups - 1);
      E = std::move(E2);
      groups = next;
    }
    rows out(1, W);
    copy_row(out, 0, E, 0);
    return out;
  }

  /// Beaver AND of 2-out-of-2 XOR shares between servers 1 and 2, with the dealt triples
  /// [offset, offset + rows): one message (e and f) each way, 1 round.
  static rows and_rows(session_type& s, const rows& lhs, const rows& rhs, const dealt& d, std::size_t& offset) {
    const std::size_t n = lhs.count * lhs.W, base = offset * lhs.W;
    const word *a = d.a.data.data() + base, *b = d.b.data.data() + base, *c = d.c.data.data() + base;
    xt::xarray<word> ef = xt::zeros<word>(shape_t{2 * n});
    for (std::size_t i = 0; i < n; ++i) {
      ef.data()[i] = lhs.data.data()[i] ^ a[i];
      ef.data()[n + i] = rhs.data.data()[i] ^ b[i];
    }
    const std::size_t other = 3 - s.id();
    s.net().send(other, ef);
    auto theirs = recv_words(s, other, 2 * n);
    rows out(lhs.count, lhs.W);
    const bool first = s.id() == 1;
    for (std::size_t i = 0; i < n; ++i) {
      const word e = ef.data()[i] ^ theirs.data()[i], f = ef.data()[n + i] ^ theirs.data()[n + i];
      out.data.data()[i] = c[i] ^ (e & b[i]) ^ (a[i] & f) ^ (first ? e & f : 0);
    }
    offset += lhs.count;
    return out;
  }

  /// Step 3 at servers 1 and 2: open u = s ⊕ t, then exchange β − y to form y_2 (2 rounds).
  static parts_type finish(session_type& s, const rows& bit, const dealt& d, const shape_t& shape) {
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n), other = 3 - s.id();
    const bool first = s.id() == 1;
    xt::xarray<word> u_mine = xt::zeros<word>(shape_t{W});
    for (std::size_t i = 0; i < W; ++i) u_mine.data()[i] = bit.row(0)[i] ^ d.t.row(0)[i];
    s.net().send(other, u_mine);
    auto u_theirs = recv_words(s, other, W);
    ring_tensor<R> mine = ring_tensor<R>::from_shape(shape);
    for (std::size_t j = 0; j < n; ++j) {
      const bool u = ((u_mine.data()[j / 64] ^ u_theirs.data()[j / 64]) >> (j % 64)) & 1u;
      const R tj = d.tt.data()[j];
      const R beta = u ? R((first ? T::one() : T::zero()) - tj) : tj;
      mine.data()[j] = beta - d.y.data()[j];
    }
    s.net().send(other, mine);
    ring_tensor<R> y2 = mine + P::recv_checked(s, other, shape);
    if (first) return {d.y, std::move(y2)};
    return {std::move(y2), d.y};
  }

  static void copy_row(rows& dst, std::size_t i, const rows& src, std::size_t j) {
    std::copy(src.row(j), src.row(j) + src.W, dst.row(i));
  }

  static xt::xarray<word> recv_words(session_type& s, std::size_t from, std::size_t n) {
    auto t = s.net().template recv<word>(from);
    TFE_ENFORCE(t.size() == n, protocol_error, "expected ", n, " words from '", s.name_of(from), "' but got ", t.size());
    return t;
  }
};

}  // namespace tfe
