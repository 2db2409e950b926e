// tfe/ring/block_cache.hpp: a player's cache of freed huge-page blocks, so that its next large tensor
// reuses memory that is already mapped instead of asking the kernel for fresh, zeroed pages.
//
// Why. ring_allocator (ring_tensor.hpp) maps every block of 1 MiB or more on its own, in 2 MiB pages,
// and unmaps it when the tensor is freed. The next tensor of that size is a new mapping, and the
// kernel zeroes every page of it at the first touch (clear_page): after huge pages removed the
// per-4-KiB faults, that zeroing was the largest single cost left in SecureNN's ReLU on 10^6 values
// (28% of the cycles, `perf record` on `bench_micro --protocol securenn --filter relu`) and a
// third of BERT-base's system time. An MPC op frees and makes tensors of the same few shapes again
// and again (masks, shares, products, bit slices of one layer's width), so a small cache of freed
// blocks, matched by exact mapped length, serves most of them.
//
// What. A block_cache holds up to `max_bytes` of freed blocks, each with its mapped length (a
// multiple of 2 MiB); take(len) hands back the most recently cached block of exactly that length, or
// nothing; put() keeps a block and unmaps the oldest ones beyond max_bytes; the destructor unmaps the
// rest. A reused block holds the old values of whatever tensor had it: nothing in tfe reads memory it
// has not written (xtensor leaves new containers uninitialized already, and a frame is written in
// full, net/frame.hpp), and the memory never leaves the process.
//
// Where it lives. Each session owns one (session_options::block_cache_bytes; 0: none), and the
// runners (run_local, run_player) make it the cache of the player's thread while the program runs,
// with a block_cache::scope. ring_allocator finds it through one thread-local pointer to the running
// session's cache: the pointer is the only thread-local of the library, holds no state of its own,
// and is null on every other thread (a player's matmul workers, an application's threads), where
// blocks are mapped and unmapped as before. Blocks move freely between caches and threads (a frame
// made by one player is freed by the player that received it): a block is only an address and a
// length.
#pragma once

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

  /// A cached block of exactly `mapped_bytes`, the most recently cached first, or nullptr.
  void* take(std::size_t mapped_bytes) {
    std::lock_guard lock(m_mutex);
    for (std::size_t i = m_blocks.size(); i-- > 0;) {
      if (m_blocks[i].bytes != mapped_bytes) continue;
      void* p = m_blocks[i].p;
      m_blocks.erase(m_blocks.begin() + static_cast<std::ptrdiff_t>(i));
      m_cached -= mapped_bytes;
      ++m_hits;
      return p;
    }
    ++m_misses;
    return nullptr;
  }

  /// Keeps a freed block (false when it alone exceeds max_bytes: the caller unmaps it); the oldest
  /// blocks beyond max_bytes are unmapped.
  bool put(void* p, std::size_t mapped_bytes) {
    if (mapped_bytes > m_max_bytes) return false;
    std::lock_guard lock(m_mutex);
    while (!m_blocks.empty() && m_cached + mapped_bytes > m_max_bytes) {
      detail::unmap_block(m_blocks.front().p, m_blocks.front().bytes);
      m_cached -= m_blocks.front().bytes;
      m_blocks.erase(m_blocks.begin());
    }
    m_blocks.push_back({p, mapped_bytes});
    m_cached += mapped_bytes;
    return true;
  }

  std::size_t max_bytes() const { return m_max_bytes; }
  std::size_t cached_bytes() const {
    std::lock_guard lock(m_mutex);
    return m_cached;
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
  static block_cache* current() noexcept { return slot(); }

  /// Makes `cache` this thread's cache until the scope ends (then the previous one again); a null
  /// cache or one of max_bytes 0 means none.
  class scope {
   public:
    explicit scope(block_cache* cache) : m_previous(slot()) {
      slot() = cache && cache->max_bytes() > 0 ? cache : nullptr;
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope() { slot() = m_previous; }

   private:
    block_cache* m_previous;
  };

 private:
  struct block {
    void* p;
    std::size_t bytes;
  };
  static block_cache*& slot() noexcept {
    thread_local block_cache* running = nullptr;  // the running session's cache (see the header comment)
    return running;
  }

  std::size_t m_max_bytes;
  mutable std::mutex m_mutex;
  std::vector<block> m_blocks;  // oldest first
  std::size_t m_cached = 0, m_hits = 0, m_misses = 0;
};

}  // namespace tfe
