// One USB device of this host as the broker sees it through udev: what the wire record says,
// what the export decision needs, and what opening and detaching it needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/export_policy.h"
#include "policy/device_attributes.h"
#include "protocol/messages.h"

namespace usbip {

struct UsbInterface {
  uint8_t number = 0;  // bInterfaceNumber in the active configuration
  std::string driver;  // bound kernel driver, empty when none
  bool operator==(const UsbInterface&) const = default;
};

struct UsbDevice {
  ExportCandidate candidate;  // wire record (busid, busnum, devnum, ids, speed...) and E1 facts
  std::string devnode;        // /dev/bus/usb/BBB/DDD
  std::string manufacturer;
  std::string product;
  std::vector<UsbInterface> interfaces;  // of the active configuration
  // What the policy matches and guards against: port path, serial, every configuration's
  // interfaces.
  policy::DeviceAttributes attributes;

  const std::string& busid() const { return candidate.exported.device.busid; }
};

// One step of the sysfs parent chain, from the device towards the root.
struct SysfsAncestor {
  std::string sysname;  // e.g. "usb3", "vhci_hcd.0"
  std::string driver;   // e.g. "vhci_hcd", empty when none
};

// Maps the sysfs "speed" attribute (Mbit/s as the kernel prints it) to the wire's speed.
proto::Speed speedFromSysfs(std::string_view mbps);

// True when one of the ancestors is vhci_hcd, the USB/IP client's virtual host controller.
bool isBehindVhci(const std::vector<SysfsAncestor>& ancestors);

// Every USB device (devtype usb_device) udev knows, in bus ID order. Throws std::system_error.
std::vector<UsbDevice> enumerateUsbDevices();

}  // namespace usbip
