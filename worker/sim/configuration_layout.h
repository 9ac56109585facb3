// The interfaces, alternate settings and endpoints of one configuration descriptor set, read
// back from its bytes so that the descriptors the host sees are the only source of truth about
// which endpoints exist and what type they are.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/codec.h"

namespace usbip::worker::sim {

struct EndpointLayout {
  uint8_t address = 0;
  uint8_t attributes = 0;
  uint16_t maxPacketSize = 0;
  uint8_t interval = 0;

  proto::TransferType type() const;
  bool isIn() const { return (address & 0x80) != 0; }
};

struct InterfaceLayout {
  uint8_t number = 0;
  uint8_t alternate = 0;
  uint8_t interfaceClass = 0;
  uint8_t interfaceSubClass = 0;
  uint8_t interfaceProtocol = 0;
  std::vector<EndpointLayout> endpoints;
};

struct ConfigurationLayout {
  uint8_t value = 0;                        // bConfigurationValue
  uint8_t attributes = 0;                   // bmAttributes
  std::vector<InterfaceLayout> interfaces;  // every alternate setting, in descriptor order

  const InterfaceLayout* find(uint8_t interface, uint8_t alternate) const;
  // Distinct interface numbers, in the order they first appear.
  std::vector<uint8_t> interfaceNumbers() const;
};

// Throws std::invalid_argument when the bytes are not a well-formed configuration descriptor
// set (our own descriptors are built in code, so that is a bug caught at construction).
ConfigurationLayout parseConfiguration(std::span<const uint8_t> bytes);

}  // namespace usbip::worker::sim
