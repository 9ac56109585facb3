// vhci_hcd's status files (status, status.1, ...) as values, and the decisions taken from them.
// Pure functions: the sysfs reading and writing is in vhci.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client-helper/speed.h"
#include "protocol/messages.h"

namespace usbip::client {

// enum usbip_device_status values of a vhci port (drivers/usb/usbip/usbip_common.h).
inline constexpr uint32_t kPortFree = 4;         // VDEV_ST_NULL
inline constexpr uint32_t kPortNotAssigned = 5;  // VDEV_ST_NOTASSIGNED: socket taken, not yet used
inline constexpr uint32_t kPortUsed = 6;         // VDEV_ST_USED
inline constexpr uint32_t kPortError = 7;        // VDEV_ST_ERROR

// One line of a status file: "hs  0000 004 000 00000000 000000 0-0".
struct VhciPort {
  HubSpeed hub = HubSpeed::kHigh;
  uint32_t port = 0;  // the number attach and detach take, unique over all controllers
  uint32_t status = kPortFree;
  uint32_t speed = 0;      // enum usb_device_speed of the attached device; 0 when free
  uint32_t devid = 0;      // (busnum << 16) | devnum of the device on the server
  uint32_t sockfd = 0;     // the fd number in the process that attached it (informational)
  std::string localBusid;  // the device's bus ID on this machine; "0-0" when free

  bool isFree() const { return status == kPortFree; }
  bool operator==(const VhciPort&) const = default;
};

// Parses the text of one status file; `source` names the file in errors. Throws
// std::runtime_error naming the file and line when the text is not in the format of kernels since
// 4.13 (a header line, then one line per port with the hub column).
std::vector<VhciPort> parseVhciStatus(std::string_view text, const std::string& source);

// The lowest-numbered free port of `hub`, as the kernel's usbip tool picks it.
std::optional<uint32_t> chooseFreePort(std::span<const VhciPort> ports, HubSpeed hub);

// The line vhci_hcd's attach file takes: "PORT SOCKFD DEVID SPEED", all decimal.
std::string attachLine(uint32_t port, int sockfd, uint32_t devid, proto::Speed speed);

// "free", "connecting", "in use", "error" or "status N".
std::string portStatusName(uint32_t status);

}  // namespace usbip::client
