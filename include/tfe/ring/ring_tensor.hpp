// tfe/ring/ring_tensor.hpp: the ring tensor type, a dense row-major xt::xarray over Z_2^k, and its
// allocator, which backs large tensors with transparent huge pages.
//
// Why. An MPC op makes fresh tensors for its intermediates (masks, shares, products, bit slices),
// and glibc hands every freed block above its mmap threshold back to the OS, so a large intermediate
// costs one page fault per 4 KiB at its first touch. On a virtual machine a fault costs several
// microseconds: GELU on 393,216 values under ABY3 took 356,000 faults and 2.3 s of system time of
// 5.3 s CPU (`bench_micro --filter gelu`, docs/benchmarks/analysis.md, "Huge pages and fewer fresh tensors").
//
// What. A block of at least `huge_page_min_bytes` is mapped on its own (mmap), aligned to 2 MiB,
// its length rounded up to a multiple of 2 MiB, and advised MADV_HUGEPAGE: where transparent huge
// pages are enabled ("madvise", Debian's and Ubuntu's default, or "always") the kernel backs it with
// 2 MiB pages, 512 times fewer faults. Where they are not (THP "never", or not Linux) the block gets
// ordinary pages and nothing else changes. Smaller blocks come from operator new. The allocator is
// stateless (no pool of its own, no global): a block goes back to the OS when its tensor is freed,
// or to the running session's block cache (below), and an application's own allocator settings are
// untouched.
//
// Cost: up to 2 MiB − 4 KiB of rounding per large block (at most half of the block), paid in
// resident memory only where huge pages are on.
//
// Metering. On a thread that runs a session's program, every block is counted by the session's
// memory meter (memory_meter.hpp): the player's peak memory in ring tensors.
//
// Reuse. On a thread that runs a session's program, a freed large block goes to the session's
// block_cache (block_cache.hpp) and the next block of the same mapped length comes from there: no
// fresh mapping, and no zeroing of its pages by the kernel.
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/block_cache.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tfe {

namespace detail {

inline constexpr std::size_t huge_page_bytes = std::size_t(2) << 20;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TFE_RING_ALLOCATOR_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TFE_RING_ALLOCATOR_SANITIZED 1
#endif
#endif

/// Blocks from 1 MiB on get their own huge-page mapping; under ASan or TSan none do, so that the
/// sanitizer sees every block (it does not watch mmap).
#if defined(TFE_RING_ALLOCATOR_SANITIZED)
inline constexpr std::size_t huge_page_min_bytes = ~std::size_t(0);
#else
inline constexpr std::size_t huge_page_min_bytes = std::size_t(1) << 20;
#endif

inline std::size_t round_up_to_huge_pages(std::size_t bytes) {
  return (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
}

/// `bytes` of memory aligned to 2 MiB, advised to be backed by huge pages: a block of the same
/// mapped length from this thread's block_cache when it has one (old contents), else a fresh mapping
/// (zeroed).
inline void* map_huge_pages(std::size_t bytes) {
#if defined(__linux__)
  const std::size_t len = round_up_to_huge_pages(bytes);
  if (block_cache* cache = block_cache::current())
    if (void* p = cache->take(len)) return p;
  // Over-map by one huge page and cut the ends so that the block starts on a 2 MiB boundary.
  void* raw = ::mmap(nullptr, len + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto begin = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t start = (begin + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  const std::uintptr_t end = begin + len + huge_page_bytes;
  if (start > begin) ::munmap(raw, start - begin);
  if (end > start + len) ::munmap(reinterpret_cast<void*>(start + len), end - (start + len));
  ::madvise(reinterpret_cast<void*>(start), len, MADV_HUGEPAGE);  // advice only: ordinary pages if refused
  return reinterpret_cast<void*>(start);
#else
  return ::operator new(bytes);
#endif
}

/// Frees a block of map_huge_pages: into this thread's block_cache when it has one and room, else
/// back to the OS.
inline void unmap_huge_pages(void* p, std::size_t bytes) noexcept {
#if defined(__linux__)
  const std::size_t len = round_up_to_huge_pages(bytes);
  if (block_cache* cache = block_cache::current()) {
    try {
      if (cache->put(p, len)) return;
    } catch (...) {  // no room to remember it (bad_alloc): unmap it
    }
  }
  unmap_block(p, len);
#else
  ::operator delete(p);
  (void)bytes;
#endif
}

}  // namespace detail

/// The allocator of ring tensors (see the header comment): stateless, every instance equal.
template <class T>
struct ring_allocator {
  using value_type = T;

  ring_allocator() noexcept = default;
  template <class U>
  ring_allocator(const ring_allocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(std::size_t n) {
    T* p = allocate_block(n);
    if (memory_meter* m = memory_meter::current()) m->allocated(footprint(n));
    return p;
  }

  void deallocate(T* p, std::size_t n) noexcept {
    // The meter first: computed after the free, GCC's -Wuse-after-free (ASan builds) takes the size
    // for a read of the freed block (xtensor passes it as p_end − p_begin).
    if (memory_meter* m = memory_meter::current()) m->freed(footprint(n));
    deallocate_block(p, n);
  }

 protected:
  /// The block itself, not counted by the thread's memory meter (frames: net/frame.hpp).
  static T* allocate_block(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= detail::huge_page_min_bytes) return static_cast<T*>(detail::map_huge_pages(bytes));
    return static_cast<T*>(::operator new(bytes, std::align_val_t(alignof(T))));
  }
  static void deallocate_block(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= detail::huge_page_min_bytes)
      detail::unmap_huge_pages(p, bytes);
    else
      ::operator delete(p, std::align_val_t(alignof(T)));
  }
  /// What a block of n elements occupies: a mapped block its mapped length (ring/memory_meter.hpp).
  static std::size_t footprint(std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    return bytes >= detail::huge_page_min_bytes ? detail::round_up_to_huge_pages(bytes) : bytes;
  }

 public:
  friend bool operator==(const ring_allocator&, const ring_allocator&) noexcept { return true; }
};

/// A dense row-major tensor of ring elements R (ring64, ring128, ..., or the 64-bit words of bit
/// slices): every share, mask and product of the protocols.
template <class R>
using ring_tensor = xt::xarray<R, xt::layout_type::row_major, ring_allocator<R>>;

// ---- elementwise arithmetic on ring tensors --------------------------------------------------
//
// What. `a + b`, `a - b`, `a * b`, `a ^ b`, `a & b`, `a | b` and `-a` on ring tensors (and with a
// scalar of the element type, `a * r`, `r * a`, ...) evaluate at once into a ring tensor, wrapping
// mod 2^bits; `a += b` and its kin work in place. Operands of equal shape are one loop over the
// flat row-major data, and a temporary operand's block is reused for the result (`x0 + x1 + m`
// allocates once). Operands of different shapes broadcast by numpy's rules, as xtensor's did, in a
// strided loop (ring_broadcast_elementwise).
//
// Why. Without these, `a + b` is xtensor's lazy expression, and each distinct expression type is
// instantiated anew in every unit that uses it (stepper, assigner and function types); unoptimized
// (the test build compiles at -O0) it evaluates through several calls per element, and it was the
// largest part of the tests' run time (perf on the ResNet fine-tuning check). Values are identical:
// xtensor evaluated R(x op y) per element too.
//
// How they are found. ring_tensor<R> has tfe::ring_allocator<R> as a template argument, so
// argument-dependent lookup sees these operators in namespace tfe next to xtensor's. Both are
// templates over forwarding references; these are constrained (requires) and xtensor's are not, so
// C++20's partial ordering prefers these. Mixed expressions (a ring tensor with a view, a
// broadcast or another xexpression) stay xtensor's.

namespace detail {

template <class T>
struct ring_tensor_element {};
template <class R>
struct ring_tensor_element<ring_tensor<R>> {
  using type = R;
};

/// A ring tensor, of any value category.
template <class T>
concept ring_tensor_operand = requires {
  typename ring_tensor_element<std::remove_cvref_t<T>>::type;
};

/// Two ring tensors of the same element type.
template <class A, class B>
concept same_ring_tensors = ring_tensor_operand<A> && std::same_as<std::remove_cvref_t<A>, std::remove_cvref_t<B>>;

/// The element type of a ring tensor operand.
template <class T>
using ring_element_t = typename ring_tensor_element<std::remove_cvref_t<T>>::type;

/// A ring tensor A and a scalar S of its element type.
template <class A, class S>
concept ring_tensor_and_scalar = ring_tensor_operand<A> && std::same_as<std::remove_cvref_t<S>, ring_element_t<A>>;

struct ring_plus {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x + y);
  }
};
struct ring_minus {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x - y);
  }
};
struct ring_times {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x * y);
  }
};
struct ring_xor {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x ^ y);
  }
};
struct ring_and {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x & y);
  }
};
struct ring_or {
  template <class R>
  R operator()(const R& x, const R& y) const {
    return R(x | y);
  }
};

/// True when T&& names a temporary whose block the result may take.
template <class T>
inline constexpr bool reusable_operand =
    std::is_rvalue_reference_v<T&&> && !std::is_const_v<std::remove_reference_t<T>>;

/// op over two ring tensors of equal shape: into a's block when a is a temporary, else b's, else a
/// fresh tensor. Reading and writing the same element in one step makes the reuse safe.
template <class A, class B, class Op>
std::remove_cvref_t<A> ring_elementwise(A&& a, B&& b, Op op) {
  using T = std::remove_cvref_t<A>;
  const std::size_t n = a.size();
  const auto* x = a.data();
  const auto* y = b.data();
  T out = [&]() -> T {  // (a default-constructed xarray would allocate its one 0-d element)
    if constexpr (reusable_operand<A>)
      return std::move(a);
    else if constexpr (reusable_operand<B>)
      return std::move(b);
    else
      return T::from_shape(a.shape());
  }();
  auto* o = out.data();
  for (std::size_t i = 0; i < n; ++i) o[i] = op(x[i], y[i]);
  return out;
}

/// op(a[i], s) (or op(s, a[i]) when scalar_first) over a ring tensor, into a's block when it is a
/// temporary.
template <bool scalar_first, class A, class S, class Op>
std::remove_cvref_t<A> ring_elementwise_scalar(A&& a, const S& s, Op op) {
  using T = std::remove_cvref_t<A>;
  const std::size_t n = a.size();
  const auto* x = a.data();
  T out = [&]() -> T {
    if constexpr (reusable_operand<A>)
      return std::move(a);
    else
      return T::from_shape(a.shape());
  }();
  auto* o = out.data();
  for (std::size_t i = 0; i < n; ++i) o[i] = scalar_first ? op(s, x[i]) : op(x[i], s);
  return out;
}

/// numpy broadcasting of two shapes; throws shape_error naming the op and both shapes.
inline shape_t broadcast_shapes(const shape_t& a, const shape_t& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  shape_t out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TFE_ENFORCE(da == db || da == 1 || db == 1, shape_error, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// The element strides of a row-major tensor of shape `in` read as a tensor of shape `out` (numpy
/// broadcasting: `in` aligned to the right, 0 along the axes where `in` has size 1 or none).
inline shape_t broadcast_strides(const shape_t& in, const shape_t& out) {
  shape_t st(out.size(), 0);
  std::size_t acc = 1;
  for (std::size_t d = in.size(); d-- > 0;) {
    if (in[d] != 1) st[d + out.size() - in.size()] = acc;
    acc *= in[d];
  }
  return st;
}

/// out[i] = op(a[i'], b[i'']) over the broadcast shape `shape` (which both operands broadcast to),
/// walking the output in row-major order with an odometer over the outer axes; the innermost axis
/// is a loop with constant operand strides.
template <class R, class Op>
ring_tensor<R> ring_broadcast_elementwise(const ring_tensor<R>& a, const ring_tensor<R>& b, const shape_t& shape,
                                          Op op) {
  ring_tensor<R> out = ring_tensor<R>::from_shape(shape);
  const std::size_t nd = shape.size(), total = out.size();
  const R* x = a.data();
  const R* y = b.data();
  R* o = out.data();
  if (total == 0) return out;
  if (nd == 0) {
    o[0] = op(x[0], y[0]);
    return out;
  }
  const std::array<shape_t, 2> strides = {broadcast_strides(shape_of(a), shape), broadcast_strides(shape_of(b), shape)};
  const std::size_t inner = shape[nd - 1], ia = strides[0][nd - 1], ib = strides[1][nd - 1];
  for_each_row<2>(shape, strides, [&](std::size_t base, const std::array<std::size_t, 2>& off) {
    for (std::size_t j = 0; j < inner; ++j) o[base + j] = op(x[off[0] + j * ia], y[off[1] + j * ib]);
  });
  return out;
}

/// t read as a tensor of shape `shape` (numpy broadcasting), as a fresh tensor; throws shape_error
/// when t does not broadcast to it.
template <class R>
ring_tensor<R> ring_broadcast_to(const ring_tensor<R>& t, const shape_t& shape) {
  TFE_ENFORCE(broadcast_shapes(shape_of(t), shape, "broadcast_to") == shape, shape_error, "broadcast_to: shape ",
              shape_str(shape_of(t)), " does not broadcast to ", shape_str(shape));
  return ring_broadcast_elementwise(t, t, shape, [](const R& x, const R&) { return x; });
}
}  // namespace detail

// One block per operator: tensor op tensor (equal shapes: one loop; else the broadcasting walk),
// tensor op scalar, scalar op tensor, and tensor op= tensor (in a's block when the shapes are equal).
#define TFE_RING_TENSOR_OPERATOR(OP, FN)                                                                       \
  template <class A, class B>                                                                                  \
  requires detail::same_ring_tensors<A, B> std::remove_cvref_t<A>                                              \
  operator OP(A&& a, B&& b) {                                                                                  \
    if (a.shape() == b.shape()) return detail::ring_elementwise(std::forward<A>(a), std::forward<B>(b), FN{}); \
    return detail::ring_broadcast_elementwise(                                                                 \
        a, b, detail::broadcast_shapes(shape_of(a), shape_of(b), "ring tensor " #OP), FN{});                   \
  }                                                                                                            \
  template <class A, class S>                                                                                  \
  requires detail::ring_tensor_and_scalar<A, S> std::remove_cvref_t<A>                                         \
  operator OP(A&& a, S&& s) { return detail::ring_elementwise_scalar<false>(std::forward<A>(a), s, FN{}); }    \
  template <class S, class A>                                                                                  \
  requires detail::ring_tensor_and_scalar<A, S> std::remove_cvref_t<A>                                         \
  operator OP(S&& s, A&& a) { return detail::ring_elementwise_scalar<true>(std::forward<A>(a), s, FN{}); }     \
  template <class R>                                                                                           \
  ring_tensor<R>& operator OP##=(ring_tensor<R>& a, const ring_tensor<R>& b) {                                 \
    if (a.shape() == b.shape())                                                                                \
      a = detail::ring_elementwise(std::move(a), b, FN{});                                                     \
    else                                                                                                       \
      a = detail::ring_broadcast_elementwise(                                                                  \
          a, b, detail::broadcast_shapes(shape_of(a), shape_of(b), "ring tensor " #OP "="), FN{});             \
    return a;                                                                                                  \
  }

TFE_RING_TENSOR_OPERATOR(+, detail::ring_plus)
TFE_RING_TENSOR_OPERATOR(-, detail::ring_minus)
TFE_RING_TENSOR_OPERATOR(*, detail::ring_times)
TFE_RING_TENSOR_OPERATOR(^, detail::ring_xor)
TFE_RING_TENSOR_OPERATOR(&, detail::ring_and)
TFE_RING_TENSOR_OPERATOR(|, detail::ring_or)

#undef TFE_RING_TENSOR_OPERATOR

/// -a mod 2^bits, into a's block when it is a temporary.
template <class A>
requires detail::ring_tensor_operand<A> std::remove_cvref_t<A>
operator-(A&& a) {
  using R = detail::ring_element_t<A>;
  return detail::ring_elementwise_scalar<true>(std::forward<A>(a), R(0), detail::ring_minus{});
}

}  // namespace tfe
