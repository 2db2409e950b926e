// tfe/ops/nonlinear.hpp: exact comparisons, ReLU, selection and max, generic over protocols.
//
// Every protocol provides one nonlinear primitive, the sign bit:
//   P::sign_bit(session, parts, shape, width) -> shares of [x < 0] as ring integers 0/1 (not scaled)
// where width is the number of low bits that decide the sign: session.fixed_point().used_bits() for
// values in the fixed-point range (cheaper), or the ring's full width. Everything here is built from
// it and from the bilinear routine, with no truncation where the math is exact:
//   relu(x)        = x − x · [x<0]                      sign + 1 product, exact
//   maximum(x, y)  = x − (x − y) · [x−y < 0]            sign + 1 product, exact
//   less(x, y)     = [x − y < 0] as fixed point 0.0/1.0 sign, exact
//   select(c, x, y)= y + c · (x − y)                    1 product + truncation (c from a comparison)
//   max / argmax along an axis: a tournament of ⌈log2 n⌉ levels of maximum
//   max_pool2d: windows gathered locally, then max over each window.
// Costs are the protocol's sign-bit cost plus one bilinear round per product (see each protocol).
#pragma once

#include "tfe/ops/conv.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/tensor_ops.hpp"

namespace tfe {

/// Which bits decide a sign: the fixed-point range (default, cheaper) or the whole ring.
enum class sign_width { fixed_point_range, full };

namespace detail {

/// Bits that decide the sign. In the fixed-point range a value needs used_bits(); a difference of two
/// such values needs one more (`difference`), which comparisons and max use.
template <protocol P>
unsigned width_bits(const session<P>& s, sign_width w, bool difference = false) {
  constexpr unsigned ring_bits = ring_traits<typename P::ring>::bits;
  if (w == sign_width::full) return ring_bits;
  return std::min(ring_bits, s.fixed_point().used_bits() + (difference ? 1u : 0u));
}

/// Shares of [x < 0] as integers 0/1, for x in the `width`-bit two's-complement range.
template <protocol P>
private_tensor<P> sign_bit(const private_tensor<P>& x, unsigned width) {
  auto scope = x.sess().op_scope("sign");
  return private_tensor<P>(x.sess(), x.shape(), P::sign_bit(x.sess(), x.parts(), x.shape(), width));
}

/// Shares of [x < 0] as integers 0/1.
template <protocol P>
private_tensor<P> sign_bit(const private_tensor<P>& x, sign_width w, bool difference = false) {
  return sign_bit(x, width_bits(x.sess(), w, difference));
}

/// Shares of [x == 0] as integers 0/1.
template <protocol P>
private_tensor<P> zero_bit(const private_tensor<P>& x, sign_width w) {
  auto scope = x.sess().op_scope("is_zero");
  return private_tensor<P>(x.sess(), x.shape(),
                           P::zero_bit(x.sess(), x.parts(), x.shape(), width_bits(x.sess(), w, true)));
}

/// An integer constant (not fixed-point scaled) added to a sharing, e.g. 1 − bit.
template <protocol P>
private_tensor<P> add_int(const private_tensor<P>& x, std::int64_t k) {
  ring_tensor<typename P::ring> c(shape_t{});
  c() = ring_traits<typename P::ring>::from_int(k);
  return add_public(x, c, "add_int");
}

/// Elementwise product without truncation (one operand is an integer bit).
template <protocol P>
private_tensor<P> mul_exact(const private_tensor<P>& a, const private_tensor<P>& b) {
  TFE_ENFORCE(a.shape() == b.shape(), shape_error, "mul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
              " differ");
  auto prod =
      P::bilinear(a.sess(), a.parts(), b.parts(), a.shape(), b.shape(), a.shape(), ring_ops::elementwise_product{});
  return private_tensor<P>(a.sess(), a.shape(), std::move(prod));
}

/// a − b for private tensors of b's shape (a broadcast to it), computed in b's storage: b is a
/// temporary (a product), so the difference costs no allocation. Local, component by component.
template <protocol P>
private_tensor<P> sub_into(const private_tensor<P>& a, private_tensor<P> b) {
  using R = typename P::ring;
  check_same_session(a.sess(), b.sess(), "sub");
  for (std::size_t i = 0; i < b.parts().size(); ++i) {
    ring_tensor<R>& bp = b.parts()[i];
    const ring_tensor<R>& ai = a.parts().at(i);
    ring_tensor<R> ab;  // a broadcast copy of a's part, only if it needs one
    const R* ap = ai.data();
    if (shape_of(ai) != shape_of(bp)) {
      ab = broadcast_to<R>(ai, shape_of(bp));
      ap = ab.data();
    }
    R* out = bp.data();
    for (std::size_t j = 0; j < bp.size(); ++j) out[j] = R(ap[j] - out[j]);
  }
  return b;
}

/// An integer 0/1 bit as a fixed-point 0.0/1.0 (local: multiply by 2^f).
template <protocol P>
private_tensor<P> bit_to_fixed(const private_tensor<P>& b) {
  return mul_int(b, std::int64_t(1) << b.sess().fixed_point().frac_bits);
}

template <protocol P>
private_tensor<P> broadcast(const private_tensor<P>& x, const shape_t& shape) {
  broadcast_shapes(x.shape(), shape, "broadcast");
  return map_parts(x, shape, [&](const auto& p) { return broadcast_to<typename P::ring>(p, shape); });
}

/// Windows of x as max_pool2d sees them: under SAME padding, out-of-image positions hold the most
/// negative in-range value −(2^(i+f) − 1) so they never win against an in-image value (ties aside).
template <protocol P>
private_tensor<P> max_pool_windows(const private_tensor<P>& x, std::array<std::size_t, 2> pool,
                                   std::array<std::size_t, 2> strides, padding pad) {
  using R = typename P::ring;
  using T = ring_traits<R>;
  auto windows = pool_windows(x, pool, strides, pad);
  if (pad != padding::same) return windows;
  const auto& xs = x.shape();
  auto g = ring_ops::conv2d_geometry(xs[1], xs[2], pool[0], pool[1], strides[0], strides[1], pad);
  const auto& fp = x.sess().fixed_point();
  const R low = T::neg(R(T::shl(T::one(), fp.int_bits + fp.frac_bits) - T::one()));
  ring_tensor<R> off = xt::zeros<R>({std::size_t(1), g.out_h, g.out_w, pool[0] * pool[1], std::size_t(1)});
  bool any = false;
  for (std::size_t oy = 0; oy < g.out_h; ++oy)
    for (std::size_t ox = 0; ox < g.out_w; ++ox)
      for (std::size_t dy = 0; dy < pool[0]; ++dy)
        for (std::size_t dx = 0; dx < pool[1]; ++dx) {
          long y = static_cast<long>(oy * strides[0] + dy) - static_cast<long>(g.pad_top);
          long xx = static_cast<long>(ox * strides[1] + dx) - static_cast<long>(g.pad_left);
          if (y < 0 || xx < 0 || y >= static_cast<long>(xs[1]) || xx >= static_cast<long>(xs[2])) {
            off(0, oy, ox, dy * pool[1] + dx, 0) = low;
            any = true;
          }
        }
  if (any) windows = windows + public_tensor<P>(x.sess(), std::move(off));
  return windows;
}

}  // namespace detail

// ---- ReLU ------------------------------------------------------------------------------------------

/// Exact ReLU: max(x, 0).
template <protocol P>
private_tensor<P> relu(const private_tensor<P>& x, sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("relu");
  return detail::sub_into(x, detail::mul_exact(x, detail::sign_bit(x, w)));
}

/// The derivative of ReLU as fixed point 0.0/1.0: [x >= 0] (relu'(0) = 1, as SecureNN's DReLU).
template <protocol P>
private_tensor<P> relu_derivative(const private_tensor<P>& x, sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("relu_derivative");
  return detail::bit_to_fixed(detail::add_int(-detail::sign_bit(x, w), 1));
}

// ---- comparisons (results are fixed-point 0.0 / 1.0) ------------------------------------------

template <protocol P>
private_tensor<P> less(const private_tensor<P>& x, const private_tensor<P>& y,
                       sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("less");
  return detail::bit_to_fixed(detail::sign_bit(x - y, w, true));
}
template <protocol P>
private_tensor<P> greater(const private_tensor<P>& x, const private_tensor<P>& y,
                          sign_width w = sign_width::fixed_point_range) {
  return less(y, x, w);
}
template <protocol P>
private_tensor<P> less_equal(const private_tensor<P>& x, const private_tensor<P>& y,
                             sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("less_equal");
  return detail::bit_to_fixed(detail::add_int(-detail::sign_bit(y - x, w, true), 1));
}
template <protocol P>
private_tensor<P> greater_equal(const private_tensor<P>& x, const private_tensor<P>& y,
                                sign_width w = sign_width::fixed_point_range) {
  return less_equal(y, x, w);
}
template <protocol P>
private_tensor<P> equal(const private_tensor<P>& x, const private_tensor<P>& y,
                        sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("equal");
  return detail::bit_to_fixed(detail::zero_bit(x - y, w));
}

// Comparisons with public values and scalars reduce to the private ones through x - c.
template <protocol P>
private_tensor<P> less(const private_tensor<P>& x, double c) {
  auto scope = x.sess().op_scope("less");
  return detail::bit_to_fixed(detail::sign_bit(x - c, sign_width::fixed_point_range, true));
}
template <protocol P>
private_tensor<P> greater(const private_tensor<P>& x, double c) {
  auto scope = x.sess().op_scope("greater");
  return detail::bit_to_fixed(detail::sign_bit(c - x, sign_width::fixed_point_range, true));
}

template <protocol P>
private_tensor<P> operator<(const private_tensor<P>& x, const private_tensor<P>& y) {
  return less(x, y);
}
template <protocol P>
private_tensor<P> operator>(const private_tensor<P>& x, const private_tensor<P>& y) {
  return greater(x, y);
}
template <protocol P>
private_tensor<P> operator<=(const private_tensor<P>& x, const private_tensor<P>& y) {
  return less_equal(x, y);
}
template <protocol P>
private_tensor<P> operator>=(const private_tensor<P>& x, const private_tensor<P>& y) {
  return greater_equal(x, y);
}

// ---- selection and max ------------------------------------------------------------------------

/// c ? x : y elementwise, for a condition c holding 0.0 or 1.0 (as comparisons return); broadcasting.
template <protocol P>
private_tensor<P> select(const private_tensor<P>& c, const private_tensor<P>& x, const private_tensor<P>& y) {
  auto scope = x.sess().op_scope("select");
  return y + c * (x - y);
}

/// Elementwise maximum, exact.
template <protocol P>
private_tensor<P> maximum(const private_tensor<P>& x, const private_tensor<P>& y,
                          sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("maximum");
  detail::broadcast_shapes(x.shape(), y.shape(), "maximum");  // names this op if the shapes do not broadcast
  auto d = x - y;                                             // of the broadcast shape
  return detail::sub_into(x, detail::mul_exact(d, detail::sign_bit(d, w, true)));
}

/// Maximum along `axis` (removed from the shape): ⌈log2 n⌉ levels, each one sign + one product over
/// all pairs of the level at once.
template <protocol P>
private_tensor<P> max(const private_tensor<P>& x, long axis = -1, sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("max");
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "max");
  TFE_ENFORCE(x.shape()[a] > 0, shape_error, "max over an empty axis of shape ", shape_str(x.shape()));
  private_tensor<P> cur = x;
  while (cur.shape()[a] > 1) {
    std::size_t n = cur.shape()[a], half = n / 2;
    auto lo = slice(cur, static_cast<long>(a), 0, half);
    auto hi = slice(cur, static_cast<long>(a), half, 2 * half);
    auto m = maximum(lo, hi, w);
    cur = (n % 2) ? concat(std::vector<private_tensor<P>>{m, slice(cur, static_cast<long>(a), n - 1, n)},
                           static_cast<long>(a))
                  : m;
  }
  std::vector<long> s;
  for (std::size_t d = 0; d < cur.ndim(); ++d)
    if (d != a) s.push_back(static_cast<long>(cur.shape()[d]));
  return reshape(cur, s);
}

/// Index of the maximum along `axis` (as fixed-point integers; the first index among ties wins).
/// A tournament like max(), carrying the indices: each level selects values and indices with the
/// same comparison bit, in one product round (the two products are batched by concatenation).
template <protocol P>
private_tensor<P> argmax(const private_tensor<P>& x, long axis = -1, sign_width w = sign_width::fixed_point_range) {
  auto scope = x.sess().op_scope("argmax");
  auto& s = x.sess();
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "argmax");
  const std::size_t n0 = x.shape()[a];
  TFE_ENFORCE(n0 > 0, shape_error, "argmax over an empty axis of shape ", shape_str(x.shape()));
  shape_t ishape(x.ndim(), 1);
  ishape[a] = n0;
  xt::xarray<double> idx = xt::zeros<double>(ishape);
  for (std::size_t i = 0; i < n0; ++i) idx.data()[i] = static_cast<double>(i);
  auto cur_v = x;
  auto cur_i = detail::broadcast(to_private(s.constant(idx)), x.shape());
  const long al = static_cast<long>(a);
  while (cur_v.shape()[a] > 1) {
    std::size_t n = cur_v.shape()[a], half = n / 2;
    // Pair neighbours (2j, 2j+1): every candidate then stands for a contiguous block of indices,
    // blocks in increasing order, so keeping the lower one on ties keeps the first index.
    auto lv = slice(cur_v, al, 0, 2 * half, 2), hv = slice(cur_v, al, 1, 2 * half, 2);
    auto li = slice(cur_i, al, 0, 2 * half, 2), hi = slice(cur_i, al, 1, 2 * half, 2);
    // b = [lv < hv]: take the high half only when strictly larger, so the first index wins ties.
    auto b = detail::sign_bit(lv - hv, w, true);
    auto both = detail::mul_exact(concat(std::vector<private_tensor<P>>{lv - hv, li - hi}, al),
                                  concat(std::vector<private_tensor<P>>{b, b}, al));
    auto parts = split(both, 2, al);
    auto mv = lv - parts[0], mi = li - parts[1];
    if (n % 2) {
      mv = concat(std::vector<private_tensor<P>>{mv, slice(cur_v, al, n - 1, n)}, al);
      mi = concat(std::vector<private_tensor<P>>{mi, slice(cur_i, al, n - 1, n)}, al);
    }
    cur_v = mv;
    cur_i = mi;
  }
  std::vector<long> shp;
  for (std::size_t d = 0; d < cur_i.ndim(); ++d)
    if (d != a) shp.push_back(static_cast<long>(cur_i.shape()[d]));
  return reshape(cur_i, shp);
}

/// Max pooling (NHWC). Under SAME padding, out-of-image positions never win (as in TensorFlow).
template <protocol P>
private_tensor<P> max_pool2d(const private_tensor<P>& x, std::array<std::size_t, 2> pool,
                             std::array<std::size_t, 2> strides = {0, 0}, padding pad = padding::valid,
                             sign_width w = sign_width::fixed_point_range) {
  if (strides[0] == 0) strides = pool;
  auto scope = x.sess().op_scope("max_pool2d");
  return max(detail::max_pool_windows(x, pool, strides, pad), 3, w);
}

}  // namespace tfe
