// What the suite needs to know of the device under attack, read from its own configuration
// descriptor over USB/IP (so the same cases fit a simulated device and a real gadget).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace usbip::hostile {

struct Endpoint {
  uint8_t address = 0;     // with the direction bit
  uint8_t type = 0;        // bmAttributes & 3: 1 iso, 2 bulk, 3 interrupt
  uint16_t maxPacket = 0;  // wMaxPacketSize & 0x7ff
  uint8_t interface = 0;
  uint8_t alternate = 0;

  uint32_t number() const { return address & 0x0f; }
  bool in() const { return (address & 0x80) != 0; }
};

struct DeviceLayout {
  std::vector<Endpoint> endpoints;
  std::vector<uint8_t> interfaces;

  // The first endpoint of that type and direction, preferring alternate setting 0.
  std::optional<Endpoint> find(uint8_t type, bool in) const;
  // An endpoint number that exists for one direction only (for rule F7).
  std::optional<Endpoint> oneWay() const;
  // An interface number the configuration does not have (for rule C4).
  uint8_t foreignInterface() const;
};

namespace endpoint_type {
inline constexpr uint8_t kIso = 1, kBulk = 2, kInterrupt = 3;
}

// Throws std::runtime_error on a descriptor that does not parse.
DeviceLayout parseConfiguration(std::span<const uint8_t> descriptor);

}  // namespace usbip::hostile
