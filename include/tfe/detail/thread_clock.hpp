// tfe/detail/thread_clock.hpp: the CPU seconds the calling thread has used (CLOCK_THREAD_CPUTIME_ID),
// the local-computation clock of the simulated network (runtime/simulated_network.hpp) and of the
// planner's timing of local work (plan/planning.hpp): unaffected by other threads sharing the cores.
#pragma once

#include <ctime>

namespace tfe::detail {

inline double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace tfe::detail
