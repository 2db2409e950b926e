// tfe/protocol/pond/truncation.hpp: Pond's exact truncation (truncation_mode::exact), also SecureNN's;
// the arithmetic and its proof are in protocol/exact_truncation.hpp.
//
// Server 0 holds a = x_0 + 2^(ℓ−2), server 1 holds b = x_1, so a + b = x + 2^(ℓ−2) = x' (mod 2^ℓ).
// The wrap bit w = u ∨ v = u + v − u·v (u = msb(a) at server 0, v = msb(b) at server 1) is shared
// mod 2^f with one Beaver-style product of two privately held values, dealt by the crypto producer
// (SecureNN's helper) from the streams it shares with each server:
//   server 0 draws α, γ_0 from F_{0,cp}; server 1 draws β from F_{1,cp}; the producer draws the same
//     and sends γ_1 = α·β − γ_0 to server 1 (offline-able: it depends on no input);
//   server 0 sends U = u + α to server 1, server 1 sends V = v + β to server 0 (one round);
//   server 0: t_0 = U·V − α·V + γ_0, server 1: t_1 = −U·β + γ_1, so t_0 + t_1 = (U − α)(V − β) = u·v;
//   w_0 = u − t_0, w_1 = v − t_1 (mod 2^f), and
//   y_0 = ⌊a/2^f⌋ − w_0·2^(ℓ−f) − 2^(ℓ−2−f),   y_1 = ⌈b/2^f⌉ − w_1·2^(ℓ−f).
// y_0 + y_1 = ⌊x/2^f⌋ + {0, 1} for every |x| < 2^(ℓ−2).
//
// Security: server 0 sees V (masked by β), server 1 sees U (masked by α) and γ_1 (masked by γ_0);
// the producer receives nothing. All values are mod 2^(8k) with k = value_bytes(f).
// Cost (n elements, k = 2 on the ring64 preset; pond/costs.hpp): 1 round; server 0, server 1 and
// the producer each send n·k bytes (rounded up to whole 8-byte words), one message each.
#pragma once

#include "tfe/config.hpp"
#include "tfe/protocol/exact_truncation.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/ring_tensor.hpp"

#include <cstddef>

namespace tfe {

template <class R>
struct pond_exact_truncation {
  static_assert(exact_truncation::supported<R>);
  static constexpr std::size_t producer = 2;  // Pond's crypto producer, SecureNN's helper

  template <class S>
  static std::vector<ring_tensor<R>> truncate(S& s, const std::vector<ring_tensor<R>>& x, const shape_t& shape) {
    const unsigned f = s.fixed_point().frac_bits;
    const std::size_t n = shape_size(shape), me = s.id();
    if (me == producer) {
      const auto alpha = exact_truncation::draw_values(s.pair_prg(0), n, f);
      const auto gamma0 = exact_truncation::draw_values(s.pair_prg(0), n, f);
      const auto beta = exact_truncation::draw_values(s.pair_prg(1), n, f);
      exact_truncation::packed_values gamma1(n, f);
      exact_truncation::with_value_bytes(f, [&](auto width) {
        constexpr std::size_t W = decltype(width)::value;
        for (std::size_t i = 0; i < n; ++i)
          gamma1.template set<W>(i, alpha.template get<W>(i) * beta.template get<W>(i) - gamma0.template get<W>(i));
      });
      exact_truncation::send_values(s, 1, gamma1);
      return {};
    }
    if (me > 1) return {};  // input/output players
    TFE_ENFORCE(x.size() == 1 && x[0].size() == n, protocol_error, "exact truncation: server '", s.name(),
                "' holds no share of shape ", shape_str(shape));
    const R* xp = x[0].data();
    auto y = ring_tensor<R>::from_shape(shape);
    R* yp = y.data();
    const R off = exact_truncation::offset<R>();
    // Server 0: α then γ_0; server 1: β (the producer draws them in the same order).
    const auto mask = exact_truncation::draw_values(s.pair_prg(producer), n, f);
    exact_truncation::packed_values masked(n, f);
    exact_truncation::with_value_bytes(f, [&](auto width) {
      constexpr std::size_t W = decltype(width)::value;
      for (std::size_t i = 0; i < n; ++i) {
        const R piece = me == 0 ? R(xp[i] + off) : xp[i];
        masked.template set<W>(i, exact_truncation::msb(piece) + mask.template get<W>(i));  // U or V
      }
    });
    exact_truncation::send_values(s, 1 - me, masked);
    const auto theirs = exact_truncation::recv_values(s, 1 - me, n, f);
    if (me == 0) {
      const auto gamma0 = exact_truncation::draw_values(s.pair_prg(producer), n, f);
      const R off_t = exact_truncation::offset_truncated<R>(f);
      exact_truncation::with_value_bytes(f, [&](auto width) {
        constexpr std::size_t W = decltype(width)::value;
        for (std::size_t i = 0; i < n; ++i) {
          const R a = R(xp[i] + off);
          const std::uint64_t u = exact_truncation::msb(a), alpha = mask.template get<W>(i);
          const std::uint64_t U = u + alpha, V = theirs.template get<W>(i);
          const std::uint64_t w0 = u - (U * V - alpha * V + gamma0.template get<W>(i));
          yp[i] = R(exact_truncation::floor_shift(a, f) - exact_truncation::to_top<R>(w0, f) - off_t);
        }
      });
    } else {
      const auto gamma1 = exact_truncation::recv_values(s, producer, n, f);
      exact_truncation::with_value_bytes(f, [&](auto width) {
        constexpr std::size_t W = decltype(width)::value;
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint64_t v = exact_truncation::msb(xp[i]), beta = mask.template get<W>(i);
          const std::uint64_t U = theirs.template get<W>(i);
          const std::uint64_t w1 = v - (gamma1.template get<W>(i) - U * beta);
          yp[i] = R(exact_truncation::ceil_shift(xp[i], f) - exact_truncation::to_top<R>(w1, f));
        }
      });
    }
    return moved_parts(std::move(y));
  }
};

}  // namespace tfe
