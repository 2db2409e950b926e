// tfe/ring/block_cache.hpp: a player's cache of freed huge-page blocks, so that its next large tensor
// reuses memory that is already mapped instead of asking the kernel for fresh, zeroed pages.
//
// Why. ring_allocator (ring_tensor.hpp) maps every block of 1 MiB or more on its own, in 2 MiB pages,
// and unmaps it when the tensor is freed. The next tensor of that size is a new mapping, and the
// kernel zeroes every page of it at the first touch (clear_page): after huge pages removed the
// per-4-KiB faults, that zeroing was the largest single cost left in SecureNN's ReLU on 10^6 values
// (28% of the cycles, `perf record` on `bench_micro --protocol securenn --filter relu`) and a
// third of BERT-base's system time. An MPC op frees and makes tensors of the same few shapes again
// and again (masks, shares, products, bit slices of one layer's width), so a cache of freed blocks
// serves most of them.
//
// What. A block_cache holds up to `max_bytes` of freed blocks (address ranges, multiples of 2 MiB);
// take(len) cuts a block of exactly len from the smallest cached block at least that long (best fit:
// an exact fit whole, else its head, the tail staying cached); put() keeps a block, merging it with
// cached neighbours in the address space, after unmapping the least recently cached blocks beyond
// max_bytes; the destructor unmaps the rest. Splitting and merging matter: a statistic over 10^6
// rows makes intermediates of a dozen lengths (each tournament level halves them, a histogram's
// comparisons are 17 times a column), and a cache matched by exact length kept blocks no request
// fitted while every miss was a fresh, zeroed mapping (describe() of 10^6 × 8: 78% of the cycles in
// the kernel's clear_page, `perf record` on `bench_stats --filter describe_no`). A reused block holds
// the old values of whatever tensor had it: nothing in tfe reads memory it has not written (xtensor
// leaves new containers uninitialized already, and a frame is written in full, net/frame.hpp), and
// the memory never leaves the process.
//
// Where it lives. Each session owns one (session_options::block_cache_bytes; 0: none), and the
// runners (run_local, run_player) make it the cache of the player's thread while the program runs,
// with a block_cache::scope. ring_allocator finds it through one thread-local pointer to the running
// session's cache (detail::player_memory, ring/memory_meter.hpp: the library's only thread-local, with
// the session's memory meter beside it; it holds no state of its own), null on every other thread (a player's matmul workers, an application's threads), where
// blocks are mapped and unmapped as before. Blocks move freely between caches and threads (a frame
// made by one player is freed by the player that received it): a block is only an address and a
// length.
#pragma once

#include "tfe/ring/memory_meter.hpp"

#include <cstddef>
#include <mutex>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tfe {

namespace detail {
/// Returns a block of ring_allocator's huge-page mappings (ring_tensor.hpp) to the OS.
inline void unmap_block(void* p, std::size_t mapped_bytes) noexcept {
#if defined(__linux__)
  ::munmap(p, mapped_bytes);
#else
  (void)p;  // (blocks are cached only where they are mapped: on Linux)
  (void)mapped_bytes;
#endif
}
}  // namespace detail

class block_cache {
 public:
  explicit block_cache(std::size_t max_bytes) : m_max_bytes(max_bytes) {}
  block_cache(const block_cache&) = delete;
  block_cache& operator=(const block_cache&) = delete;
  ~block_cache() {
    for (const auto& b : m_blocks) detail::unmap_block(b.p, b.bytes);
  }

  /// A block of `mapped_bytes` (a multiple of 2 MiB) cut from the smallest cached block at least that
  /// long, or nullptr. An exact fit is taken whole; a longer block is split: its head is handed out and
  /// its tail stays cached (both stay 2 MiB aligned).
  void* take(std::size_t mapped_bytes) {
    std::lock_guard lock(m_mutex);
    std::size_t best = m_blocks.size();
    for (std::size_t i = 0; i < m_blocks.size(); ++i)
      if (m_blocks[i].bytes >= mapped_bytes && (best == m_blocks.size() || m_blocks[i].bytes < m_blocks[best].bytes))
        best = i;
    if (best == m_blocks.size()) {
      ++m_misses;
      return nullptr;
    }
    block& b = m_blocks[best];
    void* p = b.p;
    if (b.bytes == mapped_bytes) {
      m_blocks.erase(m_blocks.begin() + static_cast<std::ptrdiff_t>(best));
    } else {
      b.p = static_cast<char*>(b.p) + mapped_bytes;
      b.bytes -= mapped_bytes;
    }
    m_cached -= mapped_bytes;
    ++m_hits;
    return p;
  }

  /// Keeps a freed block (false when it alone exceeds max_bytes: the caller unmaps it). The least
  /// recently cached blocks are unmapped first to make room; the block then merges with cached blocks
  /// that end where it starts or start where it ends (address ranges: munmap of a merged range unmaps
  /// every mapping in it), so that a later, larger request can be cut from them.
  bool put(void* p, std::size_t mapped_bytes) {
    if (mapped_bytes > m_max_bytes) return false;
    std::lock_guard lock(m_mutex);
    while (!m_blocks.empty() && m_cached + mapped_bytes > m_max_bytes) {
      std::size_t oldest = 0;
      for (std::size_t i = 1; i < m_blocks.size(); ++i)
        if (m_blocks[i].stamp < m_blocks[oldest].stamp) oldest = i;
      detail::unmap_block(m_blocks[oldest].p, m_blocks[oldest].bytes);
      m_cached -= m_blocks[oldest].bytes;
      m_blocks.erase(m_blocks.begin() + static_cast<std::ptrdiff_t>(oldest));
    }
    m_cached += mapped_bytes;
    char* begin = static_cast<char*>(p);
    char* end = begin + mapped_bytes;
    for (std::size_t i = m_blocks.size(); i-- > 0;) {
      char* b = static_cast<char*>(m_blocks[i].p);
      if (b + m_blocks[i].bytes != begin && b != end) continue;
      if (b == end)
        end += m_blocks[i].bytes;
      else
        begin = b;
      m_blocks.erase(m_blocks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    m_blocks.push_back({begin, static_cast<std::size_t>(end - begin), ++m_clock});
    return true;
  }

  std::size_t max_bytes() const { return m_max_bytes; }
  std::size_t cached_bytes() const {
    std::lock_guard lock(m_mutex);
    return m_cached;
  }
  /// How many disjoint blocks are cached (merged neighbours count once).
  std::size_t block_count() const {
    std::lock_guard lock(m_mutex);
    return m_blocks.size();
  }
  /// Blocks handed out again (hits) and requests it could not serve (misses).
  std::size_t hits() const {
    std::lock_guard lock(m_mutex);
    return m_hits;
  }
  std::size_t misses() const {
    std::lock_guard lock(m_mutex);
    return m_misses;
  }

  /// The cache of this thread's running session, or nullptr.
  static block_cache* current() noexcept { return detail::player_memory::current().cache; }

  /// Makes `cache` this thread's cache until the scope ends (then the previous one again); a null
  /// cache or one of max_bytes 0 means none.
  class scope {
   public:
    explicit scope(block_cache* cache) : m_previous(current()) {
      detail::player_memory::current().cache = cache && cache->max_bytes() > 0 ? cache : nullptr;
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope() { detail::player_memory::current().cache = m_previous; }

   private:
    block_cache* m_previous;
  };

 private:
  struct block {
    void* p;
    std::size_t bytes;
    std::size_t stamp;  // when it was (last) cached: the smallest is unmapped first
  };
  std::size_t m_max_bytes;
  mutable std::mutex m_mutex;
  std::vector<block> m_blocks;  // disjoint address ranges, in no order (a player caches a few dozen)
  std::size_t m_cached = 0, m_hits = 0, m_misses = 0, m_clock = 0;
};

}  // namespace tfe
