// USB devices appearing and disappearing, from a libudev monitor, so that the broker reacts to a
// plug or an unplug when it happens instead of polling. What is on offer is still decided from
// a fresh enumeration (ExportRegistry); the events say when to look.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace usbip {

struct DeviceEvent {
  enum class Kind { kAdded, kRemoved };
  Kind kind = Kind::kAdded;
  std::string busid;
};

class DeviceMonitor {
 public:
  // Listens to udev's events when udevd runs (devices are then set up), else to the kernel's
  // (a system without udevd, such as the test VM: the usbfs nodes come from devtmpfs). Throws
  // std::system_error.
  DeviceMonitor();
  ~DeviceMonitor();
  DeviceMonitor(const DeviceMonitor&) = delete;
  DeviceMonitor& operator=(const DeviceMonitor&) = delete;

  // Readable when events are pending.
  int fd() const;
  // The pending add and remove events of USB devices (not interfaces), without blocking.
  std::vector<DeviceEvent> take();

 private:
  struct Udev;
  std::unique_ptr<Udev> udev_;
};

}  // namespace usbip
