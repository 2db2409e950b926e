// tfe/protocol/securenn/bit_shares.hpp: the Z_p shares of the bits of k-bit values that SecureNN's
// helper deals for PrivateCompare (ShareConvert, ComputeMSB, the full-ring DReLU), their layout, and
// how each server holds them.
//
// Layout (block-major). Elements go in blocks of zp_block = 1024 (the last block may be shorter; b is
// a block's size); a block holds its k bit positions as k rows of b bytes, so bit i of element e is at
//   zp_index(e, i, n, k) = e0·k + i·b + (e − e0),   e0 = the start of e's block.
// PrivateCompare's messages to the helper use the same layout (slot t in place of bit i). The block is
// the unit of every kernel: its k × b tile stays in cache, and each row is a loop over the block's
// elements that the compiler vectorizes.
//
// Dealing (the helper knows the values x). Server 0's shares are drawn from a sub-stream forked off
// the stream it shares with the helper, one sample_below call of k·b values per block in block order;
// server 1 receives the bits minus server 0's shares, all blocks in one message of zp_words(n·k)
// words. Server 0 draws a block's shares only when PrivateCompare reaches that block, so it never holds
// all n·k of them (64 MB for 10^6 elements of ring64). Cost: that one message, n·k bytes rounded up
// to whole words (fields.hpp); the paper also sends server 0 its shares, which seed compression saves.
#pragma once

#include "tfe/protocol/securenn/fields.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

namespace tfe::securenn_detail {

/// Elements per block of the layout and of the kernels.
inline constexpr std::size_t zp_block = 1024;

/// Where bit i of element e of n k-bit values lives (see above).
constexpr std::size_t zp_index(std::size_t e, unsigned i, std::size_t n, unsigned k) {
  const std::size_t e0 = e - e % zp_block;
  const std::size_t b = std::min(zp_block, n - e0);
  return e0 * k + static_cast<std::size_t>(i) * b + (e - e0);
}

/// A server's Z_p shares of the bits of n k-bit values: held in full (server 1, or a test), or drawn
/// block by block from a stream (server 0).
class bit_shares {
 public:
  bit_shares() = default;
  /// All n·k shares, block-major, from byte `offset` of `held` on (a received frame is kept as it is).
  bit_shares(zp_vec held, std::size_t n, unsigned k, std::size_t offset = 0)
      : m_held(std::move(held)), m_offset(offset), m_n(n), m_k(k) {
    TFE_ENFORCE(m_held.size() >= offset + n * k, protocol_error, "bit shares: ", m_held.size() - offset, " values for ",
                n, " x ", k, " bits");
  }
  /// Shares drawn from `stream`, k·b values in Z_p per block, in block order.
  bit_shares(prg stream, unsigned p, std::size_t n, unsigned k) : m_stream(std::move(stream)), m_p(p), m_n(n), m_k(k) {}

  /// The held shares' storage (a received frame), emptied: for channel::recycle once PrivateCompare
  /// has read them.
  zp_vec release_storage() {
    zp_vec out = std::move(m_held);
    m_held.clear();
    return out;
  }

  std::size_t n() const { return m_n; }
  unsigned k() const { return m_k; }

  /// The k·b shares of the block that starts at element e0 (rows of b bytes). Blocks drawn from a
  /// stream must be asked for in order, once each; `scratch` holds k·zp_block bytes.
  const std::uint8_t* block(std::size_t e0, std::uint8_t* scratch) {
    const std::size_t b = std::min(zp_block, m_n - e0);
    if (!m_stream) return m_held.data() + m_offset + e0 * m_k;
    TFE_ASSERT(e0 == m_next);
    if (!m_scratch) m_scratch = std::make_unique<sample_scratch>();
    sample_below(*m_stream, m_p, 0, scratch, m_k * b, *m_scratch);
    m_next = e0 + b;
    return scratch;
  }

 private:
  zp_vec m_held;
  std::size_t m_offset = 0;
  std::optional<prg> m_stream;
  std::unique_ptr<sample_scratch> m_scratch;
  unsigned m_p = 0;
  std::size_t m_n = 0, m_next = 0;
  unsigned m_k = 0;
};

/// Z_p shares of the k low bits of n values dealt by the helper (see above): `x` (n values) at the
/// helper, ignored at the servers. Returns this server's shares; the helper gets an empty object.
template <class R, class S>
bit_shares deal_bit_shares(S& s, const R* x, std::size_t n, unsigned k) {
  constexpr unsigned p = prime<R>;
  using F = zp_const<p>;
  const std::size_t m = n * k;
  if (s.id() == helper) {
    prg sub = s.pair_prg(0).fork();
    auto sc = std::make_unique<sample_scratch>();
    s.net().template send_filled<std::uint64_t>(1, zp_words(m), [&](std::uint8_t* out) {
      for (std::size_t e0 = 0; e0 < n; e0 += zp_block) {
        const std::size_t b = std::min(zp_block, n - e0);
        std::uint8_t* blk = out + e0 * k;
        sample_below(sub, p, 0, blk, k * b, *sc);  // server 0's shares; then bit − share in place
        for (unsigned i = 0; i < k; ++i) {
          std::uint8_t* row = blk + static_cast<std::size_t>(i) * b;
          const R* xe = x + e0;
          for (std::size_t e = 0; e < b; ++e) row[e] = F::sub(static_cast<std::uint8_t>((xe[e] >> i) & R(1)), row[e]);
        }
      }
      std::memset(out + m, 0, zp_words(m) * 8 - m);
    });
    return {};
  }
  if (s.id() == 0) return bit_shares(s.pair_prg(helper).fork(), p, n, k);
  auto kept = s.net().template recv_kept<std::uint64_t>(helper);
  TFE_ENFORCE(kept.shape == shape_t{zp_words(m)}, protocol_error, "expected ", zp_words(m),
              " words of bit shares from '", s.name_of(helper), "' but got a tensor of shape ", shape_str(kept.shape));
  return bit_shares(std::move(kept.bytes), n, k, kept.head);
}

}  // namespace tfe::securenn_detail
