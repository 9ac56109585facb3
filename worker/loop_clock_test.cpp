#include "worker/loop_clock.h"

#include <gtest/gtest.h>
#include <time.h>

#include <thread>

namespace usbip::worker {
namespace {

std::chrono::nanoseconds monotonicNow() {
  timespec ts{};
  EXPECT_EQ(::clock_gettime(CLOCK_MONOTONIC, &ts), 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

TEST(LoopClock, NeverAheadOfTheMonotonicClock) {
  for (int i = 0; i < 1000; ++i) {
    auto coarse = LoopClock::now().time_since_epoch();
    EXPECT_LE(coarse, monotonicNow());
  }
}

TEST(LoopClock, FollowsTheMonotonicClockWithinATick) {
  // Read in this order, the coarse clock can lag by at most one tick (10 ms at HZ=100), however
  // long the thread is preempted in between; the margin is for kernels with a slower tick.
  auto monotonic = monotonicNow();
  auto coarse = LoopClock::now().time_since_epoch();
  EXPECT_LT(monotonic - coarse, std::chrono::milliseconds(50));
}

TEST(LoopClock, AdvancesAsTimePasses) {
  auto before = LoopClock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto elapsed = LoopClock::now() - before;
  EXPECT_GE(elapsed, std::chrono::milliseconds(15));  // 30 ms, less up to one 10 ms tick
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace usbip::worker
