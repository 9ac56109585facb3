// The raw descriptors usbfs hands out: read() on /dev/bus/usb/BBB/DDD returns the device
// descriptor followed by every configuration descriptor set, each occupying its wTotalLength
// bytes (drivers/usb/core/devio.c, usbdev_read). The kernel cached them at enumeration, so
// reading them costs no bus traffic; their content is still the device's and untrusted.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/unique_fd.h"

namespace usbip::worker {

struct RawDescriptors {
  std::vector<uint8_t> device;                       // 18 bytes
  std::vector<std::vector<uint8_t>> configurations;  // in index order
};

// Splits the read() layout. Throws std::invalid_argument without a valid device descriptor;
// configurations that are cut short keep what is there (the parser copes with that).
RawDescriptors splitUsbfsDescriptors(std::span<const uint8_t> bytes);

// Reads the descriptors from the start (lseek to 0, then read: what the worker's seccomp filter
// allows, and what libusb does itself), at most kMaxUsbfsDescriptorBytes.
RawDescriptors readUsbfsDescriptors(const UniqueFd& usbfs);

// 18 bytes, then at most USB_MAXCONFIG (8) configurations of at most 64 KiB each.
inline constexpr size_t kMaxUsbfsDescriptorBytes = 18 + 8 * 65536;

}  // namespace usbip::worker
