// How a simulated device behaves where the choice is the embedder's, not the USB host's.
#pragma once

#include <chrono>

namespace usbip::worker::sim {

struct SimOptions {
  // No timerfd and no wall clock: timed completions (iso pacing, keyboard report intervals, the
  // typing delay) happen in order on the next handleEvents(), the same way on every run.
  bool manualClock = false;
  // sim:hid waits this long after the host starts polling before it types its line. With the
  // kernel's VT keyboard handler the device is opened as soon as usbhid binds, before any evdev
  // reader could open /dev/input/eventN; the pause gives such a reader time to appear.
  std::chrono::milliseconds typingDelay{2000};
};

}  // namespace usbip::worker::sim
