// tfe/ops/arithmetic.hpp: protocol-generic arithmetic on private and public tensors.
//
// Linear ops (+, -, negation, products with public values) are local on every share component.
// Products of two private tensors (elementwise, matmul, conv2d) go through the protocol's single
// bilinear routine P::bilinear (Beaver triples in Pond, replicated products in ABY3), then through
// P::truncate to bring the 2f fractional bits of a product back to f. Broadcasting follows numpy
// (and xtensor) rules; a mismatch throws shape_error naming both shapes.
#pragma once

#include "tfe/protocol/protocol.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/session.hpp"

#include <cmath>
#include <functional>

namespace tfe {
namespace detail {

template <class R>
ring_tensor<R> broadcast_to(const ring_tensor<R>& t, const shape_t& shape) {
  if (shape_of(t) == shape) return t;
  return ring_broadcast_to(t, shape);
}
/// A temporary that already has the shape is moved, not copied.
template <class R>
ring_tensor<R> broadcast_to(ring_tensor<R>&& t, const shape_t& shape) {
  if (shape_of(t) == shape) return std::move(t);
  return ring_broadcast_to(t, shape);
}

template <protocol P>
void check_same_session(const session<P>& a, const session<P>& b, const char* op) {
  TFE_ENFORCE(&a == &b, protocol_error, op, ": tensors belong to different sessions");
}

/// Applies a local function to every share component; `shape` is the result's shape.
template <protocol P, class F>
private_tensor<P> map_parts(const private_tensor<P>& x, shape_t shape, F&& f) {
  typename private_tensor<P>::parts_type out;
  out.reserve(x.parts().size());
  for (const auto& p : x.parts()) out.push_back(f(p));
  return private_tensor<P>(x.sess(), std::move(shape), std::move(out));
}

/// Elementwise combination of two private tensors, component by component (for + and -).
template <protocol P, class F>
private_tensor<P> zip_parts(const private_tensor<P>& a, const private_tensor<P>& b, const char* op, F&& f) {
  check_same_session(a.sess(), b.sess(), op);
  shape_t shape = broadcast_shapes(a.shape(), b.shape(), op);
  typename private_tensor<P>::parts_type out;
  for (std::size_t i = 0; i < a.parts().size(); ++i)
    out.push_back(broadcast_to<typename P::ring>(f(a.parts()[i], b.parts()[i]), shape));
  return private_tensor<P>(a.sess(), std::move(shape), std::move(out));
}

/// Adds a public value (already encoded at the right scale) to a private tensor: only the component
/// the protocol designates absorbs it, every other component is just broadcast.
template <protocol P>
private_tensor<P> add_public(const private_tensor<P>& x, const ring_tensor<typename P::ring>& v, const char* op) {
  using R = typename P::ring;
  shape_t shape = broadcast_shapes(x.shape(), shape_of(v), op);
  const int k = P::public_component(x.sess());
  typename private_tensor<P>::parts_type out;
  for (std::size_t i = 0; i < x.parts().size(); ++i) {
    if (static_cast<int>(i) == k)
      out.push_back(ring_tensor<R>(x.parts()[i] + v));
    else
      out.push_back(broadcast_to<R>(x.parts()[i], shape));
  }
  return private_tensor<P>(x.sess(), std::move(shape), std::move(out));
}

/// A 0-d public constant, for mixing tensors and scalars.
template <protocol P>
ring_tensor<typename P::ring> encode_scalar(session<P>& s, double c) {
  ring_tensor<typename P::ring> t(shape_t{});
  t() = encode_value<typename P::ring>(c, s.fixed_point());
  return t;
}

}  // namespace detail

// ---- conversions -----------------------------------------------------------------------------

/// A public value as a (trivial) sharing: no communication.
template <protocol P>
private_tensor<P> to_private(const public_tensor<P>& v) {
  auto& s = v.sess();
  private_tensor<P> zero(s, v.shape(), P::zero_parts(s, v.shape()));
  return detail::add_public(zero, v.value(), "to_private");
}

namespace detail {

/// The fixed-point product z = op(x, y) / 2^f of two private tensors (either may be a masked operand).
/// A protocol that fuses the truncation into the product's round (ABY3) provides
/// P::bilinear_truncated with the signature of P::bilinear_masked; the others multiply and then call
/// P::truncate.
template <protocol P, class Op>
private_tensor<P> truncated_product(session<P>& s, const typename private_tensor<P>::parts_type* x,
                                    const typename P::mask_type* xm, const typename private_tensor<P>::parts_type* y,
                                    const typename P::mask_type* ym, const shape_t& xs, const shape_t& ys,
                                    const shape_t& zs, Op&& op) {
  if constexpr (fused_truncation<P>) {
    return private_tensor<P>(s, zs, P::bilinear_truncated(s, x, xm, y, ym, xs, ys, zs, op));
  } else {
    auto prod = P::bilinear_masked(s, x, xm, y, ym, xs, ys, zs, op);
    auto scope = s.op_scope("truncate");
    return private_tensor<P>(s, zs, P::truncate(s, prod, zs));
  }
}

}  // namespace detail

// ---- addition and subtraction ------------------------------------------------------------------

template <protocol P>
private_tensor<P> operator+(const private_tensor<P>& a, const private_tensor<P>& b) {
  return detail::zip_parts(a, b, "add",
                           [](const auto& x, const auto& y) { return ring_tensor<typename P::ring>(x + y); });
}
template <protocol P>
private_tensor<P> operator-(const private_tensor<P>& a, const private_tensor<P>& b) {
  return detail::zip_parts(a, b, "sub",
                           [](const auto& x, const auto& y) { return ring_tensor<typename P::ring>(x - y); });
}
template <protocol P>
private_tensor<P> operator-(const private_tensor<P>& a) {
  return detail::map_parts(a, a.shape(), [](const auto& x) { return ring_ops::neg(x); });
}
template <protocol P>
private_tensor<P> operator+(const private_tensor<P>& a, const public_tensor<P>& b) {
  return detail::add_public(a, b.value(), "add");
}
template <protocol P>
private_tensor<P> operator+(const public_tensor<P>& a, const private_tensor<P>& b) {
  return detail::add_public(b, a.value(), "add");
}
template <protocol P>
private_tensor<P> operator-(const private_tensor<P>& a, const public_tensor<P>& b) {
  return detail::add_public(a, ring_ops::neg(b.value()), "sub");
}
template <protocol P>
private_tensor<P> operator-(const public_tensor<P>& a, const private_tensor<P>& b) {
  return detail::add_public(-b, a.value(), "sub");
}
template <protocol P>
private_tensor<P> operator+(const private_tensor<P>& a, double c) {
  return detail::add_public(a, detail::encode_scalar(a.sess(), c), "add");
}
template <protocol P>
private_tensor<P> operator+(double c, const private_tensor<P>& a) {
  return a + c;
}
template <protocol P>
private_tensor<P> operator-(const private_tensor<P>& a, double c) {
  return a + (-c);
}
template <protocol P>
private_tensor<P> operator-(double c, const private_tensor<P>& a) {
  return (-a) + c;
}

// Public-public arithmetic is local and exact (one truncation for products).
template <protocol P>
public_tensor<P> operator+(const public_tensor<P>& a, const public_tensor<P>& b) {
  detail::broadcast_shapes(a.shape(), b.shape(), "add");
  return public_tensor<P>(a.sess(), ring_tensor<typename P::ring>(a.value() + b.value()));
}
template <protocol P>
public_tensor<P> operator-(const public_tensor<P>& a, const public_tensor<P>& b) {
  detail::broadcast_shapes(a.shape(), b.shape(), "sub");
  return public_tensor<P>(a.sess(), ring_tensor<typename P::ring>(a.value() - b.value()));
}
template <protocol P>
public_tensor<P> operator-(const public_tensor<P>& a) {
  return public_tensor<P>(a.sess(), ring_ops::neg(a.value()));
}
template <protocol P>
public_tensor<P> operator*(const public_tensor<P>& a, const public_tensor<P>& b) {
  detail::broadcast_shapes(a.shape(), b.shape(), "mul");
  return public_tensor<P>(
      a.sess(), truncate(ring_tensor<typename P::ring>(a.value() * b.value()), a.sess().fixed_point().frac_bits));
}

// ---- products ----------------------------------------------------------------------------------

/// Truncates a product (2f fractional bits) back to f bits with the protocol's truncation.
template <protocol P>
private_tensor<P> truncate(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("truncate");
  return private_tensor<P>(x.sess(), x.shape(), P::truncate(x.sess(), x.parts(), x.shape()));
}

/// Elementwise product of private tensors, with broadcasting. Cost: P::bilinear + P::truncate. The
/// operands go to the protocol in their own shapes (the product broadcasts), so a Beaver product
/// opens |a| + |b| elements, not twice the broadcast size.
template <protocol P>
private_tensor<P> operator*(const private_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  detail::check_same_session(a.sess(), b.sess(), "mul");
  auto scope = a.sess().op_scope("mul");
  shape_t shape = detail::broadcast_shapes(a.shape(), b.shape(), "mul");
  if (a.shape() == b.shape())  // the named product: a protocol may fuse it with its local steps
    return detail::truncated_product(a.sess(), &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), shape,
                                     ring_ops::elementwise_product{});
  return detail::truncated_product(a.sess(), &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), shape,
                                   [shape](const ring_tensor<R>& x, const ring_tensor<R>& y) {
                                     return detail::broadcast_to<R>(ring_tensor<R>(x * y), shape);
                                   });
}

/// Product with a public tensor: local on every component, then truncation.
template <protocol P>
private_tensor<P> operator*(const private_tensor<P>& a, const public_tensor<P>& b) {
  using R = typename P::ring;
  auto scope = a.sess().op_scope("mul_public");
  shape_t shape = detail::broadcast_shapes(a.shape(), b.shape(), "mul");
  auto prod = detail::map_parts(a, shape, [&](const auto& p) { return ring_tensor<R>(p * b.value()); });
  return truncate(prod);
}
template <protocol P>
private_tensor<P> operator*(const public_tensor<P>& a, const private_tensor<P>& b) {
  return b * a;
}
template <protocol P>
private_tensor<P> operator*(const private_tensor<P>& a, double c) {
  return a * public_tensor<P>(a.sess(), detail::encode_scalar(a.sess(), c));
}
template <protocol P>
private_tensor<P> operator*(double c, const private_tensor<P>& a) {
  return a * c;
}

/// Multiplication by a public integer: exact, local, no truncation.
template <protocol P>
private_tensor<P> mul_int(const private_tensor<P>& a, std::int64_t k) {
  using R = typename P::ring;
  const R kr = ring_traits<R>::from_int(k);
  return detail::map_parts(a, a.shape(), [&](const auto& p) { return ring_tensor<R>(p * kr); });
}

/// Division by public values: multiplication by their encoded reciprocals (error ≤ |x|·2^-f·|1/d|
/// from encoding 1/d, plus one truncation). Division by zero throws encoding_error.
template <protocol P>
private_tensor<P> operator/(const private_tensor<P>& a, const public_tensor<P>& d) {
  xt::xarray<double> dv = d.decode();
  for (double v : dv) TFE_ENFORCE(v != 0.0, encoding_error, "division by zero (a public divisor is 0)");
  xt::xarray<double> inv = 1.0 / dv;
  return a * a.sess().constant(inv);
}
template <protocol P>
private_tensor<P> operator/(const private_tensor<P>& a, double d) {
  TFE_ENFORCE(d != 0.0, encoding_error, "division by zero");
  return a * (1.0 / d);
}
template <protocol P>
public_tensor<P> operator/(const public_tensor<P>& a, double d) {
  TFE_ENFORCE(d != 0.0, encoding_error, "division by zero");
  return a.sess().constant(a.decode() / d);
}

template <protocol P>
private_tensor<P> square(const private_tensor<P>& x) {
  auto scope = x.sess().op_scope("square");
  return x * x;
}

/// x^n for an integer n ≥ 0 by repeated squaring: about 2·log2(n) products, log2(n) + popcount rounds.
template <protocol P>
private_tensor<P> pow(const private_tensor<P>& x, unsigned n) {
  auto scope = x.sess().op_scope("pow");
  if (n == 0) return to_private(x.sess().constant(xt::ones<double>(x.shape())));
  std::optional<private_tensor<P>> result;
  private_tensor<P> base = x;
  while (true) {
    if (n & 1u) result = result ? *result * base : base;
    n >>= 1;
    if (!n) break;
    base = base * base;
  }
  return *result;
}

/// Matrix product of 2-D tensors, (n×k)·(k×m). Cost: P::bilinear on matmul + P::truncate.
template <protocol P>
private_tensor<P> matmul(const private_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  detail::check_same_session(a.sess(), b.sess(), "matmul");
  TFE_ENFORCE(a.ndim() == 2 && b.ndim() == 2 && a.shape()[1] == b.shape()[0], shape_error, "matmul: shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()), " are not aligned");
  auto scope = a.sess().op_scope("matmul");
  shape_t shape{a.shape()[0], b.shape()[1]};
  return detail::truncated_product(
      a.sess(), &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), shape,
      [t = a.sess().threads()](const ring_tensor<R>& x, const ring_tensor<R>& y) { return ring_ops::matmul(x, y, t); });
}
template <protocol P>
private_tensor<P> matmul(const private_tensor<P>& a, const public_tensor<P>& b) {
  using R = typename P::ring;
  TFE_ENFORCE(a.ndim() == 2 && b.ndim() == 2 && a.shape()[1] == b.shape()[0], shape_error, "matmul: shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()), " are not aligned");
  auto scope = a.sess().op_scope("matmul_public");
  shape_t shape{a.shape()[0], b.shape()[1]};
  return truncate(detail::map_parts(
      a, shape, [&](const ring_tensor<R>& p) { return ring_ops::matmul(p, b.value(), a.sess().threads()); }));
}
template <protocol P>
private_tensor<P> matmul(const public_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  TFE_ENFORCE(a.ndim() == 2 && b.ndim() == 2 && a.shape()[1] == b.shape()[0], shape_error, "matmul: shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()), " are not aligned");
  auto scope = b.sess().op_scope("matmul_public");
  shape_t shape{a.shape()[0], b.shape()[1]};
  return truncate(detail::map_parts(
      b, shape, [&](const ring_tensor<R>& p) { return ring_ops::matmul(a.value(), p, b.sess().threads()); }));
}

}  // namespace tfe
