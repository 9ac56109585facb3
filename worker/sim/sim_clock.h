// Time for the simulated devices: actions scheduled after a delay (iso pacing, key repeat
// intervals). In real-time mode a timerfd on CLOCK_MONOTONIC wakes the engine when the earliest
// action is due. In manual mode there is no timer: the clock is a counter that jumps to each
// action's deadline as runDue() executes it, so a fuzzer or a test sees the same order of events
// on every run and never waits.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "common/unique_fd.h"

namespace usbip::worker::sim {

class SimClock {
 public:
  using Time = std::chrono::nanoseconds;  // since an arbitrary origin

  explicit SimClock(bool manual);

  bool manual() const { return manual_; }
  Time now() const;
  void after(Time delay, std::function<void()> action);

  // The timerfd in real-time mode; nothing in manual mode.
  std::optional<pollfd> pollFd() const;
  // Real time: runs the actions whose deadline has passed. Manual: runs every action scheduled
  // before this call, in deadline order. Actions scheduled meanwhile wait for the next call.
  void runDue();
  bool idle() const { return actions_.empty(); }

 private:
  void armTimer();

  bool manual_;
  Time manualNow_{0};
  uint64_t nextSequence_ = 0;  // keeps actions with equal deadlines in scheduling order
  std::map<std::pair<Time, uint64_t>, std::function<void()>> actions_;
  UniqueFd timer_;
};

}  // namespace usbip::worker::sim
