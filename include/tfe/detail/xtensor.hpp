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

/// Writes to `out` the row-major data of the tensor `in` (row-major, of shape `shape`) with its axes
/// permuted: out's shape is (shape[perm[0]], shape[perm[1]], ...). `perm` must be a permutation of
/// the axes (the callers check). One loop per innermost output row, an odometer over the other axes:
/// unoptimized (the test build), a plain loop where xtensor's strided assignment costs several calls
/// per element.
template <class T>
void permute_axes(const T* in, const shape_t& shape, const std::vector<std::size_t>& perm, T* out) {
  const std::size_t nd = shape.size(), total = shape_size(shape);
  if (total == 0) return;
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
  std::vector<std::size_t> idx(nd, 0);
  std::size_t off = 0;
  for (std::size_t base = 0; base < total; base += inner) {
    for (std::size_t j = 0; j < inner; ++j) out[base + j] = in[off + j * inner_stride];
    for (std::size_t d = nd - 1; d-- > 0;) {  // advance the odometer over output axes nd-2 .. 0
      off += stride[d];
      if (++idx[d] < out_shape[d]) break;
      off -= stride[d] * out_shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace detail

}  // namespace tfe
