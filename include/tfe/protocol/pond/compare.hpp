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
// Bits are bit-sliced: row i holds bit i of every element, 64 elements per word, so one AND "gate"
// instruction serves 64 values and the opened bits are sent densely.
//
// Cost per server for n values of width k (k = 32 with the ring64 preset: 15 integral + 16
// fractional + 1 sign bits; k + 1 for differences), online:
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
#include "tfe/tensor.hpp"

#include <cstdint>
#include <vector>

namespace tfe {

/// XOR-shared (or public) bits, bit-sliced: rows × words, row i = bit i of elements 0..n-1.
struct bit_rows {
  std::size_t rows = 0, words = 0;
  xt::xarray<std::uint64_t> data;  // 1-D, rows * words

  bit_rows() = default;
  bit_rows(std::size_t r, std::size_t w) : rows(r), words(w), data(xt::zeros<std::uint64_t>(shape_t{r * w})) {}
  std::uint64_t* row(std::size_t i) { return data.data() + i * words; }
  const std::uint64_t* row(std::size_t i) const { return data.data() + i * words; }
};

template <class P>
struct pond_compare {
  using R = typename P::ring;
  using T = ring_traits<R>;
  using parts_type = std::vector<ring_tensor<R>>;
  using session_type = session<P>;
  static constexpr std::size_t dealer = 2;

  /// Shares of [x < 0] as ring integers, for x in the `width`-bit two's-complement range.
  static parts_type sign_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > dealer) return {};
    auto scope = s.op_scope("pond_sign");
    const std::size_t k = width;
    TFE_ENFORCE(k >= 2 && k <= T::bits, protocol_error, "sign bit width ", k, " is not in [2, ", T::bits, "]");
    auto [c_bits, r_bits] = open_masked(s, x, shape, k);
    const std::size_t W = c_bits.words;
    // b = ¬r: server 0 flips its share (a public NOT); p = c ⊕ b (server 0 adds the public c), g = c ∧ b.
    bit_rows p(k, W), g(k, W);
    for (std::size_t i = 0; i < k; ++i) {
      const std::uint64_t* c = c_bits.row(i);
      const std::uint64_t* r = r_bits.row(i);
      std::uint64_t* pi = p.row(i);
      std::uint64_t* gi = g.row(i);
      for (std::size_t w = 0; w < W; ++w) {
        std::uint64_t b = s.id() == 0 ? ~r[w] : r[w];
        gi[w] = c[w] & b;
        pi[w] = s.id() == 0 ? (c[w] ^ b) : b;
      }
    }
    // Fold the carry-in 1 into position 0: carry out of bit 0 is g0 ∨ p0 = g0 ⊕ p0.
    for (std::size_t w = 0; w < W; ++w) g.row(0)[w] ^= p.row(0)[w];
    // Carry tree over positions 0..k-2; groups are (G rows, P rows), the lowest group needs no P.
    std::vector<std::size_t> gi(k - 1);
    for (std::size_t i = 0; i + 1 < k; ++i) gi[i] = i;
    bit_rows G = select_rows(g, gi), Pr = select_rows(p, gi);
    std::size_t groups = k - 1;
    while (groups > 1) {
      const std::size_t pairs = groups / 2;
      // ANDs of this level: P_hi ∧ G_lo for every pair, P_hi ∧ P_lo for every pair but the lowest.
      bit_rows lhs(2 * pairs - 1, W), rhs(2 * pairs - 1, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        copy_row(lhs, j, Pr, 2 * j + 1);
        copy_row(rhs, j, G, 2 * j);
        if (j > 0) {
          copy_row(lhs, pairs + j - 1, Pr, 2 * j + 1);
          copy_row(rhs, pairs + j - 1, Pr, 2 * j);
        }
      }
      bit_rows prod = and_rows(s, lhs, rhs);
      const std::size_t next = pairs + (groups % 2);
      bit_rows G2(next, W), P2(next, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        for (std::size_t w = 0; w < W; ++w) G2.row(j)[w] = G.row(2 * j + 1)[w] ^ prod.row(j)[w];
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
    // sign = p_{k-1} ⊕ carry_{k-1}
    bit_rows sign(1, W);
    for (std::size_t w = 0; w < W; ++w) sign.row(0)[w] = p.row(k - 1)[w] ^ G.row(0)[w];
    return bits_to_arith(s, sign, shape);
  }

  /// Shares of [x = 0] as ring integers, for x in the `width`-bit range.
  static parts_type zero_bit(session_type& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > dealer) return {};
    auto scope = s.op_scope("pond_is_zero");
    const std::size_t k = width;
    auto [c_bits, r_bits] = open_masked(s, x, shape, k);
    const std::size_t W = c_bits.words;
    // q_i = ¬(c_i ⊕ r_i): server 0 applies the public c and the NOT.
    bit_rows q(k, W);
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t w = 0; w < W; ++w)
        q.row(i)[w] = s.id() == 0 ? ~(c_bits.row(i)[w] ^ r_bits.row(i)[w]) : r_bits.row(i)[w];
    std::size_t rows = k;
    while (rows > 1) {
      const std::size_t pairs = rows / 2;
      bit_rows lhs(pairs, W), rhs(pairs, W);
      for (std::size_t j = 0; j < pairs; ++j) {
        copy_row(lhs, j, q, 2 * j);
        copy_row(rhs, j, q, 2 * j + 1);
      }
      bit_rows prod = and_rows(s, lhs, rhs);
      const std::size_t next = pairs + rows % 2;
      bit_rows q2(next, W);
      for (std::size_t j = 0; j < pairs; ++j) copy_row(q2, j, prod, j);
      if (rows % 2) copy_row(q2, next - 1, q, rows - 1);
      q = std::move(q2);
      rows = next;
    }
    return bits_to_arith(s, q, shape);
  }

 private:
  static std::size_t words_for(std::size_t n) { return (n + 63) / 64; }

  static bit_rows select_rows(const bit_rows& b, const std::vector<std::size_t>& idx) {
    bit_rows out(idx.size(), b.words);
    for (std::size_t j = 0; j < idx.size(); ++j) copy_row(out, j, b, idx[j]);
    return out;
  }
  static void copy_row(bit_rows& dst, std::size_t i, const bit_rows& src, std::size_t j) {
    std::copy(src.row(j), src.row(j) + src.words, dst.row(i));
  }

  /// Transposes a 64×64 bit matrix in place: afterwards bit j of a[i] is bit i of the old a[j]
  /// (the recursive block-swap of Hacker's Delight, 6·32 word operations instead of 4096 bit moves).
  static void transpose64(std::uint64_t a[64]) {
    std::uint64_t m = 0x00000000FFFFFFFFULL;
    for (int j = 32; j != 0; j >>= 1, m ^= (m << j)) {
      for (int i = 0; i < 64; i = ((i | j) + 1) & ~j) {
        const std::uint64_t t = ((a[i] >> j) ^ a[i | j]) & m;
        a[i] ^= t << j;
        a[i | j] ^= t;
      }
    }
  }

  /// Bit-slices the low k bits of every element.
  static bit_rows to_rows(const ring_tensor<R>& v, std::size_t k) {
    const std::size_t n = v.size(), W = words_for(n);
    bit_rows out(k, W);
    if constexpr (std::is_trivially_copyable_v<R>) {
      // 64 elements at a time, one 64-bit slice of the ring word at a time.
      std::uint64_t blk[64];
      for (std::size_t w = 0; w < W; ++w) {
        const std::size_t base = w * 64, cnt = std::min<std::size_t>(64, n - base);
        for (std::size_t h = 0; 64 * h < k; ++h) {
          for (std::size_t j = 0; j < cnt; ++j) blk[j] = static_cast<std::uint64_t>(v.data()[base + j] >> (64 * h));
          for (std::size_t j = cnt; j < 64; ++j) blk[j] = 0;
          transpose64(blk);
          const std::size_t rows = std::min<std::size_t>(64, k - 64 * h);
          for (std::size_t i = 0; i < rows; ++i) out.row(64 * h + i)[w] = blk[i];
        }
      }
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        const R x = v.data()[j];
        const std::uint64_t m = std::uint64_t(1) << (j % 64);
        for (std::size_t i = 0; i < k; ++i)
          if (boost::multiprecision::bit_test(x, static_cast<unsigned>(i))) out.row(i)[j / 64] |= m;
      }
    }
    return out;
  }

  static xt::xarray<std::uint64_t> words(prg& g, std::size_t n) { return g.template uniform<std::uint64_t>(shape_t{n}); }

  static xt::xarray<std::uint64_t> recv_words(session_type& s, std::size_t from, std::size_t n) {
    auto t = s.net().template recv<std::uint64_t>(from);
    TFE_ENFORCE(t.size() == n, protocol_error, "expected ", n, " words from '", s.name_of(from), "' but got ", t.size());
    return t;
  }

  /// The dealer deals r (arithmetic shares + XOR-shared low k bits); the servers open c = x + r.
  /// Returns (public bits of c, this server's share of the bits of r); the dealer gets zero rows.
  static std::pair<bit_rows, bit_rows> open_masked(session_type& s, const parts_type& x, const shape_t& shape, std::size_t k) {
    const std::size_t n = shape_size(shape), W = words_for(n);
    if (s.id() == dealer) {
      ring_tensor<R> r = s.private_prg().template uniform<R>(shape);
      auto r0 = s.pair_prg(0).template uniform<R>(shape);
      s.net().send(1, ring_tensor<R>(r - r0));
      bit_rows rb = to_rows(r, k);
      auto rb0 = words(s.pair_prg(0), k * W);
      s.net().send(1, xt::xarray<std::uint64_t>(rb.data ^ rb0));
      return {bit_rows(k, W), bit_rows(k, W)};
    }
    ring_tensor<R> r_i = s.id() == 0 ? s.pair_prg(dealer).template uniform<R>(shape) : P::recv_checked(s, dealer, shape);
    bit_rows rb(k, W);
    rb.data = s.id() == 0 ? words(s.pair_prg(dealer), k * W) : recv_words(s, dealer, k * W);
    const std::size_t other = 1 - s.id();
    ring_tensor<R> masked = x.at(0) + r_i;
    s.net().send(other, masked);
    ring_tensor<R> c = masked + P::recv_checked(s, other, shape);
    return {to_rows(c, k), std::move(rb)};
  }

  /// Row-wise AND of XOR-shared bits with dealt Beaver bit-triples: 1 round, both operands opened
  /// in one message of 2·rows·words words per server; the dealer sends rows·words words to server 1.
  static bit_rows and_rows(session_type& s, const bit_rows& lhs, const bit_rows& rhs) {
    const std::size_t n = lhs.rows * lhs.words;
    bit_rows out(lhs.rows, lhs.words);
    if (s.id() == dealer) {
      auto a0 = words(s.pair_prg(0), n), b0 = words(s.pair_prg(0), n), c0 = words(s.pair_prg(0), n);
      auto a1 = words(s.pair_prg(1), n), b1 = words(s.pair_prg(1), n);
      s.net().send(1, xt::xarray<std::uint64_t>(((a0 ^ a1) & (b0 ^ b1)) ^ c0));
      return out;
    }
    auto a = words(s.pair_prg(dealer), n), b = words(s.pair_prg(dealer), n);
    xt::xarray<std::uint64_t> c = s.id() == 0 ? words(s.pair_prg(dealer), n) : recv_words(s, dealer, n);
    xt::xarray<std::uint64_t> ef = xt::zeros<std::uint64_t>(shape_t{2 * n});
    for (std::size_t i = 0; i < n; ++i) {
      ef.data()[i] = lhs.data.data()[i] ^ a.data()[i];
      ef.data()[n + i] = rhs.data.data()[i] ^ b.data()[i];
    }
    const std::size_t other = 1 - s.id();
    s.net().send(other, ef);
    auto theirs = recv_words(s, other, 2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t e = ef.data()[i] ^ theirs.data()[i], f = ef.data()[n + i] ^ theirs.data()[n + i];
      std::uint64_t z = c.data()[i] ^ (e & b.data()[i]) ^ (a.data()[i] & f);
      if (s.id() == 0) z ^= e & f;
      out.data.data()[i] = z;
    }
    return out;
  }

  /// XOR-shared bits (one row) to arithmetic shares of 0/1 with a dealt random bit t: 1 round,
  /// the servers open u = b ⊕ t (one word per 64 values).
  static parts_type bits_to_arith(session_type& s, const bit_rows& bits, const shape_t& shape) {
    const std::size_t n = shape_size(shape), W = words_for(n);
    if (s.id() == dealer) {
      auto t = words(s.private_prg(), W);
      auto t0 = words(s.pair_prg(0), W);
      s.net().send(1, xt::xarray<std::uint64_t>(t ^ t0));
      ring_tensor<R> ta(shape);
      for (std::size_t j = 0; j < n; ++j) ta.data()[j] = ((t.data()[j / 64] >> (j % 64)) & 1u) ? T::one() : T::zero();
      auto ta0 = s.pair_prg(0).template uniform<R>(shape);
      s.net().send(1, ring_tensor<R>(ta - ta0));
      return {};
    }
    auto t = s.id() == 0 ? words(s.pair_prg(dealer), W) : recv_words(s, dealer, W);
    ring_tensor<R> ta = s.id() == 0 ? s.pair_prg(dealer).template uniform<R>(shape) : P::recv_checked(s, dealer, shape);
    xt::xarray<std::uint64_t> u = xt::zeros<std::uint64_t>(shape_t{W});
    for (std::size_t w = 0; w < W; ++w) u.data()[w] = bits.row(0)[w] ^ t.data()[w];
    const std::size_t other = 1 - s.id();
    s.net().send(other, u);
    auto theirs = recv_words(s, other, W);
    ring_tensor<R> out(shape);
    for (std::size_t j = 0; j < n; ++j) {
      const bool uj = ((u.data()[j / 64] ^ theirs.data()[j / 64]) >> (j % 64)) & 1u;
      const R tj = ta.data()[j];
      // [b] = u + [t] − 2u[t]
      out.data()[j] = uj ? R((s.id() == 0 ? T::one() : T::zero()) - tj) : tj;
    }
    return {std::move(out)};
  }
};

}  // namespace tfe
