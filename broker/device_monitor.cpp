#include "broker/device_monitor.h"

#include <libudev.h>
#include <unistd.h>

#include <cstring>

#include "common/syscall.h"

namespace usbip {

struct DeviceMonitor::Udev {
  udev* context = nullptr;
  udev_monitor* monitor = nullptr;
  ~Udev() {
    if (monitor) udev_monitor_unref(monitor);
    if (context) udev_unref(context);
  }
};

DeviceMonitor::DeviceMonitor() : udev_(std::make_unique<Udev>()) {
  udev_->context = udev_new();
  if (!udev_->context) throwErrno(errno, "udev_new");
  // udevd announces itself with its control socket; without it no "udev" event ever comes.
  const char* source = ::access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
  udev_->monitor = udev_monitor_new_from_netlink(udev_->context, source);
  if (!udev_->monitor) throwErrno(errno, std::string("udev monitor (") + source + " events)");
  checkSyscall(udev_monitor_filter_add_match_subsystem_devtype(udev_->monitor, "usb", "usb_device"),
               "udev monitor filter");
  checkSyscall(udev_monitor_enable_receiving(udev_->monitor), "udev monitor enable");
  // libudev hands out a non-blocking descriptor; take() relies on that.
}

DeviceMonitor::~DeviceMonitor() = default;

int DeviceMonitor::fd() const {
  return udev_monitor_get_fd(udev_->monitor);
}

std::vector<DeviceEvent> DeviceMonitor::take() {
  std::vector<DeviceEvent> events;
  while (udev_device* device = udev_monitor_receive_device(udev_->monitor)) {
    const char* action = udev_device_get_action(device);
    const char* sysname = udev_device_get_sysname(device);
    if (action && sysname) {
      if (std::strcmp(action, "add") == 0) {
        events.push_back({DeviceEvent::Kind::kAdded, sysname});
      } else if (std::strcmp(action, "remove") == 0) {
        events.push_back({DeviceEvent::Kind::kRemoved, sysname});
      }
    }
    udev_device_unref(device);
  }
  return events;
}

}  // namespace usbip
