// benchmarks/check_build.hpp: a benchmark binary of CI's compile check says so.
// scripts/build_benchmarks.sh builds the benchmarks with TFE_BENCHMARK_OPT_FLAGS (-O1) instead of
// -O3 -march=native, and benchmarks/CMakeLists.txt then defines TFE_BENCHMARK_CHECK_BUILD to those flags.
#pragma once

#include <iostream>

namespace bench {

/// Warns on stderr when this binary is a compile-check build.
inline void warn_if_check_build() {
#ifdef TFE_BENCHMARK_CHECK_BUILD
  std::cerr << "warning: this binary is CI's compile check, built with " TFE_BENCHMARK_CHECK_BUILD
               " instead of -O3 -march=native: its times are not benchmark figures (scripts/bench.sh builds "
               "those)\n";
#endif
}

}  // namespace bench
