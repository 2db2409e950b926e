// tfe/detail/xtensor.hpp: the one place that includes xtensor (Debian 12 ships 0.24.3, flat paths).
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xpad.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xslice.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include "tfe/config.hpp"

#include <array>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace tfe {

/// Dynamic shapes everywhere: tensors in tfe are xt::xarray with a std::vector shape.
using shape_t = std::vector<std::size_t>;

inline std::string shape_str(const shape_t& s) {
  std::ostringstream os;
  os << '(';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ',';
  os << ')';
  return os.str();
}

template <class E>
shape_t shape_of(const E& e) {
  return shape_t(e.shape().begin(), e.shape().end());
}

inline std::size_t shape_size(const shape_t& s) {
  std::size_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

namespace detail {

/// A row-major walk over `shape` (at least one axis) by innermost rows: row(base, off) for each row,
/// where base is the row's first flat index and off[k] is operand k's offset at the row's start,
/// advancing by strides[k][d] along axis d (an odometer over the outer axes). The strided loops
/// below (axis permutations, ring_tensor.hpp's broadcasting) run their innermost rows through it:
/// unoptimized (the test build), a plain loop where xtensor's strided assignment costs several calls
/// per element.
template <std::size_t K, class F>
void for_each_row(const shape_t& shape, const std::array<shape_t, K>& strides, F&& row) {
  const std::size_t nd = shape.size(), total = shape_size(shape), inner = shape[nd - 1];
  std::vector<std::size_t> idx(nd, 0);
  std::array<std::size_t, K> off{};
  for (std::size_t base = 0; base < total; base += inner) {
    row(base, off);
    for (std::size_t d = nd - 1; d-- > 0;) {  // advance the odometer over axes nd-2 .. 0
      for (std::size_t k = 0; k < K; ++k) off[k] += strides[k][d];
      if (++idx[d] < shape[d]) break;
      for (std::size_t k = 0; k < K; ++k) off[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/// Throws shape_error, naming `op` and the shape, unless perm is a permutation of the shape's axes.
inline void check_permutation(const std::vector<std::size_t>& perm, const shape_t& shape, const char* op) {
  TFE_ENFORCE(perm.size() == shape.size(), shape_error, op, ": permutation of ", perm.size(), " axes for shape ",
              shape_str(shape));
  std::vector<bool> seen(shape.size(), false);
  for (std::size_t d : perm) {
    TFE_ENFORCE(d < shape.size() && !seen[d], shape_error, op, ": perm is not a permutation of the ", shape.size(),
                " axes of shape ", shape_str(shape));
    seen[d] = true;
  }
}

/// Writes to `out` the row-major data of the tensor `in` (row-major, of shape `shape`) with its axes
/// permuted: out's shape is (shape[perm[0]], shape[perm[1]], ...). `perm` must be a permutation of
/// the axes (check_permutation).
template <class T>
void permute_axes(const T* in, const shape_t& shape, const std::vector<std::size_t>& perm, T* out) {
  const std::size_t nd = shape.size();
  if (shape_size(shape) == 0) return;
  if (nd == 0) {
    out[0] = in[0];
    return;
  }
  shape_t in_strides(nd, 1);
  for (std::size_t d = nd; d-- > 1;) in_strides[d - 1] = in_strides[d] * shape[d];
  shape_t out_shape(nd), stride(nd);  // per output axis: its size, and the input stride along it
  for (std::size_t i = 0; i < nd; ++i) {
    out_shape[i] = shape[perm[i]];
    stride[i] = in_strides[perm[i]];
  }
  const std::size_t inner = out_shape[nd - 1], inner_stride = stride[nd - 1];
  for_each_row<1>(out_shape, {stride}, [&](std::size_t base, const std::array<std::size_t, 1>& off) {
    for (std::size_t j = 0; j < inner; ++j) out[base + j] = in[off[0] + j * inner_stride];
  });
}

/// A dense row-major container (an xt::xarray) with its axes permuted, as a fresh container of the same
/// type; perm is checked (check_permutation, naming `op`).
template <class A>
A permuted(const A& a, const std::vector<std::size_t>& perm, const char* op) {
  const shape_t s = shape_of(a);
  check_permutation(perm, s, op);
  shape_t out_shape(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out_shape[i] = s[perm[i]];
  A out = A::from_shape(out_shape);
  permute_axes(a.data(), s, perm, out.data());
  return out;
}

}  // namespace detail

}  // namespace tfe
