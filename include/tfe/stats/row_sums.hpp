// tfe/stats/row_sums.hpp: sums over the rows of products of two private tables, the kernel of the
// variance, the covariance, the correlation, the regression's normal equations and the histogram's
// bin counts. Generic over protocol and ring.
//
// Why not a product and then a sum. An elementwise product a ⊙ b of (n, k) tables costs every
// protocol a message of n·k elements per server (ABY3 reshares it, Pond opens both operands) and a
// truncation of n·k values, only for the sum over rows to throw the n away. A sum of products is a
// bilinear function of the two tables, like a matmul: each protocol applies it to its local shares
// (ABY3: the three cross terms; Pond: Beaver's masks with the dealer's triple under the same
// function), so that only the k (or k·k) sums are reshared and truncated.
//
// Why chunks, and why exact. Before its truncation a sum is at scale 2^2f: the Gram matrix of
// 10^6 standardized rows has entries near 10^6·2^32 ≈ 2^52 on ring64. The probabilistic truncation
// fails with probability about 2^(b+1−ℓ) for |value| < 2^b, 2^-11 per entry there, so a 20 × 20
// correlation matrix would be wrong somewhere in one run of five; and a sum of more than 2^(ℓ−2−2f)
// units wraps the ring. So rows are summed in chunks of `rows_per_chunk` (2^12 on ring64), each
// chunk's sums are truncated with the exact truncation (session::set_truncation; never the large
// error for |value| < 2^(ℓ−2)), and the truncated chunk sums, at scale 2^f, are added locally.
// Requirement: within a chunk the products' real sum stays below 2^(ℓ−2−2f), i.e. the mean product
// below 2^(ℓ−2−2f)/rows_per_chunk = 2^18 on ring64 (columns whose mean square is below 2^18: every
// variance the fixed-point range admits, 2^15, after centering). Error: at most one ulp (2^-f) per
// chunk and output, ⌈n / rows_per_chunk⌉ ulps in all (245 for 10^6 rows: 0.004 on a sum of 10^6).
//
// Cost (ABY3): one product round on c·k outputs (column_dot) or c·ka·kb (gram), c the number of
// chunks, with its exact truncation (one more round, 2 bytes per value on ring64); locally
// n·k (n·ka·kb) multiply-adds per cross term. Pond and SecureNN: the Beaver product opens both
// operands (n·k elements each) as their matmul does, then the exact truncation of the outputs.
#pragma once

#include "tfe/ops/arithmetic.hpp"
#include "tfe/ops/structure.hpp"
#include "tfe/ring/kernels.hpp"
#include "tfe/stats/table.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <type_traits>

namespace tfe::stats {

namespace detail {

template <protocol P>
void check_columns(const private_tensor<P>& x, const char* op) {
  TFE_ENFORCE(x.ndim() == 2 && x.shape()[0] > 0 && x.shape()[1] > 0, shape_error, op,
              ": a non-empty table of shape (rows, columns) is needed, got ", shape_str(x.shape()));
}

/// Rows summed before a truncation: 2^(ℓ − 2 − 2f − 18), at least 1 (4096 on ring64 with f = 16).
template <protocol P>
std::size_t rows_per_chunk(const session<P>& s) {
  const int bits =
      static_cast<int>(ring_traits<typename P::ring>::bits) - 2 - 2 * static_cast<int>(s.fixed_point().frac_bits) - 18;
  return bits <= 0 ? 1 : std::size_t(1) << std::min(bits, 40);
}

/// The exact truncation for the large sums of a statistic, while the scope lives, where the ring has
/// one (ring64, ring128; a wider ring keeps the session's mode: its headroom is the safety).
template <protocol P>
class exact_sums_scope {
 public:
  explicit exact_sums_scope(session<P>& s) {
    using R = typename P::ring;
    if constexpr (std::is_same_v<R, ring64> || std::is_same_v<R, ring128>) m_scope.emplace(s, truncation_mode::exact);
  }

 private:
  std::optional<truncation_scope<P>> m_scope;
};

/// The chunk sums Σ_{r ∈ chunk j} x[r, c]·y[r, c] of two (n, k) share components, shape (chunks, k):
/// bilinear, for P::bilinear.
template <class R>
struct chunked_column_dot {
  std::size_t rows_per_chunk;
  ring_tensor<R> operator()(const ring_tensor<R>& x, const ring_tensor<R>& y) const {
    const std::size_t n = x.shape()[0], k = x.shape()[1];
    const std::size_t chunks = (n + rows_per_chunk - 1) / rows_per_chunk;
    ring_tensor<R> out = ring_tensor<R>::from_shape({chunks, k});
    std::fill(out.data(), out.data() + out.size(), R(0));
    const R* xp = x.data();
    const R* yp = y.data();
    for (std::size_t r = 0; r < n; ++r) {
      R* o = out.data() + (r / rows_per_chunk) * k;
      for (std::size_t c = 0; c < k; ++c) o[c] += R(xp[r * k + c] * yp[r * k + c]);
    }
    return out;
  }
};

/// The chunk Gram matrices Σ_{r ∈ chunk j} x[r, :]ᵀ·y[r, :] of share components x (n, ka) and
/// y (n, kb), shape (chunks, ka, kb): bilinear, for P::bilinear.
template <class R>
struct chunked_gram {
  std::size_t rows_per_chunk;
  std::size_t threads;
  ring_tensor<R> operator()(const ring_tensor<R>& x, const ring_tensor<R>& y) const {
    const std::size_t n = x.shape()[0], ka = x.shape()[1], kb = y.shape()[1];
    const std::size_t chunks = (n + rows_per_chunk - 1) / rows_per_chunk;
    ring_tensor<R> out = ring_tensor<R>::from_shape({chunks, ka, kb});
    std::fill(out.data(), out.data() + out.size(), R(0));
    ring_tensor<R> xt = ring_tensor<R>::from_shape({ka, std::min(n, rows_per_chunk)});  // a chunk of xᵀ
    for (std::size_t j = 0; j < chunks; ++j) {
      const std::size_t r0 = j * rows_per_chunk, rows = std::min(n, r0 + rows_per_chunk) - r0;
      for (std::size_t c = 0; c < ka; ++c) {  // writes in order, reads one short stride apart
        const R* in = x.data() + r0 * ka + c;
        R* out = xt.data() + c * rows;
        for (std::size_t r = 0; r < rows; ++r) out[r] = in[r * ka];
      }
      ::tfe::matmul_kernel(xt.data(), y.data() + r0 * kb, out.data() + j * ka * kb, ka, rows, kb, threads);
    }
    return out;
  }
};

template <protocol P>
void check_row_operands(const private_tensor<P>& a, const private_tensor<P>& b, const char* op) {
  tfe::detail::check_same_session(a.sess(), b.sess(), op);
  TFE_ENFORCE(a.ndim() == 2 && b.ndim() == 2 && a.shape()[0] == b.shape()[0] && a.shape()[0] > 0, shape_error, op,
              ": two non-empty tables with the same rows are needed, got ", shape_str(a.shape()), " and ",
              shape_str(b.shape()));
}

}  // namespace detail

/// Σ_rows a ⊙ b per column, shape (k), at scale 2^f: the chunked, exactly truncated sum of products
/// of the file comment (one product round on ⌈n/4096⌉·k values on ring64, no n·k message under
/// ABY3). a and b have the same shape (n, k).
template <protocol P>
private_tensor<P> column_dot(const private_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  detail::check_row_operands(a, b, "column_dot");
  TFE_ENFORCE(a.shape() == b.shape(), shape_error, "column_dot: shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()), " differ");
  auto& s = a.sess();
  auto scope = s.op_scope("stats_column_dot");
  const std::size_t m = detail::rows_per_chunk(s), n = a.shape()[0], k = a.shape()[1];
  const shape_t zs{(n + m - 1) / m, k};
  const detail::exact_sums_scope<P> exact(s);
  auto chunks = tfe::detail::truncated_product(s, &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), zs,
                                               detail::chunked_column_dot<R>{m});
  return sum(chunks, {0});
}

/// aᵀ·b over the rows, shape (ka, kb), at scale 2^f: the chunked, exactly truncated Gram matrix of the
/// file comment (one product round on ⌈n/4096⌉·ka·kb values on ring64). a (n, ka), b (n, kb).
template <protocol P>
private_tensor<P> gram(const private_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  detail::check_row_operands(a, b, "gram");
  auto& s = a.sess();
  auto scope = s.op_scope("stats_gram");
  const std::size_t m = detail::rows_per_chunk(s), n = a.shape()[0];
  const shape_t zs{(n + m - 1) / m, a.shape()[1], b.shape()[1]};
  const detail::exact_sums_scope<P> exact(s);
  auto chunks = tfe::detail::truncated_product(s, &a.parts(), nullptr, &b.parts(), nullptr, a.shape(), b.shape(), zs,
                                               detail::chunked_gram<R>{m, s.threads()});
  return sum(chunks, {0});
}

}  // namespace tfe::stats
