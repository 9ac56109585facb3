// Bounds on what a peer may ask for; the defaults are the project's documented defaults.
#pragma once

#include <cstdint>

namespace usbip::proto {

struct Limits {
  uint32_t maxTransferLength = 16u << 20;  // F8: per-URB cap
  uint32_t maxIsoPackets = 1024;           // I2: the kernel's USBIP_MAX_ISO_PACKETS
  uint32_t maxDevlistDevices = 256;        // R1: devices a client accepts in one OP_REP_DEVLIST
  uint32_t maxInterfaces = 32;             // R1: bNumInterfaces a client accepts per device
};

}  // namespace usbip::proto
