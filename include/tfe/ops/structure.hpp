// tfe/ops/structure.hpp: shape and reduction ops, generic over protocols and local on every share
// component (no communication): reshape, transpose, slicing, indexing, concat, stack, split, pad,
// sum, mean, add_n. The same functions work on public tensors.
#pragma once

#include "tfe/ops/arithmetic.hpp"
#include "tfe/protocol/protocol.hpp"

#include <numeric>

namespace tfe {
namespace detail {

inline std::size_t normalize_axis(long axis, std::size_t ndim, const char* op) {
  long n = static_cast<long>(ndim);
  TFE_ENFORCE(axis >= -n && axis < n, shape_error, op, ": axis ", axis, " is out of range for ", ndim, " dimensions");
  return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

/// Resolves one -1 in a requested shape; throws shape_error when the sizes do not match.
inline shape_t resolve_shape(const shape_t& from, const std::vector<long>& to) {
  shape_t out(to.size());
  std::size_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1) {
      TFE_ENFORCE(infer < 0, shape_error, "reshape: more than one -1 in the new shape");
      infer = static_cast<int>(i);
    } else {
      TFE_ENFORCE(to[i] >= 0, shape_error, "reshape: negative dimension ", to[i]);
      out[i] = static_cast<std::size_t>(to[i]);
      known *= out[i];
    }
  }
  const std::size_t total = shape_size(from);
  if (infer >= 0) {
    TFE_ENFORCE(known != 0 && total % known == 0, shape_error, "reshape: cannot reshape ", shape_str(from),
                " with a -1 dimension");
    out[static_cast<std::size_t>(infer)] = total / known;
  }
  TFE_ENFORCE(shape_size(out) == total, shape_error, "reshape: cannot reshape ", shape_str(from), " (", total,
              " elements) into ", shape_str(out), " (", shape_size(out), " elements)");
  return out;
}

/// Row-major block geometry around `axis`: outer = prod(shape[:axis]), inner = prod(shape[axis+1:]).
inline std::pair<std::size_t, std::size_t> outer_inner(const shape_t& shape, std::size_t axis) {
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  return {outer, inner};
}

// Raw row-major loops instead of assigning through xt::strided_view: xtensor 0.24 mis-sizes the
// temporary of a strided-view assignment on xarray (it takes the svector capacity as a rank).
template <class R>
ring_tensor<R> slice_ring(const ring_tensor<R>& t, std::size_t axis, std::size_t begin, std::size_t end,
                          std::size_t step) {
  shape_t in = shape_of(t), out_shape = in;
  out_shape[axis] = end > begin ? (end - begin + step - 1) / step : 0;
  ring_tensor<R> out(out_shape);
  auto [outer, inner] = outer_inner(in, axis);
  const R* src = t.data();
  R* dst = out.data();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t j = begin; j < end; j += step) {
      const R* row = src + (o * in[axis] + j) * inner;
      dst = std::copy(row, row + inner, dst);
    }
  return out;
}

template <class A>
A concat_ring(const std::vector<const A*>& ts, std::size_t axis, const shape_t& out_shape) {
  using R = typename A::value_type;
  A out(out_shape);
  auto [outer, inner] = outer_inner(out_shape, axis);
  R* dst = out.data();
  for (std::size_t o = 0; o < outer; ++o)
    for (const auto* t : ts) {
      const std::size_t block = t->shape()[axis] * inner;
      const R* src = t->data() + o * block;
      dst = std::copy(src, src + block, dst);
    }
  return out;
}

inline shape_t concat_shape(const std::vector<shape_t>& shapes, std::size_t axis, const char* op) {
  TFE_ENFORCE(!shapes.empty(), shape_error, op, ": no tensors given");
  shape_t out = shapes[0];
  TFE_ENFORCE(axis < out.size(), shape_error, op, ": axis ", axis, " out of range for shape ", shape_str(out));
  for (std::size_t i = 1; i < shapes.size(); ++i) {
    const auto& s = shapes[i];
    bool ok = s.size() == out.size();
    for (std::size_t d = 0; ok && d < s.size(); ++d) ok = d == axis || s[d] == out[d];
    TFE_ENFORCE(ok, shape_error, op, ": tensor ", i, " has shape ", shape_str(s), " which does not match ",
                shape_str(shapes[0]), " outside axis ", axis);
    out[axis] += s[axis];
  }
  return out;
}

template <protocol P>
std::size_t check_parts(const std::vector<private_tensor<P>>& xs, const char* op) {
  TFE_ENFORCE(!xs.empty(), shape_error, op, ": no tensors given");
  for (const auto& x : xs) check_same_session(xs[0].sess(), x.sess(), op);
  return xs[0].parts().size();
}

}  // namespace detail

// ---- reshape, transpose -----------------------------------------------------------------------

template <protocol P>
private_tensor<P> reshape(const private_tensor<P>& x, const std::vector<long>& shape) {
  shape_t s = detail::resolve_shape(x.shape(), shape);
  return detail::map_parts(x, s, [&](const auto& p) { return ring_ops::reshape(p, s); });
}
template <protocol P>
public_tensor<P> reshape(const public_tensor<P>& x, const std::vector<long>& shape) {
  shape_t s = detail::resolve_shape(x.shape(), shape);
  return public_tensor<P>(x.sess(), ring_ops::reshape(x.value(), s));
}

/// Permutes axes (reverses them when perm is empty).
template <protocol P>
private_tensor<P> transpose(const private_tensor<P>& x, std::vector<std::size_t> perm = {}) {
  if (perm.empty())
    for (std::size_t i = x.ndim(); i-- > 0;) perm.push_back(i);
  TFE_ENFORCE(perm.size() == x.ndim(), shape_error, "transpose: permutation of ", perm.size(), " axes for shape ",
              shape_str(x.shape()));
  shape_t s(perm.size());
  std::vector<bool> seen(perm.size(), false);
  for (std::size_t i = 0; i < perm.size(); ++i) {
    TFE_ENFORCE(perm[i] < x.ndim() && !seen[perm[i]], shape_error, "transpose: invalid permutation");
    seen[perm[i]] = true;
    s[i] = x.shape()[perm[i]];
  }
  return detail::map_parts(x, s, [&](const auto& p) { return ring_ops::transpose(p, perm); });
}
template <protocol P>
public_tensor<P> transpose(const public_tensor<P>& x, std::vector<std::size_t> perm = {}) {
  if (perm.empty())
    for (std::size_t i = x.ndim(); i-- > 0;) perm.push_back(i);
  return public_tensor<P>(x.sess(), ring_ops::transpose(x.value(), perm));
}

// ---- slicing and indexing ---------------------------------------------------------------------

/// Elements [begin, end) with `step` along `axis` (negative axis counts from the back).
template <protocol P>
private_tensor<P> slice(const private_tensor<P>& x, long axis, std::size_t begin, std::size_t end,
                        std::size_t step = 1) {
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "slice");
  TFE_ENFORCE(begin <= end && end <= x.shape()[a] && step >= 1, shape_error, "slice: range [", begin, ", ", end,
              ") with step ", step, " is invalid for axis ", a, " of shape ", shape_str(x.shape()));
  shape_t s = x.shape();
  s[a] = (end - begin + step - 1) / step;
  return detail::map_parts(x, s, [&](const auto& p) { return detail::slice_ring(p, a, begin, end, step); });
}

/// The i-th sub-tensor along `axis`, with that axis removed (x[i] for axis 0).
template <protocol P>
private_tensor<P> index(const private_tensor<P>& x, std::size_t i, long axis = 0) {
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "index");
  TFE_ENFORCE(i < x.shape()[a], shape_error, "index: ", i, " is out of range for axis ", a, " of shape ",
              shape_str(x.shape()));
  shape_t s = x.shape();
  const std::size_t n = s[a];
  s.erase(s.begin() + static_cast<std::ptrdiff_t>(a));
  // One block copy per outer index: (outer, n, inner) -> (outer, inner) at i.
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= s[d];
  for (std::size_t d = a; d < s.size(); ++d) inner *= s[d];
  return detail::map_parts(x, s, [&](const auto& p) {
    std::decay_t<decltype(p)> out = std::decay_t<decltype(p)>::from_shape(s);
    for (std::size_t o = 0; o < outer; ++o) std::copy_n(p.data() + (o * n + i) * inner, inner, out.data() + o * inner);
    return out;
  });
}

// ---- concat, stack, split, pad ----------------------------------------------------------------

template <protocol P>
private_tensor<P> concat(const std::vector<private_tensor<P>>& xs, long axis = 0) {
  using R = typename P::ring;
  const std::size_t nparts = detail::check_parts(xs, "concat");
  std::size_t a = detail::normalize_axis(axis, xs[0].ndim(), "concat");
  std::vector<shape_t> shapes;
  for (const auto& x : xs) shapes.push_back(x.shape());
  shape_t s = detail::concat_shape(shapes, a, "concat");
  typename private_tensor<P>::parts_type out;
  for (std::size_t k = 0; k < nparts; ++k) {
    std::vector<const ring_tensor<R>*> ts;
    for (const auto& x : xs) ts.push_back(&x.parts()[k]);
    out.push_back(detail::concat_ring(ts, a, s));
  }
  return private_tensor<P>(xs[0].sess(), std::move(s), std::move(out));
}

template <protocol P>
private_tensor<P> concat(std::initializer_list<private_tensor<P>> xs, long axis = 0) {
  return concat(std::vector<private_tensor<P>>(xs), axis);
}

/// Stacks equally shaped tensors along a new axis.
template <protocol P>
private_tensor<P> stack(const std::vector<private_tensor<P>>& xs, long axis = 0) {
  using R = typename P::ring;
  const std::size_t nparts = detail::check_parts(xs, "stack");
  std::size_t a = detail::normalize_axis(axis, xs[0].ndim() + 1, "stack");
  for (const auto& x : xs)
    TFE_ENFORCE(x.shape() == xs[0].shape(), shape_error, "stack: shapes ", shape_str(xs[0].shape()), " and ",
                shape_str(x.shape()), " differ");
  const shape_t& in = xs[0].shape();
  shape_t s = in;
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(a), xs.size());
  // One block copy per (outer index, tensor): out(outer, j, inner) = xs[j](outer, inner).
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= in[d];
  for (std::size_t d = a; d < in.size(); ++d) inner *= in[d];
  typename private_tensor<P>::parts_type out;
  for (std::size_t k = 0; k < nparts; ++k) {
    ring_tensor<R> t = ring_tensor<R>::from_shape(s);
    for (std::size_t j = 0; j < xs.size(); ++j) {
      TFE_ENFORCE(xs[j].parts().size() == nparts, protocol_error, "stack: tensor ", j, " holds ", xs[j].parts().size(),
                  " share components, tensor 0 holds ", nparts);
      const R* src = xs[j].parts()[k].data();
      for (std::size_t o = 0; o < outer; ++o)
        std::copy_n(src + o * inner, inner, t.data() + (o * xs.size() + j) * inner);
    }
    out.push_back(std::move(t));
  }
  return private_tensor<P>(xs[0].sess(), std::move(s), std::move(out));
}

template <protocol P>
private_tensor<P> stack(std::initializer_list<private_tensor<P>> xs, long axis = 0) {
  return stack(std::vector<private_tensor<P>>(xs), axis);
}

/// Splits into `n` equal parts along `axis`.
template <protocol P>
std::vector<private_tensor<P>> split(const private_tensor<P>& x, std::size_t n, long axis = 0) {
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "split");
  TFE_ENFORCE(n >= 1 && x.shape()[a] % n == 0, shape_error, "split: axis ", a, " of shape ", shape_str(x.shape()),
              " does not divide into ", n, " equal parts");
  std::vector<private_tensor<P>> out;
  const std::size_t len = x.shape()[a] / n;
  for (std::size_t i = 0; i < n; ++i) out.push_back(slice(x, static_cast<long>(a), i * len, (i + 1) * len));
  return out;
}

/// Splits into parts of the given sizes along `axis`.
template <protocol P>
std::vector<private_tensor<P>> split(const private_tensor<P>& x, const std::vector<std::size_t>& sizes, long axis = 0) {
  std::size_t a = detail::normalize_axis(axis, x.ndim(), "split");
  std::size_t total = std::accumulate(sizes.begin(), sizes.end(), std::size_t(0));
  TFE_ENFORCE(total == x.shape()[a], shape_error, "split: sizes add up to ", total, " but axis ", a, " of shape ",
              shape_str(x.shape()), " has ", x.shape()[a]);
  std::vector<private_tensor<P>> out;
  std::size_t off = 0;
  for (auto len : sizes) {
    out.push_back(slice(x, static_cast<long>(a), off, off + len));
    off += len;
  }
  return out;
}

/// Zero padding: pads[d] = {before, after} for every axis d.
template <protocol P>
private_tensor<P> pad(const private_tensor<P>& x, const std::vector<std::array<std::size_t, 2>>& pads) {
  using R = typename P::ring;
  TFE_ENFORCE(pads.size() == x.ndim(), shape_error, "pad: ", pads.size(), " pairs of paddings for shape ",
              shape_str(x.shape()));
  shape_t s = x.shape();
  for (std::size_t d = 0; d < s.size(); ++d) s[d] += pads[d][0] + pads[d][1];
  return detail::map_parts(x, s, [&](const ring_tensor<R>& p) {
    ring_tensor<R> cur = p;
    for (std::size_t d = 0; d < pads.size(); ++d) {
      if (pads[d][0] == 0 && pads[d][1] == 0) continue;
      shape_t before = shape_of(cur), after = shape_of(cur), out = shape_of(cur);
      before[d] = pads[d][0];
      after[d] = pads[d][1];
      out[d] += pads[d][0] + pads[d][1];
      ring_tensor<R> zb = xt::zeros<R>(before), za = xt::zeros<R>(after);
      cur = detail::concat_ring(std::vector<const ring_tensor<R>*>{&zb, &cur, &za}, d, out);
    }
    return cur;
  });
}

// ---- reductions --------------------------------------------------------------------------------

/// Sum over the given axes (all axes when empty).
template <protocol P>
private_tensor<P> sum(const private_tensor<P>& x, std::vector<long> axes = {}, bool keepdims = false) {
  std::vector<std::size_t> ax;
  if (axes.empty())
    for (std::size_t d = 0; d < x.ndim(); ++d) ax.push_back(d);
  for (long a : axes) ax.push_back(detail::normalize_axis(a, x.ndim(), "sum"));
  shape_t s;
  for (std::size_t d = 0; d < x.ndim(); ++d) {
    bool reduced = std::find(ax.begin(), ax.end(), d) != ax.end();
    if (!reduced)
      s.push_back(x.shape()[d]);
    else if (keepdims)
      s.push_back(1);
  }
  return detail::map_parts(x, s, [&](const auto& p) { return ring_ops::sum(p, ax, keepdims); });
}

/// Mean over the given axes: a local sum, then a public product by 1/count (one truncation).
template <protocol P>
private_tensor<P> mean(const private_tensor<P>& x, std::vector<long> axes = {}, bool keepdims = false) {
  std::size_t count = 1;
  if (axes.empty())
    count = x.size();
  else
    for (long a : axes) count *= x.shape()[detail::normalize_axis(a, x.ndim(), "mean")];
  TFE_ENFORCE(count > 0, shape_error, "mean of an empty tensor");
  return sum(x, axes, keepdims) * (1.0 / static_cast<double>(count));
}

/// Sum of equally shaped tensors (secure aggregation): local.
template <protocol P>
private_tensor<P> add_n(const std::vector<private_tensor<P>>& xs) {
  detail::check_parts(xs, "add_n");
  private_tensor<P> acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) {
    TFE_ENFORCE(xs[i].shape() == xs[0].shape(), shape_error, "add_n: tensor ", i, " has shape ",
                shape_str(xs[i].shape()), " but tensor 0 has ", shape_str(xs[0].shape()));
    acc = acc + xs[i];
  }
  return acc;
}

template <protocol P>
private_tensor<P> add_n(std::initializer_list<private_tensor<P>> xs) {
  return add_n(std::vector<private_tensor<P>>(xs));
}

}  // namespace tfe
