// benchmarks/bench_ring_matmul.cpp: tfe::matmul_kernel against a textbook i-j-k loop (JSON lines).
//
// Prints one line per (shape, ring, variant):
//   {"bench":"ring_matmul","variant":"naive_ijk"|"tfe_kernel","ring":"ring64","n":512,...,
//    "seconds":best-of-runs,"gmacs":n*k*m/seconds/1e9}
// then {"bench":"ring_matmul","variant":"speedup",...,"speedup":naive/kernel} for that shape.
// The headline figure is 512x512x512 ring64; 128x784x128 (a dense layer on MNIST-sized inputs)
// and ring128 512^3 are for information, and BERT-base's feed-forward product 128x768x3072. Every
// shape also runs the kernel on 2 threads ("tfe_kernel_2_threads"; "thread_scaling" in the speedup
// line is its speed over 1 thread). Build with -O3 -march=native (the CMake default for
// benchmarks when TFE_NATIVE is ON). Both variants compute the same product, and the checksums
// are compared and printed so nothing can be optimized away.
#include "tfe/ring/kernels.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

/// The textbook triple loop, i-j-k order with a dot product per output (strided walk down B).
template <class R>
__attribute__((noinline)) void naive_ijk(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      R s(0);
      for (std::size_t p = 0; p < k; ++p) s += a[i * k + p] * b[p * m + j];
      c[i * m + j] += s;
    }
}

template <class R>
__attribute__((noinline)) void tfe_kernel(const R* a, const R* b, R* c, std::size_t n, std::size_t k, std::size_t m) {
  tfe::matmul_kernel(a, b, c, n, k, m);
}

/// The same kernel with its rows split across 2 threads (session_options::threads = 2).
template <class R>
__attribute__((noinline)) void tfe_kernel_2_threads(const R* a, const R* b, R* c, std::size_t n, std::size_t k,
                                                    std::size_t m) {
  tfe::matmul_kernel(a, b, c, n, k, m, 2);
}

/// A 64-bit digest of the result (low limb of every element).
template <class R>
std::uint64_t checksum(const std::vector<R>& c) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const R& x : c) h = (h ^ static_cast<std::uint64_t>(x)) * 1099511628211ULL;
  return h;
}

struct timing {
  double seconds;
  std::uint64_t sum;
};

template <class R, class F>
timing best_of(F f, const std::vector<R>& a, const std::vector<R>& b, std::size_t n, std::size_t k, std::size_t m,
               int runs) {
  std::vector<R> c(n * m);
  timing t{1e300, 0};
  for (int r = 0; r < runs; ++r) {
    std::fill(c.begin(), c.end(), R(0));
    const auto t0 = std::chrono::steady_clock::now();
    f(a.data(), b.data(), c.data(), n, k, m);
    const auto t1 = std::chrono::steady_clock::now();
    t.seconds = std::min(t.seconds, std::chrono::duration<double>(t1 - t0).count());
  }
  t.sum = checksum(c);
  return t;
}

void print_line(const char* variant, const std::string& ring, std::size_t n, std::size_t k, std::size_t m,
                const timing& t) {
  const double macs = double(n) * double(k) * double(m);
  std::printf(
      "{\"bench\":\"ring_matmul\",\"variant\":\"%s\",\"ring\":\"%s\",\"n\":%zu,\"k\":%zu,\"m\":%zu,"
      "\"seconds\":%.6f,\"gmacs\":%.3f,\"checksum\":\"%016llx\"}\n",
      variant, ring.c_str(), n, k, m, t.seconds, macs / t.seconds / 1e9, static_cast<unsigned long long>(t.sum));
}

/// Times both variants on one shape; returns false when their results differ.
template <class R>
bool run(std::size_t n, std::size_t k, std::size_t m, int naive_runs, int kernel_runs) {
  std::mt19937_64 g(12345);  // benchmark data only
  auto fill = [&](std::vector<R>& v) {
    for (auto& x : v) x = static_cast<R>((static_cast<R>(g()) << 32) ^ static_cast<R>(g()));
  };
  std::vector<R> a(n * k), b(k * m);
  fill(a);
  fill(b);
  const std::string ring = tfe::ring_traits<R>::name();
  const timing naive = best_of<R>(naive_ijk<R>, a, b, n, k, m, naive_runs);
  print_line("naive_ijk", ring, n, k, m, naive);
  const timing fast = best_of<R>(tfe_kernel<R>, a, b, n, k, m, kernel_runs);
  print_line("tfe_kernel", ring, n, k, m, fast);
  const timing two = best_of<R>(tfe_kernel_2_threads<R>, a, b, n, k, m, kernel_runs);
  print_line("tfe_kernel_2_threads", ring, n, k, m, two);
  std::printf(
      "{\"bench\":\"ring_matmul\",\"variant\":\"speedup\",\"ring\":\"%s\",\"n\":%zu,\"k\":%zu,"
      "\"m\":%zu,\"speedup\":%.2f,\"thread_scaling\":%.2f,\"results_match\":%s}\n",
      ring.c_str(), n, k, m, naive.seconds / fast.seconds, fast.seconds / two.seconds,
      naive.sum == fast.sum && two.sum == fast.sum ? "true" : "false");
  std::fflush(stdout);
  return naive.sum == fast.sum && two.sum == fast.sum;
}

}  // namespace

int main() {
  bool ok = true;
  ok = run<tfe::ring64>(512, 512, 512, 3, 10) && ok;  // the headline figure
  ok = run<tfe::ring64>(128, 784, 128, 5, 20) && ok;
  ok = run<tfe::ring128>(512, 512, 512, 2, 5) && ok;
  ok = run<tfe::ring64>(128, 768, 3072, 1, 10) && ok;  // BERT-base's feed-forward layer, 128 tokens
  if (!ok) std::fprintf(stderr, "bench_ring_matmul: kernel and naive results differ\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
