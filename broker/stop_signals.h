// SIGINT and SIGTERM as a readable descriptor, so the main loop can wait for them together with
// its sockets. Construct it before any thread starts: the signals are blocked in the calling
// thread and every thread created afterwards inherits that.
#pragma once

#include <chrono>
#include <optional>

#include "common/unique_fd.h"

namespace usbip {

class StopSignals {
 public:
  StopSignals();
  int fd() const { return fd_.get(); }
  // Consumes a pending signal; returns its number, or 0 when none was pending.
  int take();
  // Sleeps for `duration` unless a stop signal arrives first; returns true on a signal.
  bool sleepFor(std::chrono::milliseconds duration);

 private:
  UniqueFd fd_;
};

}  // namespace usbip
