// tfe/ring/kernels.hpp: raw-pointer compute kernels on ring elements (matmul mod 2^k).
//
// Everything here works on contiguous row-major buffers and wraps mod 2^bits through plain
// unsigned arithmetic, so the result equals the integer product reduced mod 2^bits for every
// ring (no overflow handling is needed: Z_2^k is closed under wrapping + and *).
//
// The matmul follows the usual GotoBLAS/BLIS structure, written in portable C++ so GCC
// auto-vectorizes it (no intrinsics):
//   for p0 in K step KC          (a KC-deep slice of A's columns / B's rows)
//     for j0 in M step NC        pack B[p0:p0+KC, j0:j0+NC] into NR-wide column panels
//       for i0 in N step MC      pack A[i0:i0+MC, p0:p0+KC] into MR-tall row panels
//         for each (MR x NR) tile: C_tile += A_panel * B_panel   (micro-kernel)
// The micro-kernel keeps an MR x NR accumulator tile in registers and streams one packed
// column of A (MR scalars, broadcast) and one packed row of B (NR contiguous elements) per
// step of p, so its inner j loop is a fixed-length contiguous multiply-add that GCC turns into
// vpmullq/vpaddq on AVX-512 (ring64). Packing makes both streams unit-stride and pads ragged
// edges with zeros, so the micro-kernel never branches; only the write-back is clipped.
// Block sizes were picked by measurement (benchmarks/bench_ring_matmul.cpp, -O3 -march=native,
// AMD EPYC with AVX-512): ring64 512^3 runs at ~20 GMAC/s, ~55x a textbook i-j-k loop; ring128
// is bound by scalar 64-bit multiplies (~1.1 GMAC/s, ~1.9x). Boost wide rings take a separate
// limb-level path (tfe/ring/wide_ring.hpp), ~4.5x faster than multiplying Boost numbers.
// Single-threaded on purpose: protocols run one thread per player.
#pragma once

#include "tfe/ring/parallel.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace tfe {
namespace detail {

/// Tile and block sizes of the packed matmul for one built-in ring type (the primary template is a
/// conservative default; the measured choices are the specialisations).
template <class R>
struct matmul_blocking {
  static constexpr std::size_t mr = 2;    // rows of the register tile
  static constexpr std::size_t nr = 4;    // columns of the register tile
  static constexpr std::size_t kc = 128;  // depth of a packed slice
  static constexpr std::size_t mc = 64;   // rows of A packed at once
  static constexpr std::size_t nc = 256;  // columns of B packed at once
};

template <>
struct matmul_blocking<ring64> {
  // 4 x 32 uint64 accumulators = 16 zmm registers; the B micro-panel (KC x 32 x 8 bytes = 64 KiB)
  // lives in L2 next to the A block, C tiles stream.
  static constexpr std::size_t mr = 4;
  static constexpr std::size_t nr = 32;
  static constexpr std::size_t kc = 256;
  static constexpr std::size_t mc = 64;
  static constexpr std::size_t nc = 512;
};

template <>
struct matmul_blocking<ring128> {
  // A 128-bit multiply-add is 3 scalar multiplies, so this is bound by the scalar multiplier
  // (~1.1 GMAC/s at best). A 1 x 8 tile keeps 8 accumulators (16 GPRs) live; measured ~1.4x
  // over a plain i-k-j loop and ~1.9x over i-j-k, ahead of 2x4, 4x4, 1x4 and 1x12 tiles.
  static constexpr std::size_t mr = 1;
  static constexpr std::size_t nr = 8;
  static constexpr std::size_t kc = 128;
  static constexpr std::size_t mc = 64;
  static constexpr std::size_t nc = 256;
};

/// C[0:rows, 0:cols] += (packed A panel) * (packed B panel), rows <= MR, cols <= NR.
/// a_panel: kc columns of MR scalars; b_panel: kc rows of NR scalars; both zero-padded.
template <class R, std::size_t MR, std::size_t NR>
inline void matmul_micro(const R* __restrict a_panel, const R* __restrict b_panel, R* __restrict c, std::size_t ldc,
                         std::size_t kc, std::size_t rows, std::size_t cols) {
  R acc[MR][NR];
  for (std::size_t r = 0; r < MR; ++r)
    for (std::size_t j = 0; j < NR; ++j) acc[r][j] = R(0);
  for (std::size_t p = 0; p < kc; ++p) {
    const R* __restrict ap = a_panel + p * MR;
    const R* __restrict bp = b_panel + p * NR;
    for (std::size_t r = 0; r < MR; ++r) {
      const R av = ap[r];
      for (std::size_t j = 0; j < NR; ++j) acc[r][j] += av * bp[j];
    }
  }
  if (rows == MR && cols == NR) {
    for (std::size_t r = 0; r < MR; ++r)
      for (std::size_t j = 0; j < NR; ++j) c[r * ldc + j] += acc[r][j];
  } else {
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < cols; ++j) c[r * ldc + j] += acc[r][j];
  }
}

/// Packs B[0:kc, 0:nc] (leading dimension ldb) into ceil(nc/NR) panels of kc x NR, zero-padded.
template <class R, std::size_t NR>
inline void matmul_pack_b(const R* b, std::size_t ldb, std::size_t kc, std::size_t nc, R* out) {
  for (std::size_t j0 = 0; j0 < nc; j0 += NR) {
    const std::size_t w = std::min(NR, nc - j0);
    for (std::size_t p = 0; p < kc; ++p) {
      const R* src = b + p * ldb + j0;
      std::size_t j = 0;
      for (; j < w; ++j) out[j] = src[j];
      for (; j < NR; ++j) out[j] = R(0);
      out += NR;
    }
  }
}

/// Packs A[0:mc, 0:kc] (leading dimension lda) into ceil(mc/MR) panels, each kc columns of MR
/// scalars (column-major inside the panel), zero-padded.
template <class R, std::size_t MR>
inline void matmul_pack_a(const R* a, std::size_t lda, std::size_t mc, std::size_t kc, R* out) {
  for (std::size_t i0 = 0; i0 < mc; i0 += MR) {
    const std::size_t h = std::min(MR, mc - i0);
    for (std::size_t p = 0; p < kc; ++p) {
      std::size_t r = 0;
      for (; r < h; ++r) out[r] = a[(i0 + r) * lda + p];
      for (; r < MR; ++r) out[r] = R(0);
      out += MR;
    }
  }
}

/// Scratch memory for packed panels: 64-byte aligned, so the micro-kernel's vector loads never
/// split cache lines (16-byte-aligned pack buffers measured 25-60% slower on ring64), and kept
/// per thread and grown on demand, so repeated matmuls pay no allocation or page faults.
template <class R>
class pack_buffer {
 public:
  R* get(std::size_t count) {
    if (count > m_capacity) {
      m_data.reset(static_cast<R*>(::operator new (count * sizeof(R), std::align_val_t{64})));
      m_capacity = count;
    }
    return m_data.get();
  }

 private:
  struct deleter {
    void operator()(R* p) const { ::operator delete (p, std::align_val_t{64}); }
  };
  std::unique_ptr<R, deleter> m_data;
  std::size_t m_capacity = 0;
};

/// The blocked matmul with explicit block sizes (exposed so the benchmark can sweep them).
template <class R, std::size_t MR, std::size_t NR, std::size_t KC, std::size_t MC, std::size_t NC>
void matmul_blocked(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
  static_assert(MC % MR == 0 && NC % NR == 0, "cache blocks must be whole register tiles");
  static_assert(std::is_trivially_copyable_v<R>, "packed matmul is for built-in rings");
  if (n == 0 || m == 0 || k == 0) return;
  const std::size_t kc_max = std::min(KC, k);
  const std::size_t nc_max = std::min(NC, (m + NR - 1) / NR * NR);
  const std::size_t mc_max = std::min(MC, (n + MR - 1) / MR * MR);
  thread_local pack_buffer<R> a_buf, b_buf;
  R* const b_pack = b_buf.get(kc_max * nc_max);
  R* const a_pack = a_buf.get(mc_max * kc_max);
  for (std::size_t p0 = 0; p0 < k; p0 += KC) {
    const std::size_t kc = std::min(KC, k - p0);
    for (std::size_t j0 = 0; j0 < m; j0 += NC) {
      const std::size_t nc = std::min(NC, m - j0);
      matmul_pack_b<R, NR>(b + p0 * m + j0, m, kc, nc, b_pack);
      for (std::size_t i0 = 0; i0 < n; i0 += MC) {
        const std::size_t mc = std::min(MC, n - i0);
        matmul_pack_a<R, MR>(a + i0 * k + p0, k, mc, kc, a_pack);
        for (std::size_t jr = 0; jr < nc; jr += NR) {
          const R* b_panel = b_pack + (jr / NR) * kc * NR;
          const std::size_t cols = std::min(NR, nc - jr);
          for (std::size_t ir = 0; ir < mc; ir += MR) {
            const R* a_panel = a_pack + (ir / MR) * kc * MR;
            const std::size_t rows = std::min(MR, mc - ir);
            matmul_micro<R, MR, NR>(a_panel, b_panel, c + (i0 + ir) * m + j0 + jr, m, kc, rows, cols);
          }
        }
      }
    }
  }
}

/// Direct i-k-j loop without packing, for very few rows of A: packing B would cost as much as
/// the product itself. The inner j loop is contiguous and vectorizes.
template <class R>
void matmul_rows(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
  for (std::size_t i = 0; i < n; ++i) {
    R* __restrict ci = c + i * m;
    for (std::size_t p = 0; p < k; ++p) {
      const R av = a[i * k + p];
      const R* __restrict bp = b + p * m;
      for (std::size_t j = 0; j < m; ++j) ci[j] += av * bp[j];
    }
  }
}

/// The single-threaded product of one ring type: the packed kernel of the built-in rings, or
/// matmul_rows when A has fewer rows than a register tile. Other ring types specialise it beside
/// their definition (tfe/ring/wide_ring.hpp: a limb-level kernel for the Boost wide rings).
template <class R>
struct serial_matmul {
  static void run(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
    using blk = matmul_blocking<R>;
    if (n < blk::mr)
      matmul_rows(a, b, c, n, k, m);
    else
      matmul_blocked<R, blk::mr, blk::nr, blk::kc, blk::mc, blk::nc>(a, b, c, n, k, m);
  }
};

}  // namespace detail

/// C[n x m] += A[n x k] * B[k x m] mod 2^bits; all three row-major and contiguous.
/// c must not overlap a or b. Sizes of 0 are allowed (nothing happens). With threads > 1 and at
/// least 2^22 multiply-adds, the rows of C are split across threads (ring/parallel.hpp): the result
/// is bit-identical to one thread's.
template <class R>
void matmul_kernel(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m, std::size_t threads = 1) {
  if (n == 0 || k == 0 || m == 0) return;
  if (threads > 1 && n >= 16 && n * k * m >= (std::size_t(1) << 22)) {
    parallel_for(n, threads, 8,
                 [&](std::size_t lo, std::size_t hi) { matmul_kernel(a + lo * k, b, c + lo * m, hi - lo, k, m, 1); });
    return;
  }
  detail::serial_matmul<R>::run(a, b, c, n, k, m);
}

}  // namespace tfe

// TFE_COMPILED_RING_KERNELS: the matmul kernels of the built-in rings are compiled once, optimized,
// in tfe_ring_kernels (src/ring/kernels.cpp), and units built with this definition call them instead
// of instantiating their own copy. tfe's test build compiles its units at -O0 (scripts/test.sh:
// less than half of -O1's compile time), where this kernel took 45 % of the ResNet fine-tuning test's
// time; the library keeps it at the build type's optimization. Off by default: an application compiles the
// kernel inline, at its own flags. Nothing else changes: same code, same results.
#if defined(TFE_COMPILED_RING_KERNELS)
#define TFE_RING_MATMUL_KERNEL_EXTERN(R)                                                                    \
  extern template void tfe::matmul_kernel<R>(const R*, const R*, R*, std::size_t, std::size_t, std::size_t, \
                                             std::size_t);
TFE_RING_MATMUL_KERNEL_EXTERN(::tfe::ring64)
TFE_RING_MATMUL_KERNEL_EXTERN(::tfe::ring128)
#undef TFE_RING_MATMUL_KERNEL_EXTERN
#endif
