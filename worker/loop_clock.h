// The URB loop's clock. The loop reads the time after every poll, only to time out a silent
// peer and held unlinks (seconds apart), so a coarse clock serves it: CLOCK_MONOTONIC_COARSE
// comes from the vDSO without reading the clocksource, and so costs no system call even where
// the clocksource cannot be read from user space (HPET, the clocksource of many VMs, where
// CLOCK_MONOTONIC is a system call through the seccomp filter on every turn of the loop).
// It advances once per timer tick (1 to 10 ms) and is never ahead of CLOCK_MONOTONIC: a
// deadline it reports as passed has passed.
#pragma once

#include <chrono>

namespace usbip::worker {

struct LoopClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<LoopClock>;
  static constexpr bool is_steady = true;
  static time_point now();
};

}  // namespace usbip::worker
