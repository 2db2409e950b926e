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
//     message of step 1, after M). Sign: the carry into position k−1 from (G, P) groups,
//       (G_hi, P_hi) ∘ (G_lo, P_lo) = (G_hi ⊕ P_hi∧G_lo, P_hi∧P_lo)   (2·pairs − 1 ANDs per level),
//     then s = v_{k−1} ⊕ w_{k−1} ⊕ G. Zero: an AND tree over the blocks' E (pairs ANDs per level).
//     Each level: servers 1 and 2 swap e = lhs ⊕ a and f = rhs ⊕ b (one message), 1 round, and take
//     e∧rhs^i ⊕ a^i∧f ⊕ c^i as their shares of lhs∧rhs (so b is never stored; bitslice::beaver_*).
//  3. Bit to arithmetic (B2A, 2 rounds): server 0 deals a random bit t as XOR shares (t¹ from F_{0,1},
//     t² from F_{0,2}, no message) and as arithmetic shares (T¹ from F_{0,1}, T² = t − T¹ sent right
//     after step 1's message), and the output components y_1 (F_{0,1}) and y_0 (F_{0,2}).
//     Round a: servers 1 and 2 open u = s ⊕ t to each other. Then s = u + (1 − 2u)·t, i.e.
//       β¹ = u + (1 − 2u)·T¹ (server 1), β² = (1 − 2u)·T² (server 2), β¹ + β² = s.
//     Round b: server 1 sends β¹ − y_1, server 2 sends β² − y_0; both get y_2 = s − y_0 − y_1.
//     The result is replicated: server 0 (y_0, y_1), server 1 (y_1, y_2), server 2 (y_2, y_0).
// Security (one corrupted server): server 0 receives nothing. Server 2 receives mono ⊕ m (m unknown to
// it), c² = (a¹⊕a²)(b¹⊕b²) ⊕ c¹ (c¹ unknown), T² (masked by T¹), server 1's Beaver openings (masked by
// a¹, b¹), u¹ = s¹ ⊕ t¹ and β¹ − y_1 (masked by t¹, y_1). Server 1 receives the symmetric values,
// masked by a², b², t², y_0. u = s ⊕ t is uniform because t is unknown to both.
// All values are bit-sliced (tfe/ring/bitslice.hpp): row i holds bit i of every element, 64 elements
// per word, so one word operation is 64 gates and messages are dense; the last word of a row is
// padded. v and w are sliced 512 elements (a tile of 8 words) at a time by a bit-matrix transpose
// and turned into monomials (server 0) or leaves (servers 1, 2) while in cache; M is laid out tile
// by tile (the tile's M_r rows of 8 words together), the c² rows gate by gate. The carry and AND
// trees are bitslice::carry_tree / and_tree, shared with Pond.
// Draw order (servers 1 and 2 mirror server 0, each drawing when it needs the values): F_{0,1}: m
// (in M's layout), then per AND gate (a¹, b¹, c¹), then t¹, T¹, y_1; F_{0,2}: per AND gate (a², b²),
// then t², y_0. So server 0 forms c² one gate at a time in cache, server 1 draws m tile by tile as
// its leaves need it, and servers 1 and 2 draw a level's triples when the level runs.
//
// Cost for n values of width k, W = ⌈n/64⌉ words per row (8 bytes each), E = ℓ/8 (as code: aby3/costs.hpp):
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
#include "tfe/ring/bitslice.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"
#include "tfe/tensor.hpp"

#include <cstdint>
#include <vector>

namespace tfe {
namespace aby3_detail {

using word = bitslice::word;
using rows = bitslice::rows;
using bitslice::words_for;

inline rows random_rows(prg& g, std::size_t count, std::size_t W) {
  rows r = rows::uninitialized(count, W);
  g.fill_bytes(r.data.data(), count * W * sizeof(word));
  return r;
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
  static constexpr std::size_t tw = bitslice::tile_words;

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
    p.ands = what == kind::sign ? bitslice::carry_tree_ands(p.groups) : p.groups - 1;
    p.levels = bitslice::tree_levels(p.groups);
    return p;
  }

  /// Shares of [x < 0] as integers 0/1, for x in the width-bit two's-complement range.
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    TFE_ENFORCE(width >= 2 && width <= T::bits, protocol_error, "sign bit width ", width, " is not in [2, ", T::bits,
                "]");
    auto scope = s.op_scope("aby3_sign");
    return run(s, x, shape, make_plan(kind::sign, width));
  }

  /// Shares of [x = 0] as integers 0/1, for x in the width-bit range.
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    TFE_ENFORCE(width >= 1 && width <= T::bits, protocol_error, "zero test width ", width, " is not in [1, ", T::bits,
                "]");
    auto scope = s.op_scope("aby3_is_zero");
    return run(s, x, shape, make_plan(kind::zero, width));
  }

  /// Step 3 alone: bits XOR-shared 2-out-of-2 between servers 1 and 2 (one row, `mine` at those
  /// servers, ignored elsewhere) to replicated arithmetic 0/1. Server 0 sends n·E bytes (1 message),
  /// servers 1 and 2 send 8W + n·E bytes in 2 rounds.
  static parts_type bits_to_arith(session_type& s, const rows& mine, const shape_t& shape) {
    if (s.id() >= P::num_servers) return {};
    if (s.id() == 0) return deal(s, shape, nullptr, nullptr);
    return finish(s, mine.row(0), shape);
  }

 private:
  template <class Q>
  friend struct aby3_bins;  // protocol/aby3/bins.hpp: the histogram's bin circuit reuses the dealing

  /// What servers 1 and 2 use of server 0's dealing in steps 1–2.
  struct circuit_state {
    prg* g = nullptr;       // server 1: F_{0,1}, which m is drawn from; server 2: null
    ring_tensor<word> msg;  // server 2: server 0's message (M | c²)
    rows a, c;              // the current level's a rows (and c rows at server 1)
    std::size_t c2 = 0;     // server 2: the next dealt c² row in msg (a word index)
  };

  static parts_type run(session_type& s, const parts_type& x, const shape_t& shape, const plan& pl) {
    const std::size_t me = s.id();
    if (me >= P::num_servers) return {};
    if (me == 0) return deal(s, shape, &pl, &x);
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n);
    rows bit;
    {
      // (scoped: the circuit's buffers are freed before step 3 allocates its ring tensors)
      circuit_state cs;
      if (me == 1) cs.g = &s.pair_prg(0);
      if (me == 2) cs.msg = recv_words(s, 0, (pl.monomials + pl.ands) * W);  // M_r ≥ 1: never empty
      cs.c2 = pl.monomials * W;
      // w = x_2 (server 1's part 1, server 2's part 0); the zero test compares v with −w.
      const ring_tensor<R>& x2 = me == 1 ? x.at(1) : x.at(0);
      bit = pl.what == kind::sign ? sign_circuit(s, x2, cs, pl) : zero_circuit(s, x2, cs, pl);
    }
    return finish(s, bit.row(0), shape);
  }

  /// Server 0's masked monomials M = mono ⊕ m into out, tile-major: for the tile of words [w0, w0 + t),
  /// M_r rows of t words at out + M_r·w0 (row r at + r·t): per pair block (a, b, ab), per lone
  /// position a, then (sign) the top bit, of the values v(j) (v = x_0 + x_1). Each tile is masked with
  /// the next keystream of F_{0,1} while in cache, and each side reads its tile's monomials
  /// contiguously. `extra` more single bits above the top (positions k .. k + extra − 1) follow it in
  /// every tile (M_r + extra rows per tile; protocol/aby3/bins.hpp's bin bits).
  template <class Value>
  static void monomials(word* out, Value&& v, const plan& pl, std::size_t n, prg& g1, std::size_t extra = 0) {
    const std::size_t nm = pl.monomials + extra;
    bitslice::slice<R>(n, pl.k + extra, std::forward<Value>(v), [&](std::size_t w0, std::size_t t, const word* tile) {
      word* blk = out + nm * w0;
      for (std::size_t j = 0; j < pl.pairs; ++j) {
        const word *a = tile + 2 * j * tw, *b = tile + (2 * j + 1) * tw;
        word *ma = blk + 3 * j * t, *mb = ma + t, *mab = mb + t;
        for (std::size_t u = 0; u < t; ++u) {
          ma[u] = a[u];
          mb[u] = b[u];
          mab[u] = a[u] & b[u];
        }
      }
      if (pl.singles) std::copy(tile + 2 * pl.pairs * tw, tile + 2 * pl.pairs * tw + t, blk + 3 * pl.pairs * t);
      if (pl.what == kind::sign)
        for (std::size_t e = 0; e <= extra; ++e)
          std::copy(tile + (pl.k - 1 + e) * tw, tile + (pl.k - 1 + e) * tw + t, blk + (pl.monomials - 1 + e) * t);
      g1.xor_bytes(blk, nm * t * sizeof(word));  // ⊕ m
    });
  }

  /// Server 0's c² of `gates` AND gates of `width` words each into out, gate by gate: (a¹, b¹) and c¹
  /// from F_{0,1}, then (a², b²) from F_{0,2} XORed onto (a¹, b¹), so c² = (a¹ ⊕ a²) ∧ (b¹ ⊕ b²) ⊕ c¹
  /// is formed in place with one row pair of scratch (the order and_gates draws in at servers 1, 2).
  static void deal_triples(prg& g1, prg& g2, word* out, std::size_t gates, std::size_t width) {
    std::vector<word> ab(2 * width);
    for (std::size_t r = 0; r < gates; ++r) {
      word* c2 = out + r * width;
      g1.fill_bytes(ab.data(), 2 * width * sizeof(word));
      g1.fill_bytes(c2, width * sizeof(word));
      g2.xor_bytes(ab.data(), 2 * width * sizeof(word));
      for (std::size_t w = 0; w < width; ++w) c2[w] ^= ab[w] & ab[width + w];
    }
  }

  /// Server 0: masks the monomials, deals the Beaver triples and t, sends server 2 its message
  /// ((masked monomials | c²) as words, as soon as it is ready, then T²), and returns its output
  /// components (y_0, y_1). Draw order as in the file comment. pl and x are null for bits_to_arith.
  static parts_type deal(session_type& s, const shape_t& shape, const plan* pl, const parts_type* x) {
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n);
    const std::size_t nm = pl ? pl->monomials : 0, ands = pl ? pl->ands : 0;
    prg& g1 = s.pair_prg(1);
    prg& g2 = s.pair_prg(2);
    if (nm + ands > 0) {
      auto msg = ring_tensor<word>::from_shape(shape_t{(nm + ands) * W});
      const R *x0 = x->at(0).data(), *x1 = x->at(1).data();
      monomials(
          msg.data(), [x0, x1](std::size_t j) { return R(x0[j] + x1[j]); }, *pl, n, g1);
      deal_triples(g1, g2, msg.data() + nm * W, ands, W);
      s.net().send(2, msg);
    }
    rows t = aby3_detail::random_rows(g1, 1, W);        // t¹
    ring_tensor<R> tt = g1.template uniform<R>(shape);  // T¹, turned into T² = t − T¹ below
    ring_tensor<R> y1 = g1.template uniform<R>(shape);
    g2.xor_bytes(t.data.data(), W * sizeof(word));  // t = t¹ ⊕ t²
    ring_tensor<R> y0 = g2.template uniform<R>(shape);
    R* ttp = tt.data();
    const word* tb = t.row(0);
    bitslice::for_each_bit(
        n, [tb](std::size_t w) { return tb[w]; }, [ttp](std::size_t j, unsigned b) { ttp[j] = R(R(b) - ttp[j]); });
    s.net().send(2, tt);
    return moved_parts(std::move(y0), std::move(y1));
  }

  /// The monomial shares of the tile at word w0 (t words, M_r rows of t): server 1 draws its masks m
  /// from F_{0,1} tile by tile (the stream order of server 0's tile-major mask), server 2 reads M.
  static const word* tile_monomials(circuit_state& cs, std::vector<word>& buf, std::size_t nm, std::size_t w0,
                                    std::size_t t) {
    if (cs.g == nullptr) return cs.msg.data() + nm * w0;
    cs.g->fill_bytes(buf.data(), nm * t * sizeof(word));
    return buf.data();
  }

  /// The leaves of the sign circuit for one tile (words [w0, w0 + t)) at servers 1 and 2: from this
  /// server's shares of the tile's monomials (row r at mono + r·t, the layout of monomials()) and the
  /// tile of w's bits, the (G, P) rows of every group (gp: G rows, then P rows, `groups` each) and
  /// this server's share of v_{k−1} ⊕ w_{k−1} in top. sm: all ones at server 2, which adds the terms
  /// known to both (w alone). The top bit is the plan's last monomial row (pl.monomials − 1).
  static void sign_leaves(const word* mono, std::size_t w0, std::size_t t, const word* tile, const plan& pl, rows& gp,
                          word* top, word sm) {
    const std::size_t ng = pl.groups;
    for (std::size_t j = 0; j < pl.pairs; ++j) {
      const word *ma = mono + 3 * j * t, *mb = ma + t, *mab = mb + t;
      const word *c = tile + 2 * j * tw, *dd = tile + (2 * j + 1) * tw;
      word *g = gp.row(j) + w0, *p = gp.row(ng + j) + w0;
      for (std::size_t u = 0; u < t; ++u) {
        g[u] = (mb[u] & dd[u]) ^ (mab[u] & c[u]) ^ (ma[u] & c[u] & dd[u]);
        p[u] = mab[u] ^ (mb[u] & c[u]) ^ (ma[u] & dd[u]) ^ (c[u] & dd[u] & sm);
      }
    }
    if (pl.singles) {
      const word* ma = mono + 3 * pl.pairs * t;
      const word* c = tile + 2 * pl.pairs * tw;
      word *g = gp.row(pl.pairs) + w0, *p = gp.row(ng + pl.pairs) + w0;
      for (std::size_t u = 0; u < t; ++u) {
        g[u] = ma[u] & c[u];
        p[u] = ma[u] ^ (c[u] & sm);
      }
    }
    const word* mt = mono + (pl.monomials - 1) * t;
    const word* wt = tile + (pl.k - 1) * tw;
    for (std::size_t u = 0; u < t; ++u) top[w0 + u] = mt[u] ^ (wt[u] & sm);
  }

  /// The carry out of the `groups` (G, P) row pairs of gp (G rows, then P rows; sign_leaves' layout),
  /// one bitslice::carry_tree level per call of and_level_fn. No gate for a single group.
  template <class AndLevel>
  static const word* carry_of(rows& gp, std::size_t groups, AndLevel&& and_level_fn) {
    std::vector<word*> G(groups), Pr(groups);
    for (std::size_t j = 0; j < groups; ++j) {
      G[j] = gp.row(j);
      Pr[j] = gp.row(groups + j);
    }
    return bitslice::carry_tree(std::move(G), std::move(Pr), std::forward<AndLevel>(and_level_fn));
  }

  /// Steps 1–2 of the sign at servers 1 and 2: leaves from the monomial shares, the carry tree, and
  /// s = v_{k−1} ⊕ w_{k−1} ⊕ carry. Returns this server's XOR share of s (one row).
  static rows sign_circuit(session_type& s, const ring_tensor<R>& w, circuit_state& cs, const plan& pl) {
    const std::size_t n = w.size(), W = aby3_detail::words_for(n), ng = pl.groups, nm = pl.monomials;
    const word sm = s.id() == 2 ? ~word(0) : 0;  // server 2 adds the terms known to both (w alone)
    rows gp = rows::uninitialized(2 * ng, W);    // G rows, then P rows
    rows out = rows::uninitialized(1, W);
    std::vector<word> mbuf(nm * tw);
    const R* wp = w.data();
    bitslice::slice<R>(
        n, pl.k, [wp](std::size_t j) { return wp[j]; },
        [&](std::size_t w0, std::size_t t, const word* tile) {
          sign_leaves(tile_monomials(cs, mbuf, nm, w0, t), w0, t, tile, pl, gp, out.row(0), sm);
        });
    const word* carry = carry_of(gp, ng, [&](const bitslice::and_level& lv) { and_gates(s, lv, cs, W); });
    for (std::size_t i = 0; i < W; ++i) out.row(0)[i] ^= carry[i];
    return out;
  }

  /// Steps 1–2 of the zero test: E per block, then an AND tree. Returns this server's share of [x = 0].
  static rows zero_circuit(session_type& s, const ring_tensor<R>& w, circuit_state& cs, const plan& pl) {
    const std::size_t n = w.size(), W = aby3_detail::words_for(n), ng = pl.groups, nm = pl.monomials;
    const word sm = s.id() == 2 ? ~word(0) : 0;
    rows E = rows::uninitialized(ng, W);
    std::vector<word> mbuf(nm * tw);
    const R* wp = w.data();
    bitslice::slice<R>(
        n, pl.k, [wp](std::size_t j) { return T::neg(wp[j]); },
        [&](std::size_t w0, std::size_t t, const word* tile) {
          const word* mono = tile_monomials(cs, mbuf, nm, w0, t);
          for (std::size_t j = 0; j < pl.pairs; ++j) {
            const word *ma = mono + 3 * j * t, *mb = ma + t, *mab = mb + t;
            const word *c = tile + 2 * j * tw, *dd = tile + (2 * j + 1) * tw;
            word* e = E.row(j) + w0;
            for (std::size_t u = 0; u < t; ++u) {
              const word cn = ~c[u], dn = ~dd[u];
              e[u] = mab[u] ^ (ma[u] & dn) ^ (mb[u] & cn) ^ (cn & dn & sm);
            }
          }
          if (pl.singles) {
            const word* ma = mono + 3 * pl.pairs * t;
            const word* c = tile + 2 * pl.pairs * tw;
            word* e = E.row(pl.pairs) + w0;
            for (std::size_t u = 0; u < t; ++u) e[u] = ma[u] ^ (~c[u] & sm);
          }
        });
    std::vector<word*> rows_e(ng);
    for (std::size_t j = 0; j < ng; ++j) rows_e[j] = E.row(j);
    const word* all =
        bitslice::and_tree(std::move(rows_e), [&](const bitslice::and_level& lv) { and_gates(s, lv, cs, W); });
    rows out = rows::uninitialized(1, W);
    std::copy(all, all + W, out.row(0));
    return out;
  }

  /// One level of Beaver ANDs between servers 1 and 2 (one message each way, 1 round), with the next
  /// dealt triples: server 1 draws (a, b, c) gate by gate from F_{0,1}, server 2 (a, b) from F_{0,2}
  /// and takes c² from server 0's message.
  static void and_gates(session_type& s, const bitslice::and_level& lv, circuit_state& cs, std::size_t W) {
    const std::size_t m = lv.size(), other = 3 - s.id();
    const bool first = s.id() == 1;
    prg& g = s.pair_prg(0);
    if (cs.a.count < m) cs.a = rows::uninitialized(m, W);  // the first level is the largest
    if (first && cs.c.count < m) cs.c = rows::uninitialized(m, W);
    auto ef = bitslice::beaver_open(lv, W, cs.a.data.data(), [&](std::size_t i, word* a, word* f) {
      g.fill_bytes(a, W * sizeof(word));
      g.xor_bytes(f, W * sizeof(word));
      if (first) g.fill_bytes(cs.c.row(i), W * sizeof(word));
    });
    s.net().send(other, ef);
    auto theirs = recv_words(s, other, ef.size());
    const word* c = first ? cs.c.data.data() : cs.msg.data() + cs.c2;
    bitslice::beaver_close(lv, W, cs.a.data.data(), c, ef.data(), theirs.data());
    cs.c2 += m * W;
  }

  /// Step 3 at servers 1 and 2: draws t, T and y (server 1: t¹, T¹, y_1 from F_{0,1}; server 2: t²,
  /// y_0 from F_{0,2}, T² from server 0's message), opens u = s ⊕ t, then exchanges β − y to form
  /// y_2 (2 rounds). Works in T's storage: T^i becomes β^i − y, then y_2.
  static parts_type finish(session_type& s, const word* bit, const shape_t& shape) {
    const std::size_t n = shape_size(shape), W = aby3_detail::words_for(n), other = 3 - s.id();
    const bool first = s.id() == 1;
    prg& g = s.pair_prg(0);
    rows t = aby3_detail::random_rows(g, 1, W);
    ring_tensor<R> tt, y;
    if (first) {
      tt = g.template uniform<R>(shape);
      y = g.template uniform<R>(shape);
    } else {
      y = g.template uniform<R>(shape);
      tt = P::recv_checked(s, 0, shape);
    }
    auto u_mine = ring_tensor<word>::from_shape(shape_t{W});
    for (std::size_t i = 0; i < W; ++i) u_mine.data()[i] = bit[i] ^ t.row(0)[i];
    s.net().send(other, u_mine);
    auto u_theirs = recv_words(s, other, W);
    // β¹ = u + (1 − 2u)·T¹, β² = (1 − 2u)·T²: T^i where u = 0, [server 1] − T^i where u = 1.
    const R lead = first ? T::one() : T::zero();
    R* ttp = tt.data();
    const R* yp = y.data();
    const word *um = u_mine.data(), *ut = u_theirs.data();
    bitslice::for_each_bit(
        n, [um, ut](std::size_t w) { return um[w] ^ ut[w]; },
        [=](std::size_t j, unsigned u) {
          const R tj = ttp[j], mask = R(R(0) - R(u));
          const R beta = R(tj ^ ((tj ^ R(lead - tj)) & mask));
          ttp[j] = R(beta - yp[j]);
        });
    s.net().send(other, tt);
    const ring_tensor<R> theirs = P::recv_checked(s, other, shape);
    const R* th = theirs.data();
    for (std::size_t j = 0; j < n; ++j) ttp[j] = R(ttp[j] + th[j]);  // y_2 = (β¹ − y_1) + (β² − y_0)
    if (first) return moved_parts(std::move(y), std::move(tt));
    return moved_parts(std::move(tt), std::move(y));
  }

  static ring_tensor<word> recv_words(session_type& s, std::size_t from, std::size_t n) {
    auto t = s.net().template recv<word>(from);
    TFE_ENFORCE(t.size() == n, protocol_error, "expected ", n, " words from '", s.name_of(from), "' but got ",
                t.size());
    return t;
  }
};

}  // namespace tfe
