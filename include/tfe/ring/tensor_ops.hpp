// tfe/ring/tensor_ops.hpp: local (non-interactive) operations on ring tensors, in tfe::ring_ops.
//
// A ring tensor is a dense row-major ring_tensor<R> over Z_2^k (R = ring64, ring128, ring256, ...).
// These functions are what every player runs on its own shares: all of them are linear over the
// ring (or, for shifts and bit extraction, purely elementwise), so the protocols can apply them to
// each share independently. Everything wraps mod 2^bits and stays in R: none of the xtensor
// reductions are used, because xtensor promotes narrow types and does not know the
// unsigned __int128 / Boost element types; the loops here are written over .data() instead.
//
// Names live in tfe::ring_ops (not plain tfe) so they cannot collide with the protocol-level ops
// of the same name (tfe::matmul on private tensors, tfe::sum, ...). tfe::ring_tensor is the alias.
//
// Conventions: shapes are tfe::shape_t; any shape mismatch throws tfe::shape_error naming the
// operation and the shapes involved. Images are NHWC, conv filters HWIO (TensorFlow's layouts).
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/kernels.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace tfe {
namespace ring_ops {

/// The elementwise product of two ring tensors of the same shape, as the `op` of a protocol's
/// bilinear hooks: a named type, so that a protocol can fuse it with its local steps (ABY3 computes
/// x_i·(y_i + y_{i+1}) + x_{i+1}·y_i in one pass, protocol/aby3/arithmetic.hpp).
struct elementwise_product {
  template <class R>
  ring_tensor<R> operator()(const ring_tensor<R>& x, const ring_tensor<R>& y) const {
    return ring_tensor<R>(x * y);
  }
};

}  // namespace ring_ops

/// A vector of tensors (a share's parts) from tensors moved in. A braced list, as in
/// `return {std::move(a), std::move(b)};` into a std::vector, copies every tensor (the elements of a
/// std::initializer_list are const): for large tensors, a fresh allocation and a copy each.
template <class T, class... U>
std::vector<std::decay_t<T>> moved_parts(T&& first, U&&... rest) {
  static_assert(!std::is_lvalue_reference_v<T> && (!std::is_lvalue_reference_v<U> && ...),
                "moved_parts takes temporaries or std::move'd tensors");
  std::vector<std::decay_t<T>> parts;
  parts.reserve(1 + sizeof...(U));
  parts.push_back(std::forward<T>(first));
  (parts.push_back(std::forward<U>(rest)), ...);
  return parts;
}

namespace ring_ops {

namespace detail {

/// True for the built-in rings (ring64, ring128), whose elementwise ops compile to plain integer
/// instructions and vectorize; false for Boost wide rings.
template <class R>
inline constexpr bool is_builtin_ring = std::is_same_v<R, ring64> || std::is_same_v<R, ring128>;

/// A tensor of the given shape with every element set to `fill`.
template <class R>
ring_tensor<R> filled(const shape_t& shape, const R& fill) {
  ring_tensor<R> t = ring_tensor<R>::from_shape(shape);
  std::fill(t.data(), t.data() + t.size(), fill);
  return t;
}

/// out[i] = f(in[i]) over the flat data; same shape.
template <class R, class F>
ring_tensor<R> map(const ring_tensor<R>& a, F f) {
  ring_tensor<R> out = ring_tensor<R>::from_shape(a.shape());
  const R* __restrict in = a.data();
  R* __restrict o = out.data();
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) o[i] = f(in[i]);
  return out;
}

/// Row-major strides of a shape, in elements.
inline shape_t strides_of(const shape_t& shape) {
  shape_t st(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) st[d - 1] = st[d] * shape[d];
  return st;
}

}  // namespace detail

// ---- elementwise ----------------------------------------------------------------------------

/// -a mod 2^bits.
template <class R>
ring_tensor<R> neg(const ring_tensor<R>& a) {
  return detail::map(a, [](const R& x) { return R(R(0) - x); });
}

/// a * 2^n mod 2^bits (n >= bits gives 0).
template <class R>
ring_tensor<R> shl(const ring_tensor<R>& a, unsigned n) {
  using T = ring_traits<R>;
  if (n >= T::bits) return detail::filled(shape_of(a), T::zero());
  return detail::map(a, [n](const R& x) { return R(x << n); });
}

/// Logical right shift: floor(a / 2^n) of the unsigned representative (n >= bits gives 0).
template <class R>
ring_tensor<R> shr_logical(const ring_tensor<R>& a, unsigned n) {
  using T = ring_traits<R>;
  if (n >= T::bits) return detail::filled(shape_of(a), T::zero());
  return detail::map(a, [n](const R& x) { return R(x >> n); });
}

/// Arithmetic right shift: the two's-complement value divided by 2^n, rounded toward -infinity
/// (n >= bits gives 0 or -1 by sign). This is the local step of share truncation.
template <class R>
ring_tensor<R> shr_arith(const ring_tensor<R>& a, unsigned n) {
  using T = ring_traits<R>;
  if constexpr (detail::is_builtin_ring<R>) {
    // C++20 defines >> on negative signed values as arithmetic, and shifting by bits-1 already
    // yields the all-sign-bits result that n >= bits asks for.
    using S = typename T::signed_type;
    const unsigned s = n >= T::bits ? T::bits - 1 : n;
    return detail::map(a, [s](R x) { return static_cast<R>(static_cast<S>(x) >> s); });
  } else {
    return detail::map(a, [n](const R& x) { return T::shr_arith(x, n); });
  }
}

/// Bit i of every element, as 0 or 1 in R. Throws tfe::error when i >= bits.
template <class R>
ring_tensor<R> bit(const ring_tensor<R>& a, unsigned i) {
  using T = ring_traits<R>;
  TFE_ENFORCE(i < T::bits, ::tfe::error, "bit: index ", i, " is out of range for ", T::name(), " (", T::bits, " bits)");
  if constexpr (detail::is_builtin_ring<R>)
    return detail::map(a, [i](R x) { return R((x >> i) & R(1)); });
  else
    return detail::map(a, [i](const R& x) { return T::bit(x, i); });
}

/// The sign bit of every element (bit bits-1), as 0 or 1 in R.
template <class R>
ring_tensor<R> msb(const ring_tensor<R>& a) {
  return ring_ops::bit(a, ring_traits<R>::bits - 1);
}

// ---- shape manipulation ---------------------------------------------------------------------

/// The same elements in a new shape of equal size (row-major order is kept). Takes its argument
/// by value so a temporary is reshaped in place without a copy.
template <class R>
ring_tensor<R> reshape(ring_tensor<R> a, const shape_t& shape) {
  TFE_ENFORCE(shape_size(shape) == a.size(), shape_error, "reshape: cannot reshape ", shape_str(shape_of(a)), " (",
              a.size(), " elements) into ", shape_str(shape), " (", shape_size(shape), " elements)");
  a.reshape(shape);
  return a;
}

/// Permutes axes: out.shape[i] = a.shape[perm[i]]. An empty perm reverses the axes.
template <class R>
ring_tensor<R> transpose(const ring_tensor<R>& a, std::vector<std::size_t> perm = {}) {
  const std::size_t nd = a.dimension();
  if (perm.empty())
    for (std::size_t d = nd; d-- > 0;) perm.push_back(d);
  ::tfe::detail::check_permutation(perm, shape_of(a), "transpose");
  if (nd == 2 && perm[0] == 1) {
    // The common case (matmul gradients, weight layouts): a blocked 2-D transpose so both the
    // reads and the writes stay within a few cache lines per tile.
    const std::size_t rows = a.shape()[0], cols = a.shape()[1];
    ring_tensor<R> out = ring_tensor<R>::from_shape(shape_t{cols, rows});
    constexpr std::size_t tile = 32;
    const R* in = a.data();
    R* o = out.data();
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
      for (std::size_t j0 = 0; j0 < cols; j0 += tile)
        for (std::size_t i = i0; i < std::min(rows, i0 + tile); ++i)
          for (std::size_t j = j0; j < std::min(cols, j0 + tile); ++j) o[j * rows + i] = in[i * cols + j];
    return out;
  }
  return ::tfe::detail::permuted(a, perm, "transpose");
}

// ---- reductions -----------------------------------------------------------------------------

/// Sum over `axes` (each in [0, ndim), no repeats), wrapping mod 2^bits. keepdims keeps the reduced
/// axes with size 1. An empty `axes` reduces nothing (TensorFlow's axis=[]); sum_all reduces all.
template <class R>
ring_tensor<R> sum(const ring_tensor<R>& a, const std::vector<std::size_t>& axes, bool keepdims = false) {
  const shape_t in_shape = shape_of(a);
  const std::size_t nd = in_shape.size();
  std::vector<bool> reduced(nd, false);
  for (std::size_t ax : axes) {
    TFE_ENFORCE(ax < nd, shape_error, "sum: axis ", ax, " is out of range for shape ", shape_str(in_shape));
    TFE_ENFORCE(!reduced[ax], shape_error, "sum: axis ", ax, " repeated for shape ", shape_str(in_shape));
    reduced[ax] = true;
  }
  shape_t kept_shape(in_shape), out_shape;
  for (std::size_t d = 0; d < nd; ++d) {
    if (reduced[d]) kept_shape[d] = 1;
    if (!reduced[d] || keepdims) out_shape.push_back(kept_shape[d]);
  }
  ring_tensor<R> out = detail::filled(out_shape, R(0));
  if (a.size() == 0 || nd == 0) {
    if (a.size() != 0) out.data()[0] = a.data()[0];
    return out;
  }
  // Walk the input in row-major order with an odometer; each input position maps to an output
  // offset through strides that are 0 along the reduced axes (the keepdims layout, which has the
  // same row-major order as the squeezed one). Axes of size 1 are dropped and neighbouring axes that
  // are both reduced or both kept are merged first, so that the innermost run is as long as it can
  // be: (m, n, 1) summed over axis 1 walks m runs of n, not m·n runs of one.
  const shape_t kept_strides = detail::strides_of(kept_shape);
  shape_t walk_shape, out_stride;
  std::vector<bool> walk_reduced;
  for (std::size_t d = 0; d < nd; ++d) {
    if (in_shape[d] == 1) continue;
    const std::size_t stride = reduced[d] ? 0 : kept_strides[d];
    if (!walk_shape.empty() && walk_reduced.back() == reduced[d]) {  // contiguous with the previous axis
      walk_shape.back() *= in_shape[d];
      out_stride.back() = stride;
    } else {
      walk_shape.push_back(in_shape[d]);
      out_stride.push_back(stride);
      walk_reduced.push_back(reduced[d]);
    }
  }
  if (walk_shape.empty()) {  // every axis of size 1
    out.data()[0] = a.data()[0];
    return out;
  }
  const std::size_t wd = walk_shape.size();
  const std::size_t inner = walk_shape[wd - 1], inner_stride = out_stride[wd - 1];
  std::vector<std::size_t> idx(wd, 0);
  const R* in = a.data();
  R* o = out.data();
  std::size_t off = 0;
  for (std::size_t base = 0; base < a.size(); base += inner) {
    if (inner_stride == 0) {
      R acc = o[off];
      for (std::size_t j = 0; j < inner; ++j) acc += in[base + j];
      o[off] = acc;
    } else {
      for (std::size_t j = 0; j < inner; ++j) o[off + j * inner_stride] += in[base + j];
    }
    // Advance the odometer over the outer axes (wd-2 .. 0).
    for (std::size_t d = wd - 1; d-- > 0;) {
      off += out_stride[d];
      if (++idx[d] < walk_shape[d]) break;
      off -= out_stride[d] * walk_shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/// The sum of all elements mod 2^bits, as a 0-d tensor.
template <class R>
ring_tensor<R> sum_all(const ring_tensor<R>& a) {
  R acc(0);
  const R* in = a.data();
  for (std::size_t i = 0; i < a.size(); ++i) acc += in[i];
  return detail::filled(shape_t{}, acc);
}

// ---- matmul ---------------------------------------------------------------------------------

/// The 2-D product a (n x k) times b (k x m) mod 2^bits, on up to `threads` threads.
template <class R>
ring_tensor<R> matmul(const ring_tensor<R>& a, const ring_tensor<R>& b, std::size_t threads = 1) {
  TFE_ENFORCE(a.dimension() == 2 && b.dimension() == 2, shape_error, "matmul: needs two 2-D tensors, got shapes ",
              shape_str(shape_of(a)), " and ", shape_str(shape_of(b)));
  const std::size_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  TFE_ENFORCE(b.shape()[0] == k, shape_error, "matmul: shapes ", shape_str(shape_of(a)), " and ",
              shape_str(shape_of(b)), " do not align (", k, " columns vs ", b.shape()[0], " rows)");
  ring_tensor<R> c = detail::filled(shape_t{n, m}, R(0));
  ::tfe::matmul_kernel(a.data(), b.data(), c.data(), n, k, m, threads);
  return c;
}

// ---- convolution ----------------------------------------------------------------------------

/// TensorFlow's padding modes for convolutions and pooling.
enum class padding { same, valid };

/// Output size and zero padding of a 2-D convolution or pooling window.
struct conv_geometry {
  std::size_t out_h = 0, out_w = 0;
  std::size_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

/// TensorFlow's rules. VALID: out = ceil((in - k + 1) / stride), no padding (needs in >= k).
/// SAME: out = ceil(in / stride), pad_total = max((out - 1) * stride + k - in, 0), with the
/// smaller half (pad_total / 2) at the top/left and the remainder at the bottom/right.
inline conv_geometry conv2d_geometry(std::size_t h, std::size_t w, std::size_t kh, std::size_t kw, std::size_t stride_h,
                                     std::size_t stride_w, padding pad) {
  TFE_ENFORCE(kh > 0 && kw > 0, shape_error, "conv2d: empty ", kh, "x", kw, " window");
  TFE_ENFORCE(stride_h > 0 && stride_w > 0, shape_error, "conv2d: strides must be positive, got ", stride_h, "x",
              stride_w);
  conv_geometry g;
  if (pad == padding::valid) {
    TFE_ENFORCE(h >= kh && w >= kw, shape_error, "conv2d: VALID padding needs the ", h, "x", w,
                " input to be at least as large as the ", kh, "x", kw, " window");
    g.out_h = (h - kh) / stride_h + 1;
    g.out_w = (w - kw) / stride_w + 1;
    return g;
  }
  g.out_h = (h + stride_h - 1) / stride_h;
  g.out_w = (w + stride_w - 1) / stride_w;
  const auto total = [](std::size_t out, std::size_t stride, std::size_t k, std::size_t in) {
    const std::size_t need = out == 0 ? 0 : (out - 1) * stride + k;
    return need > in ? need - in : std::size_t(0);
  };
  const std::size_t th = total(g.out_h, stride_h, kh, h), tw = total(g.out_w, stride_w, kw, w);
  g.pad_top = th / 2;
  g.pad_bottom = th - g.pad_top;
  g.pad_left = tw / 2;
  g.pad_right = tw - g.pad_left;
  return g;
}

namespace detail {

/// Input row/column of window offset `d` at output position `o`, or -1 when it falls in padding.
inline std::ptrdiff_t conv_source(std::size_t o, std::size_t stride, std::size_t d, std::size_t pad, std::size_t in) {
  const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(o * stride + d) - static_cast<std::ptrdiff_t>(pad);
  return (s >= 0 && s < static_cast<std::ptrdiff_t>(in)) ? s : -1;
}

inline void check_nhwc(const shape_t& s, const char* op) {
  TFE_ENFORCE(s.size() == 4, shape_error, op, ": input must be NHWC (4-D), got shape ", shape_str(s));
}

}  // namespace detail

/// Patches of an NHWC image as rows: x (N, H, W, C) -> (N*out_h*out_w, kh*kw*C).
/// Row (n*out_h + oy)*out_w + ox holds the window whose top-left input pixel is
/// (oy*stride_h - pad_top, ox*stride_w - pad_left); column (dy*kw + dx)*C + c holds
/// x[n, y+dy, x+dx, c], or 0 outside the image. The column order matches an HWIO filter reshaped
/// to (kh*kw*C, C_out), so conv2d is one matmul.
template <class R>
ring_tensor<R> im2col(const ring_tensor<R>& x, std::size_t kh, std::size_t kw, std::size_t stride_h,
                      std::size_t stride_w, std::size_t pad_top, std::size_t pad_left, std::size_t out_h,
                      std::size_t out_w) {
  const shape_t xs = shape_of(x);
  detail::check_nhwc(xs, "im2col");
  TFE_ENFORCE(kh > 0 && kw > 0 && stride_h > 0 && stride_w > 0, shape_error, "im2col: window ", kh, "x", kw,
              " and strides ", stride_h, "x", stride_w, " must be positive");
  const std::size_t nb = xs[0], h = xs[1], w = xs[2], c = xs[3];
  const std::size_t row_len = kh * kw * c;
  ring_tensor<R> cols = detail::filled(shape_t{nb * out_h * out_w, row_len}, R(0));
  const R* in = x.data();
  R* out = cols.data();
  for (std::size_t n = 0; n < nb; ++n)
    for (std::size_t oy = 0; oy < out_h; ++oy)
      for (std::size_t ox = 0; ox < out_w; ++ox) {
        R* row = out + ((n * out_h + oy) * out_w + ox) * row_len;
        for (std::size_t dy = 0; dy < kh; ++dy) {
          const std::ptrdiff_t sy = detail::conv_source(oy, stride_h, dy, pad_top, h);
          if (sy < 0) continue;  // padding row: stays zero
          for (std::size_t dx = 0; dx < kw; ++dx) {
            const std::ptrdiff_t sx = detail::conv_source(ox, stride_w, dx, pad_left, w);
            if (sx < 0) continue;
            // NHWC keeps the C channels of a pixel contiguous, so a window pixel is one copy.
            const R* src = in + ((n * h + static_cast<std::size_t>(sy)) * w + static_cast<std::size_t>(sx)) * c;
            std::copy(src, src + c, row + (dy * kw + dx) * c);
          }
        }
      }
  return cols;
}

/// The adjoint of im2col: scatter-adds every patch row of `cols` back into an image of shape
/// x_shape (N, H, W, C); padding positions are dropped. <im2col(x), y> == <x, col2im(y)>, which
/// is what the backward pass of conv2d with respect to its input needs.
template <class R>
ring_tensor<R> col2im(const ring_tensor<R>& cols, const shape_t& x_shape, std::size_t kh, std::size_t kw,
                      std::size_t stride_h, std::size_t stride_w, std::size_t pad_top, std::size_t pad_left,
                      std::size_t out_h, std::size_t out_w) {
  detail::check_nhwc(x_shape, "col2im");
  TFE_ENFORCE(kh > 0 && kw > 0 && stride_h > 0 && stride_w > 0, shape_error, "col2im: window ", kh, "x", kw,
              " and strides ", stride_h, "x", stride_w, " must be positive");
  const std::size_t nb = x_shape[0], h = x_shape[1], w = x_shape[2], c = x_shape[3];
  const std::size_t row_len = kh * kw * c;
  const shape_t expect{nb * out_h * out_w, row_len};
  TFE_ENFORCE(shape_of(cols) == expect, shape_error, "col2im: patches have shape ", shape_str(shape_of(cols)),
              " but image ", shape_str(x_shape), " with a ", kh, "x", kw, " window and a ", out_h, "x", out_w,
              " output needs ", shape_str(expect));
  ring_tensor<R> x = detail::filled(x_shape, R(0));
  const R* in = cols.data();
  R* out = x.data();
  for (std::size_t n = 0; n < nb; ++n)
    for (std::size_t oy = 0; oy < out_h; ++oy)
      for (std::size_t ox = 0; ox < out_w; ++ox) {
        const R* row = in + ((n * out_h + oy) * out_w + ox) * row_len;
        for (std::size_t dy = 0; dy < kh; ++dy) {
          const std::ptrdiff_t sy = detail::conv_source(oy, stride_h, dy, pad_top, h);
          if (sy < 0) continue;
          for (std::size_t dx = 0; dx < kw; ++dx) {
            const std::ptrdiff_t sx = detail::conv_source(ox, stride_w, dx, pad_left, w);
            if (sx < 0) continue;
            R* dst = out + ((n * h + static_cast<std::size_t>(sy)) * w + static_cast<std::size_t>(sx)) * c;
            const R* src = row + (dy * kw + dx) * c;
            for (std::size_t ch = 0; ch < c; ++ch) dst[ch] += src[ch];
          }
        }
      }
  return x;
}

/// 2-D convolution (TensorFlow's conv2d, i.e. cross-correlation) mod 2^bits:
/// x (N, H, W, C_in) NHWC, w (kh, kw, C_in, C_out) HWIO, strides (stride_h, stride_w);
/// returns (N, out_h, out_w, C_out) = im2col(x) @ w.reshape(kh*kw*C_in, C_out), the product on up to
/// `threads` threads.
template <class R>
ring_tensor<R> conv2d(const ring_tensor<R>& x, const ring_tensor<R>& w, std::array<std::size_t, 2> strides, padding pad,
                      std::size_t threads = 1) {
  const shape_t xs = shape_of(x), ws = shape_of(w);
  detail::check_nhwc(xs, "conv2d");
  TFE_ENFORCE(ws.size() == 4, shape_error, "conv2d: filter must be HWIO (4-D), got shape ", shape_str(ws));
  TFE_ENFORCE(xs[3] == ws[2], shape_error, "conv2d: input has ", xs[3], " channels but filter expects ", ws[2],
              " (input shape ", shape_str(xs), ", filter shape ", shape_str(ws), ")");
  const std::size_t kh = ws[0], kw = ws[1], cin = ws[2], cout = ws[3];
  const conv_geometry g = ring_ops::conv2d_geometry(xs[1], xs[2], kh, kw, strides[0], strides[1], pad);
  const ring_tensor<R> cols =
      ring_ops::im2col(x, kh, kw, strides[0], strides[1], g.pad_top, g.pad_left, g.out_h, g.out_w);
  const std::size_t rows = xs[0] * g.out_h * g.out_w;
  ring_tensor<R> out = detail::filled(shape_t{xs[0], g.out_h, g.out_w, cout}, R(0));
  // HWIO is already row-major (kh*kw*C_in) x C_out, so the filter is used in place.
  ::tfe::matmul_kernel(cols.data(), w.data(), out.data(), rows, kh * kw * cin, cout, threads);
  return out;
}

}  // namespace ring_ops
}  // namespace tfe
