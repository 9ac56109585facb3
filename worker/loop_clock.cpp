#include "worker/loop_clock.h"

#include <time.h>

#include "common/syscall.h"

namespace usbip::worker {

LoopClock::time_point LoopClock::now() {
  timespec ts{};
  checkSyscall(::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts),
               "clock_gettime(CLOCK_MONOTONIC_COARSE)");
  return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

}  // namespace usbip::worker
