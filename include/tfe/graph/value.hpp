// tfe/graph/value.hpp: the values a graph computes on, and the structural kernels shared by both kinds.
//
// A value is either PRIVATE (a secret-shared tensor) or PUBLIC (an `array` every player holds: a
// constant of the architecture, a shape, or anything computed from public values only — the
// shape-only subgraphs `torch.onnx.export` emits around Reshape are folded this way, in plaintext,
// with no communication). An op on public inputs only is computed in plaintext; an op with a private
// input gives a private output (except Shape, whose result is public: shapes are public).
//
// Structural kernels (reshape, transpose, slice, gather with public indices, concat, pad, expand,
// tile) move elements without arithmetic, so one template over the element type serves a public
// array (double) and every share component of a private tensor (ring elements): apply_structural.
#pragma once

#include "tfe/graph/ir.hpp"
#include "tfe/ops/structure.hpp"
#include "tfe/tensor.hpp"

#include <optional>

namespace tfe::graph {

/// An optional value that either owns its object or borrows one that outlives it (a model's weights
/// in a graph evaluation: borrowing them saves copying every weight at every run). A borrowed object
/// is never modified: mutable access copies it first.
template <class T>
class maybe_borrowed {
 public:
  maybe_borrowed() = default;
  maybe_borrowed(std::nullopt_t) {}
  maybe_borrowed(T x) : m_owned(std::move(x)) {}
  static maybe_borrowed borrow(const T& x) {
    maybe_borrowed m;
    m.m_borrowed = &x;
    return m;
  }
  bool has_value() const { return m_borrowed || m_owned.has_value(); }
  explicit operator bool() const { return has_value(); }
  const T& operator*() const { return m_borrowed ? *m_borrowed : *m_owned; }
  const T* operator->() const { return &**this; }
  T& operator*() {
    if (m_borrowed) m_owned.emplace(*m_borrowed), m_borrowed = nullptr;
    return *m_owned;
  }
  T* operator->() { return &**this; }
  bool borrowed() const { return m_borrowed != nullptr; }

 private:
  std::optional<T> m_owned;
  const T* m_borrowed = nullptr;
};

template <protocol P>
struct value {
  maybe_borrowed<private_tensor<P>> priv;
  std::optional<array> pub;
  bool priv_integer = false;  // a private tensor known to hold integers (comparison bits, indices)

  static value of(private_tensor<P> x, bool integer = false) { return value{std::move(x), std::nullopt, integer}; }
  /// A value that refers to `x` (which must outlive it) instead of copying it.
  static value borrow(const private_tensor<P>& x) {
    return value{maybe_borrowed<private_tensor<P>>::borrow(x), std::nullopt, false};
  }
  static value of(array a) { return value{std::nullopt, std::move(a), false}; }
  static value of(xt::xarray<double> d, bool integer) { return of(array{std::move(d), integer}); }

  bool is_private() const { return priv.has_value(); }
  bool is_public() const { return pub.has_value(); }
  shape_t shape() const { return priv ? priv->shape() : shape_of(pub->data); }
};

namespace detail {

/// Normalizes an ONNX axis (negative counts from the back) for a tensor of `rank` axes.
inline std::size_t axis_of(std::int64_t axis, std::size_t rank, const node& n) {
  const auto r = static_cast<std::int64_t>(rank);
  TFE_ENFORCE(axis >= -r && axis < r, shape_error, n.where(), ": axis ", axis, " is out of range for rank ", rank);
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

/// Applies a structural kernel (a generic callable on xt::xarray<T>) to a public array or to every
/// share component of a private tensor.
template <protocol P, class F>
value<P> apply_structural(const value<P>& v, F&& f) {
  if (v.is_public()) return value<P>::of(xt::xarray<double>(f(v.pub->data)), v.pub->integer);
  typename private_tensor<P>::parts_type parts;
  for (const auto& p : v.priv->parts()) parts.push_back(f(p));
  // A player holding no share component (plain's non-servers, a dealer) still needs the shape.
  shape_t s = parts.empty() ? shape_of(f(xt::xarray<std::uint8_t>(xt::zeros<std::uint8_t>(v.priv->shape()))))
                            : shape_of(parts.front());
  return value<P>::of(private_tensor<P>(v.priv->sess(), std::move(s), std::move(parts)), v.priv_integer);
}

template <class A>
A reshaped(const A& a, const shape_t& s) {
  A out = a;
  out.reshape(s);
  return out;
}

/// a with its axes permuted (out.shape[i] = a.shape[perm[i]]); throws shape_error when perm is not a
/// permutation of a's axes.
template <class A>
A transposed(const A& a, const std::vector<std::size_t>& perm) {
  return ::tfe::detail::permuted(a, perm, "transposed");
}

/// Elements start, start+step, ... (count of them) along `axis`; step may be negative.
template <class A>
A strided_slice(const A& a, std::size_t axis, std::int64_t start, std::int64_t step, std::size_t count) {
  shape_t s = shape_of(a);
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
  for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const std::size_t n = s[axis];
  s[axis] = count;
  A out = A::from_shape(s);
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t k = 0; k < count; ++k) {
      const auto src = static_cast<std::size_t>(start + static_cast<std::int64_t>(k) * step);
      std::copy_n(a.data() + (o * n + src) * inner, inner, out.data() + (o * count + k) * inner);
    }
  return out;
}

/// Gathers indices `idx` (already normalized, all in range) along `axis`: out shape
/// s[:axis] + idx.shape + s[axis+1:].
template <class A>
A gathered(const A& a, std::size_t axis, const std::vector<std::size_t>& idx, const shape_t& idx_shape) {
  const shape_t s = shape_of(a);
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= s[d];
  for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  shape_t os(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(axis));
  os.insert(os.end(), idx_shape.begin(), idx_shape.end());
  os.insert(os.end(), s.begin() + static_cast<std::ptrdiff_t>(axis) + 1, s.end());
  A out = A::from_shape(os);
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t k = 0; k < idx.size(); ++k)
      std::copy_n(a.data() + (o * s[axis] + idx[k]) * inner, inner, out.data() + (o * idx.size() + k) * inner);
  return out;
}

template <class A>
A concatenated(const std::vector<const A*>& xs, std::size_t axis, const node& n) {
  shape_t s = shape_of(*xs[0]);
  std::size_t total = 0;
  for (const auto* x : xs) {
    const shape_t xs_ = shape_of(*x);
    TFE_ENFORCE(xs_.size() == s.size(), shape_error, n.where(), ": concatenating shapes ", shape_str(s), " and ",
                shape_str(xs_));
    for (std::size_t d = 0; d < s.size(); ++d)
      TFE_ENFORCE(d == axis || xs_[d] == s[d], shape_error, n.where(), ": concatenating shapes ", shape_str(s), " and ",
                  shape_str(xs_), " along axis ", axis);
    total += xs_[axis];
  }
  s[axis] = total;
  return tfe::detail::concat_ring(xs, axis, s);
}

/// Constant padding with zeros: pads[d] = {before, after}.
template <class A>
A zero_padded(const A& a, const std::vector<std::array<std::size_t, 2>>& pads) {
  using T = typename A::value_type;
  shape_t s = shape_of(a);
  shape_t os = s;
  for (std::size_t d = 0; d < s.size(); ++d) os[d] += pads[d][0] + pads[d][1];
  A out = xt::zeros<T>(os);
  xt::xstrided_slice_vector sv;
  for (std::size_t d = 0; d < s.size(); ++d) sv.push_back(xt::range(pads[d][0], pads[d][0] + s[d]));
  xt::strided_view(out, sv) = a;
  return out;
}

template <class A>
A broadcast_to(const A& a, const shape_t& s) {
  return A(xt::broadcast(a, s));
}

}  // namespace detail
}  // namespace tfe::graph
