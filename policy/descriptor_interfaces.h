// The interface descriptors of every configuration of a device, from the raw descriptors the
// kernel keeps (sysfs "descriptors": the device descriptor, then each configuration's full
// descriptor set). The policy guards look at all of them, because a device can switch to a
// configuration or alternate setting it does not start in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "policy/device_attributes.h"

namespace usbip::policy {

// Every distinct interface descriptor (number, class, subclass, protocol), in the order found.
// Stops at the first malformed descriptor (bLength 0 or past the end): what was read before it
// is returned, because the kernel validated these bytes when it enumerated the device.
std::vector<InterfaceInfo> interfacesInDescriptors(std::span<const uint8_t> raw);

}  // namespace usbip::policy
