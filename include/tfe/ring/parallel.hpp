// tfe/ring/parallel.hpp: threads within one player. A kernel's index range is split into contiguous
// chunks, one per thread (the calling thread takes the first); each chunk writes its own part of the
// output. Ring arithmetic is exact (mod 2^ℓ, associative and commutative), so any split gives results
// bit-identical to one thread: tests/test_threads.cpp checks it through the protocols.
//
// The thread count is the session's (session::threads(), session_options::threads): by default the
// hardware threads divided by the players running in this process, at least 1. Kernels split only
// when the work is large enough to pay for starting the threads (about 20-50 µs each).
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace tfe {

/// Calls f(begin, end) on contiguous chunks covering [0, n), at most `threads` of them, each a
/// multiple of `grain` long (except the last); blocks until all are done and rethrows the first
/// exception of any chunk.
template <class F>
void parallel_for(std::size_t n, std::size_t threads, std::size_t grain, F&& f) {
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t chunks = std::min(std::max<std::size_t>(threads, 1), (n + grain - 1) / grain);
  if (chunks <= 1) {
    f(std::size_t(0), n);
    return;
  }
  const std::size_t per = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
  std::vector<std::exception_ptr> errors(chunks);
  std::vector<std::thread> pool;
  pool.reserve(chunks - 1);
  for (std::size_t c = 1; c < chunks && c * per < n; ++c) {
    const std::size_t b = c * per, e = std::min(n, b + per);
    pool.emplace_back([&f, &errors, c, b, e] {
      try {
        f(b, e);
      } catch (...) {
        errors[c] = std::current_exception();
      }
    });
  }
  try {
    f(std::size_t(0), std::min(n, per));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// The default thread count of a player: hardware threads ÷ players in this process, at least 1.
inline std::size_t default_threads(std::size_t players_in_process) {
  const std::size_t hw = std::max<std::size_t>(std::thread::hardware_concurrency(), 1);
  return std::max<std::size_t>(hw / std::max<std::size_t>(players_in_process, 1), 1);
}

}  // namespace tfe
