// What a user may write for DEVICE on the command line: a bus ID (1-2, 1-2.3), a usbfs device node
// (/dev/bus/usb/001/002) or a simulated device (sim:hid, sim:cdc, sim:uac).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace usbip {

struct BusIdSpec {
  std::string busid;
  bool operator==(const BusIdSpec&) const = default;
};
struct DeviceNodeSpec {
  uint32_t busnum = 0;
  uint32_t devnum = 0;
  bool operator==(const DeviceNodeSpec&) const = default;
};
struct SimulatedSpec {
  std::string name;  // hid, cdc or uac
  bool operator==(const SimulatedSpec&) const = default;
};
using DeviceSpec = std::variant<BusIdSpec, DeviceNodeSpec, SimulatedSpec>;

// Throws std::invalid_argument naming `text` and the accepted forms.
DeviceSpec parseDeviceSpec(std::string_view text);

// True for the kernel's USB device names: BUS-PORT[.PORT]..., numbers without leading zeros,
// at most 31 characters (the busid field of the wire record).
bool isValidBusId(std::string_view text);

}  // namespace usbip
