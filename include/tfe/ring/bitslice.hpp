// tfe/ring/bitslice.hpp: bit-sliced boolean circuits, shared by the exact comparisons of Pond
// (protocol/pond/compare.hpp) and ABY3 (protocol/aby3/compare.hpp).
//
// Layout: n bits per row, 64 per word: row i, word w, bit b is bit i of element 64w + b; rows are
// padded to W = ⌈n/64⌉ whole words. One word operation is 64 gates, and rows are sent densely.
//
//   rows               count × W words in one xt::xarray (so a block of rows is a message as is)
//   slice(n, k, get, emit)
//                      the low k bits of n ring elements get(j), bit-sliced one tile of
//                      tile_words words (512 elements) at a time. A tile is a 64 × tile_words
//                      bit matrix per 64-bit slice of the elements, transposed in place with the
//                      recursive block swap of Hacker's Delight §7-3 (6 levels, each one vector
//                      op across the tile's words, instead of 64·k single-bit moves); k ≤ 32 skips
//                      half of the work (the high 32 rows are never needed).
//   pack(n, bit), for_each_bit(n, word_of, f)
//                      per-element bits to one row and back, 64 elements per word.
//   carry_tree(G, P, and_level), and_tree(E, and_level)
//                      the AND-gate trees of the comparisons, on rows of XOR shares; the protocol
//                      supplies `and_level`, which evaluates one level of AND gates (one round):
//     carry tree over groups 0..g−1 (group 0 lowest), each a (G, P) pair of rows:
//       (G_hi, P_hi) ∘ (G_lo, P_lo) = (G_hi ⊕ P_hi∧G_lo, P_hi∧P_lo)
//       per level with g groups: ⌊g/2⌋ pairs, ANDs P_hi∧G_lo for every pair (in pair order), then
//       P_hi∧P_lo for every pair but the lowest (the lowest group's P is never needed):
//       2·⌊g/2⌋ − 1 gates, ⌈g/2⌉ groups left; ⌈log2 g⌉ levels. The result is the carry G out of
//       all groups.
//     AND tree over g rows: per level ⌊g/2⌋ gates E_2j ∧ E_2j+1, ⌈g/2⌉ rows left; g − 1 gates,
//       ⌈log2 g⌉ levels.
//   beaver_open / beaver_close: an and_level's two halves with Beaver bit triples, around the
//                      protocol's exchange of the openings.
//   Both trees work in place: a gate's output overwrites one of its own operand rows (never another
//   gate's operand or addend in the same level), so and_level must read a gate's operands before it
//   writes the gate's output (Beaver ANDs open every masked operand in one message first).
#pragma once

#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace tfe::bitslice {

using word = std::uint64_t;

constexpr std::size_t words_for(std::size_t n) { return (n + 63) / 64; }

/// Bit-sliced bits: `count` rows of W words; row i, word j/64, bit j%64 is bit i of element j.
struct rows {
  std::size_t count = 0, W = 0;
  ring_tensor<word> data = ring_tensor<word>::from_shape(shape_t{0});  // 1-D, count · W

  rows() = default;
  /// All zero.
  rows(std::size_t c, std::size_t w) : count(c), W(w), data(xt::zeros<word>(shape_t{c * w})) {}
  /// Uninitialised, for rows that are written in full before they are read.
  static rows uninitialized(std::size_t c, std::size_t w) {
    rows r;
    r.count = c;
    r.W = w;
    r.data = ring_tensor<word>::from_shape(shape_t{c * w});
    return r;
  }
  word* row(std::size_t i) { return data.data() + i * W; }
  const word* row(std::size_t i) const { return data.data() + i * W; }
};

/// Words per tile of slice(): 8 words (one 512-bit vector) of every row, i.e. 512 elements.
inline constexpr std::size_t tile_words = 8;

namespace detail {

/// One level of the block-swap transpose on a tile (rows of tile_words words, each word one 64×64
/// matrix): for every row pair (i, i + J) with bit J of i clear, swap the high J bits of each
/// J-bit group of row i with the low J bits of row i + J. Rows [0, rows).
template <unsigned J>
inline void transpose_level(word* a, std::size_t rows, word m) {
  for (std::size_t b = 0; b < rows; b += 2 * J)
    for (std::size_t i = b; i < b + J; ++i) {
      word* lo = a + i * tile_words;
      word* hi = a + (i + J) * tile_words;
      for (std::size_t u = 0; u < tile_words; ++u) {
        const word t = ((lo[u] >> J) ^ hi[u]) & m;
        lo[u] ^= t << J;
        hi[u] ^= t;
      }
    }
}

/// The low 64 bits of x.
template <class R>
inline word low_word(const R& x) {
  if constexpr (std::is_trivially_copyable_v<R>)
    return static_cast<word>(x);
  else
    return static_cast<word>(R(x & R(~word(0))));
}

}  // namespace detail

/// Transposes tile_words 64×64 bit matrices at once, in place: a[i·tile_words + u] is row i of
/// matrix u; afterwards bit j of row i is bit i of the old row j. Only rows [0, rows) of the result
/// are computed when rows ≤ 32 (the others are left meaningless); rows ≤ 64.
inline void transpose_tile(word* a, std::size_t rows = 64) {
  constexpr std::size_t T = tile_words;
  std::size_t live = 64;
  if (rows <= 32) {
    // The first level only moves the low halves of rows 32..63 into the high halves of rows 0..31;
    // every later level stays inside either half, so the upper half can be dropped.
    for (std::size_t i = 0; i < 32; ++i)
      for (std::size_t u = 0; u < T; ++u)
        a[i * T + u] = (a[i * T + u] & 0x00000000FFFFFFFFULL) | (a[(i + 32) * T + u] << 32);
    live = 32;
  } else {
    detail::transpose_level<32>(a, 64, 0x00000000FFFFFFFFULL);
  }
  detail::transpose_level<16>(a, live, 0x0000FFFF0000FFFFULL);
  detail::transpose_level<8>(a, live, 0x00FF00FF00FF00FFULL);
  detail::transpose_level<4>(a, live, 0x0F0F0F0F0F0F0F0FULL);
  detail::transpose_level<2>(a, live, 0x3333333333333333ULL);
  detail::transpose_level<1>(a, live, 0x5555555555555555ULL);
}

/// Bit-slices the low k bits of the n elements get(0), ..., get(n − 1) (ring values), a tile at a
/// time: calls emit(w0, t, tile) for the words w0 .. w0 + t − 1 (t ≤ tile_words) of every row, where
/// tile[i·tile_words + u] is word w0 + u of row i (i < k). Bits past element n − 1 are zero.
/// `get` is called once per element and 64-bit slice, so it can compute the value (x_0 + x_1, −x).
template <class R, class Get, class Emit>
void slice(std::size_t n, std::size_t k, Get&& get, Emit&& emit) {
  constexpr std::size_t T = tile_words;
  const std::size_t W = words_for(n), slices = (k + 63) / 64;
  std::vector<word> tile(slices * 64 * T);
  for (std::size_t w0 = 0; w0 < W; w0 += T) {
    const std::size_t t = std::min(T, W - w0);
    for (std::size_t h = 0; h < slices; ++h) {
      word* a = tile.data() + h * 64 * T;
      for (std::size_t u = 0; u < T; ++u) {
        const std::size_t base = (w0 + u) * 64, cnt = u < t ? std::min<std::size_t>(64, n - base) : 0;
        if (h == 0)
          for (std::size_t j = 0; j < cnt; ++j) a[j * T + u] = detail::low_word<R>(get(base + j));
        else
          for (std::size_t j = 0; j < cnt; ++j) a[j * T + u] = detail::low_word<R>(R(get(base + j) >> (64 * h)));
        for (std::size_t j = cnt; j < 64; ++j) a[j * T + u] = 0;
      }
      transpose_tile(a, std::min<std::size_t>(64, k - 64 * h));
    }
    emit(w0, t, static_cast<const word*>(tile.data()));
  }
}

/// The low k bits of every element of v as rows (k × W).
template <class R>
rows slice_rows(const ring_tensor<R>& v, std::size_t k) {
  const std::size_t n = v.size(), W = words_for(n);
  rows out = rows::uninitialized(k, W);
  const R* x = v.data();
  slice<R>(
      n, k, [x](std::size_t j) { return x[j]; },
      [&](std::size_t w0, std::size_t t, const word* tile) {
        for (std::size_t i = 0; i < k; ++i)
          for (std::size_t u = 0; u < t; ++u) out.row(i)[w0 + u] = tile[i * tile_words + u];
      });
  return out;
}

/// One row holding bit(j) & 1 for j < n (64 elements per word; padding bits zero).
template <class Bit>
rows pack(std::size_t n, Bit&& bit) {
  rows out = rows::uninitialized(1, words_for(n));
  for (std::size_t w = 0; w < out.W; ++w) {
    const std::size_t base = w * 64, cnt = std::min<std::size_t>(64, n - base);
    word x = 0;
    for (std::size_t b = 0; b < cnt; ++b) x |= (static_cast<word>(bit(base + b)) & 1u) << b;
    out.row(0)[w] = x;
  }
  return out;
}

/// Calls f(j, b) for j < n, b ∈ {0, 1} bit j%64 of the word word_of(j/64): a row of bits back to one
/// call per element, with the word computed once per 64 elements.
template <class WordOf, class F>
void for_each_bit(std::size_t n, WordOf&& word_of, F&& f) {
  for (std::size_t w = 0, base = 0; base < n; ++w, base += 64) {
    const word x = word_of(w);
    const std::size_t cnt = std::min<std::size_t>(64, n - base);
    for (std::size_t b = 0; b < cnt; ++b) f(base + b, static_cast<unsigned>((x >> b) & 1u));
  }
}

/// One level of AND gates on rows of XOR shares: out[i] = (lhs[i] ∧ rhs[i]) ⊕ addend[i], the addend
/// a share known locally (nullptr: none). out[i] may be lhs[i] or rhs[i] (see the file comment).
struct and_level {
  std::vector<const word*> lhs, rhs, addend;
  std::vector<word*> out;
  std::size_t size() const { return out.size(); }
  void add(const word* l, const word* r, const word* a, word* o) {
    lhs.push_back(l);
    rhs.push_back(r);
    addend.push_back(a);
    out.push_back(o);
  }
};

/// The carry G out of the groups (G[j], P[j]), j = 0 (lowest) .. g − 1 (see the file comment);
/// P[0] is never read. and_level(const and_level&) evaluates one level. Returns the row holding G.
/// The rows are only passed along, never dereferenced here: a player that takes part without rows
/// (Pond's dealer) passes null pointers and gets the level sizes.
template <class AndLevel>
word* carry_tree(std::vector<word*> G, std::vector<word*> P, AndLevel&& and_level_fn) {
  while (G.size() > 1) {
    const std::size_t groups = G.size(), pairs = groups / 2;
    and_level lv;
    lv.lhs.reserve(2 * pairs);
    lv.rhs.reserve(2 * pairs);
    lv.addend.reserve(2 * pairs);
    lv.out.reserve(2 * pairs);
    // G' = G_hi ⊕ P_hi∧G_lo into G_lo's row, P' = P_hi∧P_lo into P_lo's row.
    for (std::size_t j = 0; j < pairs; ++j) lv.add(P[2 * j + 1], G[2 * j], G[2 * j + 1], G[2 * j]);
    for (std::size_t j = 1; j < pairs; ++j) lv.add(P[2 * j + 1], P[2 * j], nullptr, P[2 * j]);
    and_level_fn(static_cast<const and_level&>(lv));
    std::vector<word*> G2, P2;
    for (std::size_t j = 0; j < pairs; ++j) {
      G2.push_back(G[2 * j]);
      P2.push_back(j > 0 ? P[2 * j] : nullptr);
    }
    if (groups % 2) {
      G2.push_back(G[groups - 1]);
      P2.push_back(P[groups - 1]);
    }
    G = std::move(G2);
    P = std::move(P2);
  }
  return G.at(0);
}

/// The AND of the rows E[0..g−1] (see the file comment). Returns the row holding it.
template <class AndLevel>
word* and_tree(std::vector<word*> E, AndLevel&& and_level_fn) {
  while (E.size() > 1) {
    const std::size_t g = E.size(), pairs = g / 2;
    and_level lv;
    for (std::size_t j = 0; j < pairs; ++j) lv.add(E[2 * j], E[2 * j + 1], nullptr, E[2 * j]);
    and_level_fn(static_cast<const and_level&>(lv));
    std::vector<word*> E2;
    for (std::size_t j = 0; j < pairs; ++j) E2.push_back(E[2 * j]);
    if (g % 2) E2.push_back(E[g - 1]);
    E = std::move(E2);
  }
  return E.at(0);
}

/// Beaver AND on 2-out-of-2 XOR shares, in two steps around the exchange of the openings. With a
/// triple (a, b, c = a∧b), XOR-shared, and the public openings e = x ⊕ a, f = y ⊕ b:
///   x∧y = (e ⊕ a)∧y = e∧y ⊕ a∧(f ⊕ b) = e∧y ⊕ a∧f ⊕ c,
/// so party i's share is e∧y_i ⊕ a_i∧f ⊕ c_i. Only a and c are needed after the opening; b is XORed
/// into f where it is drawn and never stored.
///
/// Step 1: this party's openings of the level's gates as one message [e rows | f rows]. For gate i,
/// draw(i, a, f) must write a_i into a (W words) and XOR b_i into f (which holds y_i), drawing c_i
/// too if the party draws it; the a rows are kept in a_rows (gate i at a_rows + i·W).
template <class Draw>
ring_tensor<word> beaver_open(const and_level& lv, std::size_t W, word* a_rows, Draw&& draw) {
  const std::size_t m = lv.size();
  auto ef = ring_tensor<word>::from_shape(shape_t{2 * m * W});
  for (std::size_t i = 0; i < m; ++i) {
    word *e = ef.data() + i * W, *f = ef.data() + (m + i) * W, *a = a_rows + i * W;
    std::copy(lv.rhs[i], lv.rhs[i] + W, f);
    draw(i, a, f);
    const word* x = lv.lhs[i];
    for (std::size_t w = 0; w < W; ++w) e[w] = x[w] ^ a[w];
  }
  return ef;
}

/// Step 2, from both parties' openings: out[i] = e∧y_i ⊕ a_i∧f ⊕ c_i ⊕ addend[i], c_i at c_rows + i·W.
/// Reads y_i = rhs[i] again, so out[i] may alias rhs[i] or lhs[i], but no other gate's operands.
inline void beaver_close(const and_level& lv, std::size_t W, const word* a_rows, const word* c_rows, const word* mine,
                         const word* theirs) {
  const std::size_t m = lv.size();
  for (std::size_t i = 0; i < m; ++i) {
    const word *a = a_rows + i * W, *c = c_rows + i * W, *y = lv.rhs[i], *add = lv.addend[i];
    const word *e1 = mine + i * W, *e2 = theirs + i * W, *f1 = mine + (m + i) * W, *f2 = theirs + (m + i) * W;
    word* z = lv.out[i];
    if (add) {
      for (std::size_t w = 0; w < W; ++w) z[w] = ((e1[w] ^ e2[w]) & y[w]) ^ (a[w] & (f1[w] ^ f2[w])) ^ c[w] ^ add[w];
    } else {
      for (std::size_t w = 0; w < W; ++w) z[w] = ((e1[w] ^ e2[w]) & y[w]) ^ (a[w] & (f1[w] ^ f2[w])) ^ c[w];
    }
  }
}

/// Number of levels of a binary tree over g leaves: ⌈log2 g⌉.
inline std::size_t tree_levels(std::size_t g) {
  std::size_t l = 0;
  while ((std::size_t(1) << l) < g) ++l;
  return l;
}

/// AND gates of the carry tree over g groups: 2·⌊g/2⌋ − 1 per level.
inline std::size_t carry_tree_ands(std::size_t g) {
  std::size_t a = 0;
  for (; g > 1; g = (g + 1) / 2) a += 2 * (g / 2) - 1;
  return a;
}

}  // namespace tfe::bitslice
