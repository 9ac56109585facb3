// Exponential back-off between reconnection attempts: 1 s, 2 s, 4 s ... capped at 60 s.
#pragma once

#include <algorithm>
#include <chrono>

namespace usbip {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  explicit Backoff(Duration first = std::chrono::seconds(1),
                   Duration cap = std::chrono::seconds(60))
      : first_(first), cap_(cap), next_(first) {}

  // The delay to wait now; the one after it is twice as long, up to the cap.
  Duration next() {
    const Duration now = next_;
    next_ = std::min(next_ * 2, cap_);
    return now;
  }
  // After a connection that worked for a while, start again from the first delay.
  void reset() { next_ = first_; }

 private:
  Duration first_;
  Duration cap_;
  Duration next_;
};

}  // namespace usbip
