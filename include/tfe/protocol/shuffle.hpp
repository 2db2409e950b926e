// tfe/protocol/shuffle.hpp: the optional oblivious-shuffle capability of a protocol, what "shuffle
// then sort" (tfe/stats/sort.hpp) needs beyond the hooks of protocol.hpp.
//
// A protocol offers it by specializing shuffle_hooks<P> (beside its code, e.g. aby3/shuffle.hpp):
//   static parts shuffle_rows(session<P>&, parts x, shape);   the rows (axis 0) of x in an order
//        that is a uniformly random permutation that no single player knows, on fresh shares
//   static std::optional<ring_tensor<R>> reveal_to_servers(session<P>&, parts x, shape);
//        x opened to every player that holds shares (nullopt elsewhere); no other player receives it
//   static bool participates(const session<P>&);   the players that take part in the protocol's ops:
//        the share holders and any player without shares that deals or helps (Pond's crypto producer)
//   static std::size_t announce_count(session<P>&, std::size_t count);   a count the share holders
//        know (a sort level's comparisons), sent to the participants without shares; returns it there
// The capability is a trait, not a member of P: each protocol specializes it beside its code
// (aby3/shuffle.hpp, pond/shuffle.hpp, securenn/shuffle.hpp, plain/shuffle.hpp).
//
// Also here: the uniformly random permutation two players draw from one shared stream, and the
// row gather that applies it.
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/protocol/protocol.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace tfe {

/// Specialized by every protocol that can shuffle (aby3/shuffle.hpp, plain/shuffle.hpp).
template <class P>
struct shuffle_hooks;

/// A protocol with the shuffle capability above.
template <class P>
concept oblivious_shuffle = protocol<P> &&
    requires(session<P>& s, const std::vector<ring_tensor<typename P::ring>>& parts, const shape_t& shape) {
  {
    shuffle_hooks<P>::shuffle_rows(s, parts, shape)
    } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  {
    shuffle_hooks<P>::reveal_to_servers(s, parts, shape)
    } -> std::convertible_to<std::optional<ring_tensor<typename P::ring>>>;
  { shuffle_hooks<P>::participates(s) } -> std::convertible_to<bool>;
  { shuffle_hooks<P>::announce_count(s, std::size_t{}) } -> std::convertible_to<std::size_t>;
};

namespace shuffle_detail {

/// Uniform integers below a bound from a stream, exactly (Lemire's multiply-and-reject): for a
/// 64-bit draw x, j = ⌊x·b / 2^64⌋, rejected when the low half of x·b is below 2^64 mod b. Draws
/// 64-bit words in blocks, so two players on the same stream draw the same numbers.
class bounded_draws {
 public:
  explicit bounded_draws(prg& g) : m_g(&g) {}
  ~bounded_draws() { OPENSSL_cleanse(m_buf.data(), sizeof(m_buf)); }
  bounded_draws(const bounded_draws&) = delete;
  bounded_draws& operator=(const bounded_draws&) = delete;

  std::uint64_t below(std::uint64_t bound) {
    for (;;) {
      const ring128 m = static_cast<ring128>(word()) * bound;
      const auto low = static_cast<std::uint64_t>(m);
      if (low < bound && low < (std::uint64_t{0} - bound) % bound) continue;
      return static_cast<std::uint64_t>(m >> 64);
    }
  }

 private:
  std::uint64_t word() {
    if (m_next == m_buf.size()) {
      m_g->fill_bytes(m_buf.data(), sizeof(m_buf));
      m_next = 0;
    }
    return m_buf[m_next++];
  }
  prg* m_g;
  std::array<std::uint64_t, 1024> m_buf{};
  std::size_t m_next = m_buf.size();
};

/// A uniformly random permutation of 0..n−1 (Fisher–Yates with exact uniform draws).
inline std::vector<std::size_t> random_permutation(prg& g, std::size_t n) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  bounded_draws d(g);
  for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[d.below(i)]);
  return p;
}

/// out row i = t row idx[i], for a tensor whose axis 0 has idx.size() rows (any trailing shape).
template <class R>
ring_tensor<R> gather_rows(const ring_tensor<R>& t, const std::vector<std::size_t>& idx) {
  shape_t shape = shape_of(t);
  const std::size_t w = shape.empty() || shape[0] == 0 ? 0 : t.size() / shape[0];
  shape[0] = idx.size();
  ring_tensor<R> out = ring_tensor<R>::from_shape(shape);
  const R* src = t.data();
  R* dst = out.data();
  for (std::size_t i = 0; i < idx.size(); ++i) std::copy_n(src + idx[i] * w, w, dst + i * w);
  return out;
}

}  // namespace shuffle_detail
}  // namespace tfe
