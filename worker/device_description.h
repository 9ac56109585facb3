// The DeviceDescription a backend reports, built from the device's own descriptors plus what
// only the broker knows (where the device sits and how fast it runs).
#pragma once

#include <cstdint>
#include <string>

#include "protocol/messages.h"
#include "worker/device_backend.h"
#include "worker/usbfs_descriptors.h"

namespace usbip::worker {

struct DeviceIdentity {
  std::string path;   // sysfs path, as usbipd reports it
  std::string busid;  // "1-2.3"
  uint32_t busnum = 0;
  uint32_t devnum = 0;
  proto::Speed speed = proto::Speed::kUnknown;
};

// Fills the wire record from the descriptors: ids, classes and counts from the device
// descriptor; bConfigurationValue, bNumInterfaces and the interface classes (alternate setting
// 0) from the active configuration. Throws std::invalid_argument when the device descriptor or
// the active configuration cannot be parsed.
DeviceDescription describeDevice(const DeviceIdentity& identity, RawDescriptors raw,
                                 uint8_t activeConfiguration);

}  // namespace usbip::worker
