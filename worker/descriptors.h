// USB descriptors as a device reports them, parsed into interfaces, alternate settings and
// endpoints. The bytes come from the device (or from whoever controls it), so they are untrusted
// like the network stream: every length is checked against the buffer, and a malformed tail is
// skipped the way the kernel's usb_parse_configuration() skips it, never read past.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::worker {

// Standard descriptor types (USB 3.2 table 9-6).
namespace descriptor_type {
inline constexpr uint8_t kDevice = 0x01;
inline constexpr uint8_t kConfiguration = 0x02;
inline constexpr uint8_t kInterface = 0x04;
inline constexpr uint8_t kEndpoint = 0x05;
inline constexpr uint8_t kSuperSpeedEndpointCompanion = 0x30;
inline constexpr uint8_t kSuperSpeedPlusIsoCompanion = 0x31;
}  // namespace descriptor_type

struct DeviceDescriptor {
  uint16_t bcdUSB = 0;
  uint8_t bDeviceClass = 0;
  uint8_t bDeviceSubClass = 0;
  uint8_t bDeviceProtocol = 0;
  uint8_t bMaxPacketSize0 = 0;
  uint16_t idVendor = 0;
  uint16_t idProduct = 0;
  uint16_t bcdDevice = 0;
  uint8_t bNumConfigurations = 0;
};

// SuperSpeed endpoint companion (and, for SuperSpeedPlus isochronous endpoints, the isochronous
// companion that follows it).
struct SuperSpeedCompanion {
  uint8_t bMaxBurst = 0;
  uint8_t bmAttributes = 0;
  uint16_t wBytesPerInterval = 0;
  std::optional<uint32_t> dwBytesPerInterval;  // SuperSpeedPlus isochronous companion
};

struct EndpointDescriptor {
  uint8_t bEndpointAddress = 0;
  uint8_t bmAttributes = 0;
  uint16_t wMaxPacketSize = 0;
  uint8_t bInterval = 0;
  std::optional<SuperSpeedCompanion> companion;

  uint8_t number() const { return bEndpointAddress & 0x0f; }
  proto::Direction direction() const {
    return (bEndpointAddress & 0x80) != 0 ? proto::Direction::kIn : proto::Direction::kOut;
  }
  proto::TransferType type() const;
};

struct AltSetting {
  uint8_t bAlternateSetting = 0;
  uint8_t bInterfaceClass = 0;
  uint8_t bInterfaceSubClass = 0;
  uint8_t bInterfaceProtocol = 0;
  std::vector<EndpointDescriptor> endpoints;
};

struct InterfaceDescriptors {
  uint8_t bInterfaceNumber = 0;
  std::vector<AltSetting> altSettings;  // in descriptor order

  const AltSetting* findAlt(uint8_t alternate) const;
};

struct ConfigurationDescriptors {
  uint8_t bConfigurationValue = 0;
  uint8_t bmAttributes = 0;
  uint8_t bMaxPower = 0;
  std::vector<InterfaceDescriptors> interfaces;  // in order of first appearance
  // What was skipped and why (the kernel logs the same cases and carries on).
  std::vector<std::string> warnings;

  const InterfaceDescriptors* findInterface(uint8_t number) const;
};

// Throws std::invalid_argument when fewer than 18 bytes or not a device descriptor.
DeviceDescriptor parseDeviceDescriptor(std::span<const uint8_t> bytes);

// Parses one configuration descriptor with everything that follows it (wTotalLength bytes, or
// what is there if the device claims more). Throws std::invalid_argument when the configuration
// header itself is unusable; skips (with a warning) malformed or duplicate interfaces and
// endpoints, and stops at a descriptor whose length is impossible.
ConfigurationDescriptors parseConfiguration(std::span<const uint8_t> bytes);

// The most payload one service interval of an isochronous endpoint carries at `speed` (rule I3),
// capped at what usbfs accepts for one packet (rule I5).
uint32_t maxIsoBytesPerInterval(const EndpointDescriptor& endpoint, proto::Speed speed);

}  // namespace usbip::worker
