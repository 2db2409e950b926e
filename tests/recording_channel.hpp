// tests/recording_channel.hpp: what the security tests (test_pond_security, test_aby3_security,
// test_securenn_security, test_reveal_security) share to check what each player receives: a run over
// the library's recording channels (tfe/testing/recording_channel.hpp, tfe/testing/players.hpp); readers
// of the recorded frames (payload, ring elements, where a plaintext occurs); and a bit-frequency check
// of the received words.
#pragma once

#include <doctest/doctest.h>

#include "tfe/testing/players.hpp"
#include "tfe/testing/recording_channel.hpp"
#include "tfe/tfe.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace security_test {

// ---- recorded runs (tfe/testing: the recording decorator and the runner) ---------------------------

using tfe::testing::record;
using tfe::testing::recording_channel;

template <class Result>
struct recorded_run {
  std::vector<Result> results;            // the program's result per player (std::monostate: none)
  std::vector<std::vector<record>> logs;  // every player's frames, sent and received
};

/// Like run_local (OS-keyed randomness), over recording channels: every player of `players` runs
/// program(session<P>&, recording_channel&) on its own thread, with `options`. Rethrows the first failure.
template <class P, class F>
auto run_recorded(const std::vector<std::string>& players, F program, const tfe::run_options& options = {}) {
  auto run = tfe::testing::run_decorated<P>(
      players, [](tfe::channel& inner) { return std::make_unique<recording_channel>(inner); }, program, options);
  recorded_run<typename decltype(run.results)::value_type> out;
  out.results = std::move(run.results);
  for (auto& ch : run.channels) out.logs.push_back(std::move(ch->log));
  return out;
}

// ---- reading recorded frames --------------------------------------------------------------------

/// The payload of a frame (everything after its header).
inline std::pair<const std::uint8_t*, std::size_t> payload(const tfe::frame& f) {
  REQUIRE(f.size() >= 8);
  std::uint16_t nd;
  std::memcpy(&nd, f.data() + 6, 2);
  const std::size_t head = tfe::frame_header_bytes(nd);
  REQUIRE(f.size() >= head);
  return {f.data() + head, f.size() - head};
}
inline std::size_t element_width(const tfe::frame& f) { return f[5]; }
inline std::size_t payload_size(const tfe::frame& f) { return payload(f).second; }

/// The ring elements of a tensor frame (its width must be sizeof(R)).
template <class R>
std::vector<R> elements(const tfe::frame& f) {
  REQUIRE(element_width(f) == sizeof(R));
  auto [p, len] = payload(f);
  std::vector<R> v(len / sizeof(R));
  std::memcpy(v.data(), p, v.size() * sizeof(R));
  return v;
}

/// A set of ring elements to look for in payloads (occurrences below): sorted, with a bitmap of their
/// low 16 bits that rules out almost every window with one test (a test build runs at -O0).
template <class R>
struct target_set {
  // Implicit: the tests pass their vectors of secrets as they are.
  target_set(std::vector<R> v) : sorted(std::move(v)), low_bits(std::size_t(1) << 16) {  // NOLINT
    std::sort(sorted.begin(), sorted.end());
    for (const R& t : sorted) low_bits[static_cast<std::size_t>(t & R(0xffff))] = true;
  }
  /// How many of the targets equal w (a target listed k times counts k times).
  std::size_t count(R w) const {
    if (!low_bits[static_cast<std::size_t>(w & R(0xffff))]) return 0;
    const auto [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), w);
    return static_cast<std::size_t>(hi - lo);
  }
  std::vector<R> sorted;
  std::vector<bool> low_bits;
};

/// How many byte positions of the payload start an element-sized window equal to one of `targets`
/// (every offset, not only aligned ones).
template <class R>
std::size_t occurrences(const tfe::frame& f, const target_set<R>& targets) {
  auto [p, len] = payload(f);
  std::size_t hits = 0;
  for (std::size_t off = 0; off + sizeof(R) <= len; ++off) {
    R w;
    std::memcpy(&w, p + off, sizeof(R));
    hits += targets.count(w);
  }
  return hits;
}

/// The fixed-point encoding of v (the ring's preset).
template <class R>
R enc(double v) {
  return tfe::encode_value<R>(v, tfe::fixed_point_config::preset<R>());
}

// ---- do the received words look uniform? -----------------------------------------------------------

/// How often each of the 64 bits of the words added is set.
struct bit_counts {
  std::array<std::uint64_t, 64> ones{};
  std::uint64_t total = 0;
  void add(std::uint64_t w) {
    for (unsigned b = 0; b < 64; ++b) ones[b] += (w >> b) & 1u;
    ++total;
  }
  double freq(unsigned b) const { return static_cast<double>(ones[b]) / static_cast<double>(total); }
  /// How far from 1/2 a bit of uniform words may be: 6 standard deviations, 6 · 1/(2√n) for n words
  /// (±5.4 % at 3072 words, ±2.3 % at 2^14, ±0.9 % at 10^5). Uniform words fail a transcript's 64
  /// bits with probability about 1e-7; a constant bit, or one biased by more than that, fails.
  double tolerance() const { return 3.0 / std::sqrt(static_cast<double>(total)); }
  bool balanced(unsigned b) const { return std::abs(freq(b) - 0.5) <= tolerance(); }
};

/// The 64-bit words of every frame a player received in `phase`.
inline bit_counts received_words(const std::vector<record>& log, const std::string& phase) {
  bit_counts bc;
  for (const auto& rec : log) {
    if (rec.sent || rec.phase != phase) continue;
    const auto [p, len] = payload(rec.f);
    for (std::size_t off = 0; off + 8 <= len; off += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + off, 8);
      bc.add(w);
    }
  }
  return bc;
}

/// Checks that every bit is set in about half of the words (bit_counts::balanced). The bound was a
/// fixed 47-53 %, which uniform words broke in about one run in ten at 3072 words (3.3 standard
/// deviations, 128 bits checked: test_stats_bins failed so, once in CI's test command).
inline void check_uniform_bits(const bit_counts& bc, const std::string& what) {
  CAPTURE(what);
  REQUIRE(bc.total > 0);
  double lo = 1, hi = 0;
  for (unsigned b = 0; b < 64; ++b) {
    CAPTURE(b);
    CAPTURE(bc.freq(b));
    CHECK(bc.balanced(b));
    lo = std::min(lo, bc.freq(b));
    hi = std::max(hi, bc.freq(b));
  }
  MESSAGE(what, ": ", bc.total, " words, bit frequencies in [", lo, ", ", hi, "]");
}

}  // namespace security_test
