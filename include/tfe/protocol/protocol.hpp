// tfe/protocol/protocol.hpp: what a protocol type must provide, as a C++20 concept.
//
// A protocol P is a struct template over the ring (plain<R>, pond<R>, ...). Ops in tfe/ops/ are
// written once against this interface; every player calls every hook (eager SPMD), and a hook returns
// empty parts at players that hold no share. "parts" are this player's share components
// (std::vector<ring_tensor<R>>); every component is an additive piece of the value, which is what
// lets linear and structural ops work component by component without the protocol.
//
//   using ring = R;                      the ring Z_2^k
//   static constexpr std::size_t min_players;
//   static std::string name();           e.g. "pond<ring64>"
//   static std::string roles();          the role of each leading player, for error messages
//   static std::vector<std::string> default_players();   the protocol's own players, in role order
//   struct state { state(); explicit state(session<P>&); };   per-player protocol state
//   static int public_component(const session<P>&);      which part absorbs a public constant (-1: none)
//   static parts zero_parts(const session<P>&, shape);    a sharing of zero (no communication)
//   static parts share_input(session<P>&, owner, const ring_tensor<R>* value_at_owner, shape);
//   static std::optional<ring_tensor<R>> reveal(session<P>&, parts, shape, receiver);
//   static ring_tensor<R> reveal_all(session<P>&, parts, shape);
//   template <class Op> static parts bilinear(session<P>&, x, y, x_shape, y_shape, z_shape, Op op);
//        z = op(x, y) for a bilinear op on ring tensors (elementwise product, matmul, conv2d); NO truncation
//   struct mask_type; static mask_type mask(session<P>&, parts, shape);
//   template <class Op> static parts bilinear_masked(session<P>&, const parts* x, const mask_type* xm,
//        const parts* y, const mask_type* ym, x_shape, y_shape, z_shape, Op op);   (a null mask = fresh)
//   static parts truncate(session<P>&, parts, shape);     divide by 2^frac_bits (fixed-point rescale)
//   static parts sign_bit(session<P>&, parts, shape, unsigned width);   shares of [x < 0] as integers
//        0/1, for x in the width-bit two's-complement range (width = ring bits for the full range)
//   static parts zero_bit(session<P>&, parts, shape, unsigned width);   shares of [x == 0]
//   optional: template <class Op> static parts bilinear_truncated(...same as bilinear_masked...);
//        op(x, y) / 2^frac_bits in one step (concept fused_truncation)
//
// Every hook documents its math, its paper and its cost (rounds, elements per player) above its code.
#pragma once

#include "tfe/session.hpp"

#include <concepts>
#include <optional>
#include <string>

namespace tfe {

namespace detail {
/// A bilinear op on ring tensors, only to state the product hooks' requirements in the concept (the
/// hooks are templates over the op: elementwise product, matmul, conv2d). Never defined or called.
template <class R>
struct bilinear_probe {
  ring_tensor<R> operator()(const ring_tensor<R>&, const ring_tensor<R>&) const;
};
}  // namespace detail

/// Every hook the ops call (the table at the top of this header). The ops in tfe/ops/ and the
/// session are constrained with it, so a protocol that misses a hook fails where it is used, with
/// this concept named in the error.
template <class P>
concept protocol = requires(session<P>& s, const session<P>& cs,
                            const std::vector<ring_tensor<typename P::ring>>& parts, const typename P::mask_type& m,
                            const shape_t& shape, std::size_t player, unsigned width,
                            detail::bilinear_probe<typename P::ring> op) {
  typename P::ring;
  typename P::state;
  typename P::mask_type;
  { P::min_players } -> std::convertible_to<std::size_t>;
  { P::name() } -> std::convertible_to<std::string>;
  { P::roles() } -> std::convertible_to<std::string>;
  { P::default_players() } -> std::convertible_to<std::vector<std::string>>;
  { P::public_component(cs) } -> std::convertible_to<int>;
  { P::zero_parts(cs, shape) } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::share_input(s, player, nullptr, shape) } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::reveal(s, parts, shape, player) } -> std::convertible_to<std::optional<ring_tensor<typename P::ring>>>;
  { P::reveal_all(s, parts, shape) } -> std::convertible_to<ring_tensor<typename P::ring>>;
  {
    P::bilinear(s, parts, parts, shape, shape, shape, op)
    } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::mask(s, parts, shape) } -> std::convertible_to<typename P::mask_type>;
  {
    P::bilinear_masked(s, &parts, &m, &parts, nullptr, shape, shape, shape, op)
    } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::truncate(s, parts, shape) } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::sign_bit(s, parts, shape, width) } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
  { P::zero_bit(s, parts, shape, width) } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
};

/// The optional fused product-and-truncation hook (ABY3): detail::truncated_product uses it when
/// present, else bilinear_masked then truncate.
template <class P>
concept fused_truncation = protocol<P> &&
    requires(session<P>& s, const std::vector<ring_tensor<typename P::ring>>& parts, const typename P::mask_type& m,
             const shape_t& shape, detail::bilinear_probe<typename P::ring> op) {
  {
    P::bilinear_truncated(s, &parts, &m, &parts, nullptr, shape, shape, shape, op)
    } -> std::convertible_to<std::vector<ring_tensor<typename P::ring>>>;
};

/// The masking hooks of a protocol that opens nothing in a product (plain, ABY3): an operand's mask
/// is empty and a product with masked operands is the ordinary bilinear product. P derives from
/// unmasked_products<P>.
template <class P>
struct unmasked_products {
  struct mask_type {};
  template <class S, class Parts>
  static mask_type mask(S&, const Parts&, const shape_t&) {
    return {};
  }
  template <class S, class Parts, class Op>
  static Parts bilinear_masked(S& s, const Parts* x, const mask_type*, const Parts* y, const mask_type*,
                               const shape_t& xs, const shape_t& ys, const shape_t& zs, Op&& op) {
    return P::bilinear(s, *x, *y, xs, ys, zs, op);
  }
};

}  // namespace tfe
