#include "worker/sim/sim_clock.h"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "common/syscall.h"

namespace usbip::worker::sim {

SimClock::SimClock(bool manual) : manual_(manual) {
  if (!manual_) {
    timer_ = UniqueFd(checkSyscall(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
                                   "timerfd_create for sim clock"));
  }
}

SimClock::Time SimClock::now() const {
  if (manual_) return manualNow_;
  timespec ts{};
  checkSyscall(::clock_gettime(CLOCK_MONOTONIC, &ts), "clock_gettime(CLOCK_MONOTONIC)");
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

void SimClock::after(Time delay, std::function<void()> action) {
  const Time deadline = now() + std::max(delay, Time{0});
  const bool earliest = actions_.empty() || deadline < actions_.begin()->first.first;
  actions_.emplace(std::make_pair(deadline, nextSequence_++), std::move(action));
  if (earliest) armTimer();
}

std::optional<pollfd> SimClock::pollFd() const {
  if (manual_) return std::nullopt;
  return pollfd{timer_.get(), POLLIN, 0};
}

void SimClock::runDue() {
  if (!manual_) {
    uint64_t expirations = 0;
    const ssize_t rc = ::read(timer_.get(), &expirations, sizeof expirations);
    if (rc < 0 && errno != EAGAIN && errno != EINTR) throwErrno(errno, "read sim clock timerfd");
  }
  const uint64_t sequenceLimit = nextSequence_;
  const Time limit = manual_ ? Time::max() : now();
  for (auto it = actions_.begin(); it != actions_.end();) {
    const auto [deadline, sequence] = it->first;
    if (deadline > limit) break;
    if (sequence >= sequenceLimit) {
      ++it;
      continue;
    }
    if (manual_) manualNow_ = std::max(manualNow_, deadline);
    auto action = std::move(it->second);
    actions_.erase(it);
    action();
    // The action may have scheduled more; restart from the earliest.
    it = actions_.begin();
  }
  armTimer();
}

void SimClock::armTimer() {
  if (manual_) return;
  itimerspec spec{};
  if (!actions_.empty()) {
    // An all-zero it_value would disarm the timer; a deadline can never be at the origin.
    const auto deadline = std::max(actions_.begin()->first.first, Time{1});
    spec.it_value.tv_sec = static_cast<time_t>(deadline.count() / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(deadline.count() % 1'000'000'000);
  }
  checkSyscall(::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr),
               "timerfd_settime for sim clock");
}

}  // namespace usbip::worker::sim
