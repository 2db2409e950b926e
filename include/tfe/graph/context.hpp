// tfe/graph/context.hpp: what a kernel sees when it runs one node — the session, the node, its input
// values — and the conversions every kernel needs (a public input as integers, any input as a
// private tensor, a product with a public tensor), each failing with the node's name.
#pragma once

#include "tfe/graph/value.hpp"
#include "tfe/ops/approx.hpp"
#include "tfe/ops/conv.hpp"

#include <functional>

namespace tfe::graph {

template <protocol P>
struct op_context {
  session<P>& s;
  const node& n;
  std::vector<const value<P>*> in;  // nullptr for an omitted optional input
  std::int64_t opset = 0;

  std::size_t num_inputs() const { return in.size(); }
  bool has(std::size_t i) const { return i < in.size() && in[i] != nullptr; }

  const value<P>& at(std::size_t i) const {
    TFE_ENFORCE(has(i), config_error, n.where(), ": input ", i, " is required");
    return *in[i];
  }

  /// Input i, which must be public (a shape, axes, indices, an exponent...).
  const array& pub(std::size_t i, const char* what) const {
    const auto& v = at(i);
    TFE_ENFORCE(v.is_public(), config_error, n.where(), ": input ", i, " ('", n.inputs[i], "', the ", what,
                ") is private; tfe needs it public (computed from the architecture, not from private data)");
    return *v.pub;
  }

  /// Input i as a list of integers (a public 0-d or 1-d tensor).
  std::vector<std::int64_t> ints(std::size_t i, const char* what) const {
    const auto& a = pub(i, what);
    std::vector<std::int64_t> out;
    for (double d : a.data) {
      TFE_ENFORCE(std::isfinite(d) && d == std::trunc(d), config_error, n.where(), ": input ", i, " ('", what,
                  "') must hold integers, got ", d);
      out.push_back(d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : static_cast<std::int64_t>(d));
    }
    return out;
  }

  /// Input i as a private tensor (a public input is shared trivially, without communication).
  private_tensor<P> priv(std::size_t i) const {
    const auto& v = at(i);
    if (v.is_private()) return *v.priv;
    return to_private(s.constant(v.pub->data));
  }

  /// A private result (integer: holds integers, e.g. comparison bits).
  std::vector<value<P>> out(private_tensor<P> x, bool integer = false) const {
    std::vector<value<P>> r;
    r.push_back(value<P>::of(std::move(x), integer));
    return r;
  }
  std::vector<value<P>> out(xt::xarray<double> d, bool integer) const {
    std::vector<value<P>> r;
    r.push_back(value<P>::of(std::move(d), integer));
    return r;
  }
  std::vector<value<P>> out(value<P> v) const {
    std::vector<value<P>> r;
    r.push_back(std::move(v));
    return r;
  }

  /// Whether every given input is public (the node is then folded in plaintext).
  bool all_public() const {
    for (const auto* v : in)
      if (v && v->is_private()) return false;
    return true;
  }

  [[noreturn]] void unsupported(const std::string& what) const {
    throw config_error(n.where() + ": " + what + " is not supported (opset " + std::to_string(opset) + ")");
  }
};

namespace detail {

/// x · a for a public array a (numpy broadcasting). An integer array multiplies the shares exactly
/// (no truncation, no error); a real one is encoded and the product truncated once.
template <protocol P>
private_tensor<P> mul_public(const private_tensor<P>& x, const array& a) {
  using R = typename P::ring;
  if (a.integer) {
    const shape_t shape = tfe::detail::broadcast_shapes(x.shape(), shape_of(a.data), "mul");
    ring_tensor<R> k = ring_tensor<R>::from_shape(shape_of(a.data));
    for (std::size_t i = 0; i < k.size(); ++i)
      k.flat(i) = ring_traits<R>::from_int(static_cast<std::int64_t>(a.data.flat(i)));
    return tfe::detail::map_parts(
        x, shape, [&](const ring_tensor<R>& p) { return tfe::detail::broadcast_to<R>(ring_tensor<R>(p * k), shape); });
  }
  return x * x.sess().constant(a.data);
}

/// c·x + (1 − c)·y for a public 0/1 mask c: local, exact.
template <protocol P>
private_tensor<P> where_public(const array& c, const private_tensor<P>& x, const private_tensor<P>& y) {
  array m{xt::xarray<double>(xt::cast<double>(xt::not_equal(c.data, 0.0))), true};
  array not_m{xt::xarray<double>(1.0 - m.data), true};
  return mul_public(x, m) + mul_public(y, not_m);
}

}  // namespace detail
}  // namespace tfe::graph
