// tfe/ring/memory_meter.hpp: how many bytes of ring tensors a player holds, now and at most, so
// that a run can report its peak memory per player and the planner (plan/planning.hpp) can predict
// it (docs/planner.md, "Peak memory").
//
// What is counted. Every block ring_allocator (ring_tensor.hpp) hands out on a thread that runs a
// player's program: shares, masks, products, bit slices, public and revealed ring tensors, by their
// length in memory (a block of 1 MiB or more by its mapped length, a multiple of 2 MiB: what it
// occupies). Frames (net/frame.hpp) are not counted: a message is made by its sender and freed by its
// receiver, on another player's thread, and lives for one message. Nor is what is not a ring tensor:
// a model file's floats, xtensor's double arrays at the input and output players, the block cache's
// freed blocks (ring/block_cache.hpp, at most session_options::block_cache_bytes), the program's code.
//
// Where it lives. Each session owns one meter (session::memory()); the runners make it the meter of
// the player's thread while the program runs, with a memory_meter::scope, through the same one
// thread-local slot as the block cache (detail::player_memory). A thread without one (an
// application's own threads, a player's matmul workers) counts nothing. The counters are signed: a
// block made on a player's thread and freed on another (a result handed back to the caller) leaves
// its bytes counted where it was made, never a wrapped-around count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tfe {

class block_cache;
class memory_meter;

namespace detail {
/// What a thread that runs a player's program uses for its memory: the session's block cache and
/// meter (each null: none). The library's one thread-local.
struct player_memory {
  block_cache* cache = nullptr;
  memory_meter* meter = nullptr;
  static player_memory& current() noexcept {
    thread_local player_memory running;
    return running;
  }
};
}  // namespace detail

class memory_meter {
 public:
  memory_meter() = default;
  memory_meter(const memory_meter&) = delete;
  memory_meter& operator=(const memory_meter&) = delete;

  void allocated(std::size_t bytes) noexcept {
    m_live += static_cast<std::int64_t>(bytes);
    m_peak = std::max(m_peak, m_live);
  }
  void freed(std::size_t bytes) noexcept { m_live -= static_cast<std::int64_t>(bytes); }

  /// Bytes of ring tensors held now, and the most held at once since the start or reset_peak().
  std::int64_t live() const noexcept { return m_live; }
  std::int64_t peak() const noexcept { return m_peak; }
  /// Starts a new peak from what is held now (to measure one part of a program).
  void reset_peak() noexcept { m_peak = m_live; }

  /// The most held at once during a part of a program above what was held when it began
  /// (extra_peak()), measured without losing the meter's own peak.
  class window {
   public:
    explicit window(memory_meter& m) : m_meter(m), m_saved(m.peak()), m_start(m.live()) { m.reset_peak(); }
    window(const window&) = delete;
    window& operator=(const window&) = delete;
    ~window() { m_meter.m_peak = std::max(m_meter.m_peak, m_saved); }
    std::int64_t start() const noexcept { return m_start; }
    std::int64_t extra_peak() const noexcept { return m_meter.peak() - m_start; }

   private:
    memory_meter& m_meter;
    std::int64_t m_saved, m_start;
  };

  /// The meter of this thread's running player, or nullptr.
  static memory_meter* current() noexcept { return detail::player_memory::current().meter; }

  /// Makes `meter` this thread's meter until the scope ends (then the previous one again).
  class scope {
   public:
    explicit scope(memory_meter* meter) : m_previous(detail::player_memory::current().meter) {
      detail::player_memory::current().meter = meter;
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope() { detail::player_memory::current().meter = m_previous; }

   private:
    memory_meter* m_previous;
  };

 private:
  std::int64_t m_live = 0, m_peak = 0;
};

}  // namespace tfe
