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

#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/block_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>

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

}  // namespace tfe
