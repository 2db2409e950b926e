// tests/test_ring_allocator.cpp: the ring tensors' allocator (tfe/ring/ring_tensor.hpp): small
// blocks from operator new, large blocks on their own 2 MiB-aligned mappings advised for huge pages,
// every block usable end to end, ring tensors of every size behaving as before, and frames
// (tfe/net/frame.hpp) behaving as std::vector on the same blocks.
#include <doctest/doctest.h>

#include "tfe/net/frame.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_ring_allocator {

namespace {

constexpr std::size_t mib = std::size_t(1) << 20;

using tfe::ring128;
using tfe::ring64;
using tfe::ring_allocator;
using tfe::ring_tensor;
using tfe::detail::huge_page_bytes;
using tfe::detail::huge_page_min_bytes;

/// The VmFlags line of the mapping that contains address p (/proc/self/smaps), or "" if not found.
std::string vm_flags_of(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

bool thp_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  std::getline(in, s);
  return s.find("[always]") != std::string::npos || s.find("[madvise]") != std::string::npos;
}

}  // namespace

TEST_CASE("ring_tensor is an xt::xarray over ring_allocator, and every allocator is equal") {
  static_assert(std::is_same_v<ring_tensor<ring64>::allocator_type, ring_allocator<ring64>>);
  static_assert(std::is_nothrow_move_constructible_v<ring_tensor<ring64>>);
  CHECK(ring_allocator<ring64>() == ring_allocator<ring64>());
  CHECK(ring_allocator<ring128>(ring_allocator<ring64>()) == ring_allocator<ring128>());
}

TEST_CASE("small blocks: aligned for their type and writable") {
  ring_allocator<ring128> a;
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(17), mib / sizeof(ring128) - 1}) {
    ring128* p = a.allocate(n);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % alignof(ring128) == 0);
    for (std::size_t i = 0; i < n; ++i) p[i] = ring128(i) << 70;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += p[i] != ring128(i) << 70;
    CHECK(wrong == 0);
    a.deallocate(p, n);
  }
}

TEST_CASE("large blocks: own mapping, 2 MiB aligned, advised for huge pages, writable to the last byte") {
  if (huge_page_min_bytes == ~std::size_t(0)) return;  // a sanitizer build: every block from operator new
  ring_allocator<ring64> a;
  // Exactly the threshold, an odd size between huge pages, and several huge pages.
  for (std::size_t bytes : {huge_page_min_bytes, 3 * huge_page_bytes / 2 + 8, 5 * huge_page_bytes}) {
    const std::size_t n = bytes / sizeof(ring64);
    ring64* p = a.allocate(n);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % huge_page_bytes == 0);
    for (std::size_t i = 0; i < n; ++i) p[i] = ring64(i * 0x9e3779b97f4a7c15ULL);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += p[i] != ring64(i * 0x9e3779b97f4a7c15ULL);
    CHECK(wrong == 0);
    if (thp_available()) {
      INFO("bytes = ", bytes, ", flags: ", vm_flags_of(p));
      CHECK(vm_flags_of(p).find(" hg") != std::string::npos);  // MADV_HUGEPAGE took
    }
    a.deallocate(p, n);
  }
  CHECK_THROWS_AS((void)a.allocate(~std::size_t(0) / 4), std::bad_array_new_length);
}

TEST_CASE("ring tensors across the threshold: construction, arithmetic that wraps, copies and moves") {
  for (std::size_t n : {std::size_t(3), mib / sizeof(ring64) + 5}) {
    ring_tensor<ring64> x = ring_tensor<ring64>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) x(i) = ring64(0) - ring64(i);  // wraps to 2^64 − i
    ring_tensor<ring64> y = x + x;
    ring_tensor<ring64> z = y;  // a copy: a second block
    ring_tensor<ring64> w = std::move(y);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += z(i) != ring64(0) - ring64(2 * i) || w(i) != z(i);
    CHECK(wrong == 0);
    CHECK(z.data() != w.data());
  }
}

// ---- the per-session block cache (tfe/ring/block_cache.hpp) ----------------------------------------

TEST_CASE("block cache: a freed large block comes back for the next block of the same mapped length") {
  if (huge_page_min_bytes == ~std::size_t(0)) return;  // a sanitizer build: no mapped blocks to cache
  using tfe::block_cache;
  ring_allocator<ring64> a;
  const std::size_t n4 = 4 * mib / sizeof(ring64), n6 = 6 * mib / sizeof(ring64);
  block_cache cache(16 * mib);
  CHECK(block_cache::current() == nullptr);
  {
    const block_cache::scope use(&cache);
    REQUIRE(block_cache::current() == &cache);
    ring64* p = a.allocate(n4);
    for (std::size_t i = 0; i < n4; ++i) p[i] = ring64(i) * 3;
    a.deallocate(p, n4);
    CHECK(cache.cached_bytes() == 4 * mib);
    ring64* q = a.allocate(n4 - 7);  // rounds up to the same 4 MiB mapping: the same block
    CHECK(q == p);
    CHECK(cache.hits() == 1);
    CHECK(cache.cached_bytes() == 0);
    ring64* r = a.allocate(n6);  // nothing cached: a fresh mapping, a miss
    CHECK(r != q);
    CHECK(cache.misses() == 2);                             // the first allocation and this one
    for (std::size_t i = 0; i < n6; ++i) r[i] = ring64(i);  // every block writable end to end
    a.deallocate(q, n4 - 7);
    a.deallocate(r, n6);
    CHECK(cache.cached_bytes() == 10 * mib);
    // Bounded: 10 MiB cached + 8 MiB > 16 MiB unmaps the least recently cached blocks first (the 4 MiB
    // block, or the 10 MiB the two became if the kernel mapped them side by side), and a block larger
    // than the bound is never kept.
    ring64* s = a.allocate(14 * mib / sizeof(ring64));  // longer than any cached block: a miss
    ring64* big = a.allocate(32 * mib / sizeof(ring64));
    a.deallocate(s, 14 * mib / sizeof(ring64));
    CHECK(cache.cached_bytes() == 14 * mib);
    a.deallocate(big, 32 * mib / sizeof(ring64));
    CHECK(cache.cached_bytes() == 14 * mib);
    {
      block_cache none(0);
      const block_cache::scope off(&none);  // a cache of 0 bytes: no cache at all
      CHECK(block_cache::current() == nullptr);
    }
    CHECK(block_cache::current() == &cache);  // the previous one again
  }
  CHECK(block_cache::current() == nullptr);
  ring64* t = a.allocate(n6);  // no cache on this thread now: a fresh mapping
  const std::size_t hits = cache.hits();
  const std::size_t cached = cache.cached_bytes();
  a.deallocate(t, n6);
  CHECK(cache.hits() == hits);
  CHECK(cache.cached_bytes() == cached);
}

TEST_CASE("block cache: a shorter request is cut from a longer cached block, and neighbours merge again") {
  if (huge_page_min_bytes == ~std::size_t(0)) return;
  using tfe::block_cache;
  ring_allocator<ring64> a;
  const std::size_t n4 = 4 * mib / sizeof(ring64), n6 = 6 * mib / sizeof(ring64), n10 = 10 * mib / sizeof(ring64);
  block_cache cache(64 * mib);
  const block_cache::scope use(&cache);
  ring64* p = a.allocate(n10);
  a.deallocate(p, n10);
  REQUIRE(cache.cached_bytes() == 10 * mib);
  ring64* head = a.allocate(n4);  // best fit: the 10 MiB block's first 4 MiB; its 6 MiB tail stays
  CHECK(head == p);
  CHECK(cache.cached_bytes() == 6 * mib);
  CHECK(cache.block_count() == 1);
  ring64* tail = a.allocate(n6);  // the tail fits exactly
  CHECK(tail == p + n4);
  CHECK(cache.cached_bytes() == 0);
  CHECK(cache.hits() == 2);
  for (std::size_t i = 0; i < n4; ++i) head[i] = ring64(i);  // both halves are usable, and disjoint
  for (std::size_t i = 0; i < n6; ++i) tail[i] = ~ring64(i);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n4; ++i) wrong += head[i] != ring64(i);
  CHECK(wrong == 0);
  a.deallocate(tail, n6);
  a.deallocate(head, n4);  // ends where the cached tail starts: one 10 MiB block again
  CHECK(cache.block_count() == 1);
  CHECK(cache.cached_bytes() == 10 * mib);
  ring64* whole = a.allocate(n10);
  CHECK(whole == p);
  CHECK(cache.hits() == 3);
  // The least recently cached block goes first when the cache is full: a 40 MiB block and then a
  // 20 MiB one exceed 64 MiB with the 10 MiB block returned last, so the 40 MiB one is unmapped.
  ring64* b40 = a.allocate(40 * mib / sizeof(ring64));
  ring64* b20 = a.allocate(20 * mib / sizeof(ring64));
  a.deallocate(b40, 40 * mib / sizeof(ring64));
  a.deallocate(b20, 20 * mib / sizeof(ring64));
  const bool adjacent = cache.block_count() == 1;  // the kernel may map the two side by side
  a.deallocate(whole, n10);
  CHECK(cache.cached_bytes() <= 64 * mib);
  if (!adjacent) CHECK(cache.cached_bytes() == 30 * mib);
}

// ---- the per-session memory meter (tfe/ring/memory_meter.hpp) --------------------------------------

TEST_CASE("memory meter: counts the ring tensors of its thread, by their footprint, and not frames") {
  tfe::memory_meter meter;
  CHECK(tfe::memory_meter::current() == nullptr);
  ring_tensor<ring64> outside = ring_tensor<ring64>::from_shape({1000});  // no meter on this thread yet
  {
    const tfe::memory_meter::scope use(&meter);
    REQUIRE(tfe::memory_meter::current() == &meter);
    {
      ring_tensor<ring64> small = ring_tensor<ring64>::from_shape({1000});
      CHECK(meter.live() == 8000);
      // A large block counts its mapped length: 1.5 MiB takes 2 MiB (without huge pages: as asked).
      ring_tensor<ring64> large = ring_tensor<ring64>::from_shape({3 * mib / 16});
      const std::int64_t large_bytes = huge_page_min_bytes == ~std::size_t(0) ? 3 * mib / 2 : 2 * mib;
      CHECK(meter.live() == 8000 + large_bytes);
      tfe::frame f(5 * mib);  // a message: made by its sender, freed by its receiver; not counted
      CHECK(meter.live() == 8000 + large_bytes);
      { ring_tensor<ring64> copy = large; }  // the peak: both large blocks at once
      const std::int64_t peak = 8000 + 2 * large_bytes;
      CHECK(meter.peak() == peak);
      {
        const tfe::memory_meter::window w(meter);  // a smaller excursion, measured on its own
        { ring_tensor<ring64> t = small + small; }
        CHECK(w.extra_peak() == 8000);
        CHECK(w.start() == 8000 + large_bytes);
      }
      CHECK(meter.peak() == peak);  // the window kept the peak from before it
    }
    CHECK(meter.live() == 0);
    CHECK(meter.peak() > 8000);
    meter.reset_peak();
    CHECK(meter.peak() == 0);
  }
  CHECK(tfe::memory_meter::current() == nullptr);
  { ring_tensor<ring64> after = outside; }  // made and freed without a meter: nothing counted
  CHECK(meter.live() == 0);
}

// ---- frames (tfe/net/frame.hpp): a byte buffer with std::vector's semantics on ring_allocator blocks ----

TEST_CASE("frame: the vector operations the transports use, against std::vector on random bytes") {
  const std::uint64_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937_64 gen(seed);
  auto random_bytes = [&](std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) b = static_cast<std::uint8_t>(gen());
    return v;
  };
  auto same = [](const tfe::frame& f, const std::vector<std::uint8_t>& v) {
    return f.size() == v.size() && std::equal(v.begin(), v.end(), f.begin());
  };
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(7), std::size_t(4096), 3 * mib}) {
    CAPTURE(n);
    const auto bytes = random_bytes(n);
    tfe::frame f(bytes.begin(), bytes.end());
    CHECK(same(f, bytes));
    CHECK(f.capacity() == n);
    // resize keeps the prefix and grows the capacity at least twofold, as std::vector does
    tfe::frame g = f;
    CHECK(same(g, bytes));
    CHECK((n == 0 || g.data() != f.data()));  // a deep copy
    g.resize(n + 1, 0xab);
    CHECK(g.size() == n + 1);
    CHECK(g.capacity() >= std::max<std::size_t>(2 * n, n + 1));
    CHECK(std::equal(bytes.begin(), bytes.end(), g.begin()));
    CHECK(g.back() == 0xab);
    g.resize(n / 2);
    CHECK(std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n / 2), g.begin()));
    // assignment reuses the block when it is large enough
    tfe::frame h(n + 64);
    const std::uint8_t* before = h.data();
    h = f;
    CHECK(same(h, bytes));
    CHECK(h.data() == before);
    // move leaves the source empty and takes its block; clear keeps the capacity
    const std::uint8_t* block = f.data();
    tfe::frame m = std::move(f);
    CHECK(m.data() == block);
    CHECK(f.empty());  // NOLINT(bugprone-use-after-move): a moved-from frame is empty, as documented
    CHECK(f.capacity() == 0);
    CHECK(m == tfe::frame(bytes.begin(), bytes.end()));
    const std::size_t cap = m.capacity();
    m.clear();
    CHECK(m.empty());
    CHECK(m.capacity() == cap);
    m.push_back(7);
    CHECK((m.size() == 1 && m[0] == 7));
  }
  const std::vector<std::uint8_t> a{1, 2, 3}, b{1, 2, 4};
  CHECK(tfe::frame(a.begin(), a.end()) != tfe::frame(b.begin(), b.end()));
  const tfe::frame nines(3, 9);
  CHECK((nines.size() == 3 && nines[0] == 9 && nines[1] == 9 && nines[2] == 9));
}

TEST_CASE("frame: a large frame is its own huge-page mapping, as a large ring tensor") {
  if (huge_page_min_bytes == ~std::size_t(0)) return;  // a sanitizer build: every block from operator new
  tfe::frame f(4 * mib);
  CHECK(reinterpret_cast<std::uintptr_t>(f.data()) % huge_page_bytes == 0);
  if (thp_available()) CHECK(vm_flags_of(f.data()).find(" hg") != std::string::npos);
  f[f.size() - 1] = 1;  // writable to the last byte
  CHECK(f.back() == 1);
}

}  // namespace test_ring_allocator
