// tfe/protocol/aby3/bins.hpp: ABY3's histogram counts revealed to one player, one bin circuit per
// value and no arithmetic after it (stats/histogram.hpp's reveal_histogram takes it when it applies).
//
// Math. A column's public encoded edges E_0 < … < E_B (integers, in ulps) are described by public
// integers M ≥ 1, C ≥ 0 and a shift s with
//     ⌊((X − E_0)·M + C) / 2^s⌋ = j   for every integer X in [E_j, E_{j+1}), j < B
// (bin_affine_map finds the smallest s and checks every edge exactly; uneven edges may have none).
// For a value in [E_0, E_B), y = (X − E_0)·M + C lies in [0, B·2^s) ⊂ [0, 2^(s+L)), L = ⌈log2 B⌉, and
// bits s .. s + L − 1 of y are its bin. y is linear in the shares: y = v_y + w_y mod 2^ℓ with
// v_y = (x_0 + x_1)·M at server 0 and w_y = x_2·M + (C − E_0·M) at servers 1 and 2 (a wrap of the
// ring cancels: an in-range value's y is below 2^ℓ). In ABY3's comparison setting (aby3/compare.hpp:
// server 0 sends masked monomials of its value and deals Beaver bit triples, servers 1 and 2 evaluate
// on 2-out-of-2 XOR shares):
//  1. in = [X < E_B] ⊕ [X < E_0] (E_0 < E_B, so [X < E_0] ≤ [X < E_B]): two sign circuits at the
//     width K of the fixed-point range's differences on ONE set of monomials of v = x_0 + x_1 (their
//     leaves differ: x_2 − E_0 and x_2 − E_B), evaluated as one carry tree over rows of 2n bits.
//  2. The carry c_s into bit s of v_y + w_y (the sign circuit's leaves and carry tree on positions
//     0 .. s − 1), then z_i = v_i ⊕ w_i ⊕ c_i for i = s .. s + L − 1 with
//     c_{i+1} = v_i·w_i ⊕ (v_i ⊕ w_i)·c_i (one AND each, in sequence); v_i·w_i and v_i ⊕ w_i are
//     linear in server 0's masked monomial v_i (w_i is known to both servers).
//  3. The code of a value is (in, z ∧ in) (L ANDs in one level): a value out of range shows (0, 0),
//     never bits of itself.
//  4. Reveal: servers 1 and 2 draw from their common stream F_{1,2} a mask ρ and, per column, a
//     uniformly random permutation π_c of the n rows; each sends π_c(its codes ⊕ ρ) (one byte per
//     value) to the receiver, who XORs the two and counts.
// What the receiver learns: per column the multiset of codes, i.e. the B counts (and the number out
// of range, n − Σ counts with n public): the rows arrive in an order it cannot link to them (π_c is
// unknown to it), each column under its own permutation (one permutation for all columns would reveal
// the joint histogram of every pair of columns), and each message alone is uniform (ρ). The receiver
// must therefore not be server 1 or 2, who know π (reveal_counts refuses; reveal_histogram then takes
// the generic way); server 0 and any other player qualify. The servers' views are those of the
// comparisons (compare.hpp's argument): server 0 receives nothing (unless it is the receiver), servers
// 1 and 2 receive masked monomials, dealt c² and each other's Beaver openings. Exact.
//
// Cost, n values (W = ⌈n/64⌉ words per row, 8 bytes each), circuits K (sign at width K) and s (sign
// at width s + 1: positions 0 .. s − 1 and the top bit s), AND gates in rows of W:
//   A = 2·A_K + A_s + (L − 1) + L, levels T = T_K + T_s + (L − 1) + 1;
//   server 0:      one message of (M_K + M_s + L − 1 + A)·8W bytes to server 2, 1 round;
//   servers 1, 2:  2A·8W bytes in T messages (one per level), then 8·⌈n/8⌉ bytes of codes to the
//                  receiver: T + 1 messages and rounds; server 2 also receives server 0's message.
// As code: aby3_bins_costs below. ring64, 16 bins on [−100, 100) at f = 16 (K = 33, s = 42):
// 26.25 bytes per value from server 0, 23.5 + 1 from servers 1 and 2, against 6 sign tests and 8
// products (≈ 160 bytes) for the generic binary search.
#pragma once

#include "tfe/protocol/aby3/compare.hpp"
#include "tfe/protocol/aby3/costs.hpp"
#include "tfe/protocol/shuffle.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace tfe {

/// The affine map of one column's edges: bin j ⇔ bits shift .. of (X − E_0)·mul + add (see above).
struct bin_affine_map {
  unsigned shift = 0;
  ring128 mul = 0, add = 0;
};

/// The smallest shift s ≥ max(2, min_shift) with s + L ≤ top (L = ⌈log2 B⌉) and integers M, C such
/// that ⌊(d·M + C)/2^s⌋ = j exactly for d ∈ [D_j, D_{j+1}), j < B, where D_j = E_j − E_0
/// (D_0 = 0 < D_1 < … < D_B < 2^60); none when there is none (uneven edges, or a precision the ring
/// lacks). For a given M, bin j's lower edge is D_j iff j·2^s − D_j·M ≤ C < j·2^s − (D_j − 1)·M, and
/// values below D_B stay below bin B iff C < B·2^s − (D_B − 1)·M: C is the largest lower bound when
/// it is below every upper one. M ≈ 2^s·B/D_B: its rounding error, times D_B, must stay under an ulp,
/// so s ≈ log2(D_B·W) for equal widths W (W a power of two: s = log2 W). top ≤ 125 keeps every term
/// below 2^127 (exact in __int128): ring64 uses 62, ring128 125.
inline std::optional<bin_affine_map> find_bin_affine_map(const std::vector<std::int64_t>& D, unsigned bits,
                                                         unsigned min_shift = 2, unsigned top = 62) {
  using i128 = int128;
  const std::size_t B = D.size() - 1;
  if (B < 2 || top > 125 || D[0] != 0 || D[B] <= 0 || D[B] >= (std::int64_t(1) << 60)) return std::nullopt;
  for (unsigned s = std::max(2u, min_shift); s + bits <= top; ++s) {
    const i128 two_s = i128(1) << s;
    const long double approx =
        std::ldexp(static_cast<long double>(B), static_cast<int>(s)) / static_cast<long double>(D[B]);
    if (approx < 0.5L) continue;
    const auto base = static_cast<i128>(std::floor(approx));
    for (i128 M = std::max<i128>(1, base - 1); M <= base + 2; ++M) {
      i128 lo = 0, hi = i128(B) * two_s - i128(D[B] - 1) * M;
      for (std::size_t j = 0; j < B; ++j) {
        lo = std::max(lo, i128(j) * two_s - i128(D[j]) * M);
        hi = std::min(hi, i128(j) * two_s - i128(D[j] - 1) * M);
      }
      if (lo < hi) return bin_affine_map{s, static_cast<ring128>(M), static_cast<ring128>(lo)};
    }
  }
  return std::nullopt;
}

/// One column of aby3_bins: its encoded range edges E_0, E_B and y = x·mul + add (add = C − E_0·M).
template <class R>
struct aby3_bin_column {
  R lo{}, hi{}, mul{}, add{};
};

/// The costs of aby3_bins (the file comment's formulas), n values per circuit.
template <class R>
struct aby3_bins_costs {
  /// Steps 1–3 at the three servers: width K, shift s, L bits.
  static constexpr costs::op_cost circuit(std::uint64_t n, std::uint64_t K, std::uint64_t s, std::uint64_t L) {
    const auto range = aby3_costs<R>::sign_circuit(K), low = aby3_costs<R>::sign_circuit(s + 1);
    const std::uint64_t W8 = 8 * costs::words(n), ands = 2 * range.ands + low.ands + 2 * L - 1;
    const std::uint64_t levels = range.levels + low.levels + L;  // L − 1 carries, one mask level
    const std::uint64_t dealer = (range.monomials + low.monomials + L - 1 + ands) * W8, peer = 2 * ands * W8;
    return {{{{dealer, 0, 1, 0, 1},
              {peer, peer, levels, levels, levels},
              {peer, peer + dealer, levels, levels + 1, levels}}},
            levels + 1};
  }
  /// Step 4, player `who` (receiver not 1 or 2): servers 1 and 2 each send one byte per value, in
  /// whole words, one message; the receiver gets both.
  static constexpr costs::player_cost codes(std::uint64_t n, std::size_t receiver, std::size_t who) {
    const std::uint64_t b = 8 * ((n + 7) / 8);
    costs::player_cost c;
    if (who == 1 || who == 2) c += {b, 0, 1, 0, 1};
    if (who == receiver) c += {0, 2 * b, 0, 2, 0};
    return c;
  }
};

template <class P>
struct aby3_bins {
  using R = typename P::ring;
  using T = ring_traits<R>;
  using cmp = aby3_compare<P>;
  using plan = typename cmp::plan;
  using kind = typename cmp::kind;
  using rows = aby3_detail::rows;
  using word = aby3_detail::word;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<P>;
  static constexpr std::size_t tw = bitslice::tile_words;

  /// The public circuit: range tests at width K, the bin bits shift .. shift + bits − 1.
  struct layout {
    plan range, low;  // sign at K; sign at shift + 1
    std::size_t bits = 0;
    std::size_t range_monomials() const { return range.monomials; }
    std::size_t low_monomials() const { return low.monomials + bits - 1; }
    /// AND gates in rows of W words (the range tree's gates are 2W wide).
    std::size_t ands() const { return 2 * range.ands + low.ands + 2 * bits - 1; }
  };
  static layout make_layout(unsigned width, unsigned shift, unsigned bits) {
    return {cmp::make_plan(kind::sign, width), cmp::make_plan(kind::sign, shift + 1), bits};
  }

  /// The counts (g, bins) of the g columns of x (n, g), at `receiver` only (every other player:
  /// nullopt): steps 1–4 of the file comment. cols[c] is column c's map; width K covers x − E_0 and
  /// x − E_B; shift and bits (2^(bits−1) < bins ≤ 2^bits) are common to the columns.
  static std::optional<std::vector<std::uint64_t>> reveal_counts(session_type& s, const parts_type& x,
                                                                 const shape_t& shape,
                                                                 const std::vector<aby3_bin_column<R>>& cols,
                                                                 unsigned width, unsigned shift, unsigned bits,
                                                                 std::size_t bins, std::size_t receiver) {
    TFE_ENFORCE(shape.size() == 2 && cols.size() == shape[1], protocol_error, "bin counts: ", cols.size(),
                " column maps for a table of shape ", shape_str(shape));
    TFE_ENFORCE(receiver != 1 && receiver != 2 && receiver < s.num_players(), protocol_error,
                "bin counts: the receiver must not be server 1 or 2 (they know the permutation), got player index ",
                receiver);
    TFE_ENFORCE(bits >= 1 && bits <= 7 && bins <= (std::size_t(1) << bits) && 2 * bins > (std::size_t(1) << bits) &&
                    shift >= 2 && shift + bits <= T::bits - 2 && width >= 2 && width <= T::bits,
                protocol_error, "bin counts: no circuit for width ", width, ", shift ", shift, ", ", bits, " bits");
    auto scope = s.op_scope("aby3_bins");
    const layout lay = make_layout(width, shift, bits);
    const std::size_t me = s.id(), n = shape[0], g = shape[1];
    if (me == 0) deal(s, x, cols, lay, n * g);
    if (me == 1 || me == 2) send_codes(s, circuit(s, x, cols, lay, n * g), n, g, receiver);
    if (me != receiver) return std::nullopt;
    return count(s, n, g, bins);
  }

 private:
  /// Server 0: the masked monomials of v (range) and v_y (bin bits), then every gate's c², as one
  /// message to server 2.
  static void deal(session_type& s, const parts_type& x, const std::vector<aby3_bin_column<R>>& cols, const layout& lay,
                   std::size_t n) {
    const std::size_t W = aby3_detail::words_for(n), g = cols.size();
    const std::size_t nr = lay.range_monomials(), nl = lay.low_monomials();
    prg& g1 = s.pair_prg(1);
    prg& g2 = s.pair_prg(2);
    const R *x0 = x.at(0).data(), *x1 = x.at(1).data();
    auto msg = ring_tensor<word>::from_shape(shape_t{(nr + nl + lay.ands()) * W});
    word* out = msg.data();
    cmp::monomials(
        out, [x0, x1](std::size_t j) { return R(x0[j] + x1[j]); }, lay.range, n, g1);
    cmp::monomials(
        out + nr * W, [x0, x1, &cols, g](std::size_t j) { return R(R(x0[j] + x1[j]) * cols[j % g].mul); }, lay.low, n,
        g1, lay.bits - 1);
    word* c2 = out + (nr + nl) * W;
    cmp::deal_triples(g1, g2, c2, lay.range.ands, 2 * W);
    cmp::deal_triples(g1, g2, c2 + 2 * lay.range.ands * W, lay.ands() - 2 * lay.range.ands, W);
    s.net().send(2, msg);
  }

  /// Servers 1 and 2: steps 1–3; returns this server's XOR shares of the codes as rows: in, then the
  /// bits (1 + bits rows of W words).
  static rows circuit(session_type& s, const parts_type& x, const std::vector<aby3_bin_column<R>>& cols,
                      const layout& lay, std::size_t n) {
    const std::size_t me = s.id(), W = aby3_detail::words_for(n), g = cols.size();
    const std::size_t nr = lay.range_monomials(), nl = lay.low_monomials(), L = lay.bits;
    const word sm = me == 2 ? ~word(0) : 0;
    typename cmp::circuit_state cs;
    ring_tensor<word> mine;  // server 1: its masks m of every monomial, drawn in server 0's order
    const word* mono;
    if (me == 2) {
      cs.msg = cmp::recv_words(s, 0, (nr + nl + lay.ands()) * W);
      cs.c2 = (nr + nl) * W;
      mono = cs.msg.data();
    } else {
      mine = ring_tensor<word>::from_shape(shape_t{(nr + nl) * W});
      s.pair_prg(0).fill_bytes(mine.data(), mine.size() * sizeof(word));
      mono = mine.data();
    }
    const R* w = (me == 1 ? x.at(1) : x.at(0)).data();  // x_2
    auto gates = [&](std::size_t width) {
      return [&s, &cs, width](const bitslice::and_level& lv) { cmp::and_gates(s, lv, cs, width); };
    };
    rows codes = rows::uninitialized(1 + L, W);
    {  // step 1: [x < E_0] in words [0, W), [x < E_B] in [W, 2W) of every row; in = their XOR
      const plan& pr = lay.range;
      rows gp = rows::uninitialized(2 * pr.groups, 2 * W), top = rows::uninitialized(1, 2 * W);
      for (std::size_t half = 0; half < 2; ++half)
        bitslice::slice<R>(
            n, pr.k, [w, &cols, g, half](std::size_t j) { return R(w[j] - (half ? cols[j % g].hi : cols[j % g].lo)); },
            [&](std::size_t w0, std::size_t t, const word* tile) {
              cmp::sign_leaves(mono + nr * w0, half * W + w0, t, tile, pr, gp, top.row(0), sm);
            });
      const word* carry = cmp::carry_of(gp, pr.groups, gates(2 * W));
      for (std::size_t i = 0; i < W; ++i) codes.row(0)[i] = top.row(0)[i] ^ carry[i] ^ top.row(0)[W + i] ^ carry[W + i];
    }
    cs.a = rows();  // the next trees' gates are W words wide
    cs.c = rows();
    {  // step 2: the carry into bit s of y, then the bits s .. s + L − 1
      const plan& pl = lay.low;
      const std::size_t s0 = pl.k - 1;                                         // the shift
      rows gp = rows::uninitialized(2 * pl.groups, W);                         // shift ≥ 2: at least one group
      rows prop = rows::uninitialized(L, W), gen = rows::uninitialized(L, W);  // v_i ⊕ w_i and v_i·w_i
      const word* mono_low = mono + nr * W;
      bitslice::slice<R>(
          n, pl.k + L - 1, [w, &cols, g](std::size_t j) { return R(R(w[j] * cols[j % g].mul) + cols[j % g].add); },
          [&](std::size_t w0, std::size_t t, const word* tile) {
            const word* m = mono_low + nl * w0;
            cmp::sign_leaves(m, w0, t, tile, pl, gp, prop.row(0), sm);
            for (std::size_t i = 0; i < L; ++i) {
              const word* mi = m + (pl.monomials - 1 + i) * t;
              const word* wi = tile + (s0 + i) * tw;
              if (i > 0)
                for (std::size_t u = 0; u < t; ++u) prop.row(i)[w0 + u] = mi[u] ^ (wi[u] & sm);
              for (std::size_t u = 0; u < t; ++u) gen.row(i)[w0 + u] = mi[u] & wi[u];
            }
          });
      rows carry = rows::uninitialized(L, W);  // c_s, …, c_{s+L−1}
      const word* cs0 = cmp::carry_of(gp, pl.groups, gates(W));
      std::copy(cs0, cs0 + W, carry.row(0));
      for (std::size_t i = 1; i < L; ++i) {  // c_{i} = g_{i−1} ⊕ p_{i−1}·c_{i−1}
        bitslice::and_level lv;
        lv.add(prop.row(i - 1), carry.row(i - 1), gen.row(i - 1), carry.row(i));
        gates(W)(lv);
      }
      for (std::size_t i = 0; i < L; ++i)
        for (std::size_t u = 0; u < W; ++u) codes.row(1 + i)[u] = prop.row(i)[u] ^ carry.row(i)[u];
    }
    bitslice::and_level mask;  // step 3: the bits ∧ in
    for (std::size_t i = 0; i < L; ++i) mask.add(codes.row(1 + i), codes.row(0), nullptr, codes.row(1 + i));
    gates(W)(mask);
    return codes;
  }

  /// Step 4 at servers 1 and 2: one byte per value (in | bits << 1), masked with ρ and permuted per
  /// column with π_c, both from F_{1,2}; 8 codes per word to the receiver.
  static void send_codes(session_type& s, const rows& codes, std::size_t n, std::size_t g, std::size_t receiver) {
    prg& common = s.pair_prg(3 - s.id());
    std::vector<std::uint8_t> code(n * g, 0);
    for (std::size_t r = 0; r < codes.count; ++r) {
      const word* row = codes.row(r);
      bitslice::for_each_bit(
          n * g, [row](std::size_t w) { return row[w]; },
          [&code, r](std::size_t j, unsigned b) { code[j] = static_cast<std::uint8_t>(code[j] | (b << r)); });
    }
    auto msg = ring_tensor<word>::from_shape(shape_t{(n * g + 7) / 8});
    msg.fill(0);
    auto* out = reinterpret_cast<std::uint8_t*>(msg.data());
    common.fill_bytes(out, n * g);  // ρ
    for (std::size_t c = 0; c < g; ++c) {
      const auto pi = shuffle_detail::random_permutation(common, n);
      std::uint8_t* col = out + c * n;
      for (std::size_t r = 0; r < n; ++r) col[pi[r]] ^= code[r * g + c];
    }
    s.net().send(receiver, msg);
  }

  /// The receiver: the XOR of both servers' codes, counted per column. An in-range code names a bin
  /// below `bins` (y < B·2^s); anything else is a protocol error, not a count.
  static std::vector<std::uint64_t> count(session_type& s, std::size_t n, std::size_t g, std::size_t bins) {
    const std::size_t nw = (n * g + 7) / 8;
    const auto a = cmp::recv_words(s, 1, nw), b = cmp::recv_words(s, 2, nw);
    std::vector<std::uint64_t> counts(g * bins, 0);
    auto* pa = reinterpret_cast<const std::uint8_t*>(a.data());
    auto* pb = reinterpret_cast<const std::uint8_t*>(b.data());
    for (std::size_t c = 0; c < g; ++c)
      for (std::size_t r = 0; r < n; ++r) {
        const unsigned code = pa[c * n + r] ^ pb[c * n + r], bin = code >> 1;
        if ((code & 1u) == 0) continue;
        TFE_ENFORCE(bin < bins, protocol_error, "bin counts: column ", c, " got bin ", bin, " of ", bins);
        ++counts[c * bins + bin];
      }
    return counts;
  }
};

}  // namespace tfe
