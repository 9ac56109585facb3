// Byte assembly for the descriptors of the simulated devices: the standard device, interface and
// endpoint descriptors, string descriptors, and a configuration builder that fills in
// wTotalLength and bNumInterfaces itself so no device has to count bytes by hand.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace usbip::worker::sim {

// Descriptor types (USB 2.0 table 9-5, and the class-specific ones shared by HID, CDC and audio).
namespace descriptor_type {
inline constexpr uint8_t kDevice = 0x01;
inline constexpr uint8_t kConfiguration = 0x02;
inline constexpr uint8_t kString = 0x03;
inline constexpr uint8_t kInterface = 0x04;
inline constexpr uint8_t kEndpoint = 0x05;
inline constexpr uint8_t kDeviceQualifier = 0x06;
inline constexpr uint8_t kOtherSpeedConfiguration = 0x07;
inline constexpr uint8_t kHid = 0x21;
inline constexpr uint8_t kHidReport = 0x22;
inline constexpr uint8_t kClassInterface = 0x24;  // CS_INTERFACE (CDC, audio)
inline constexpr uint8_t kClassEndpoint = 0x25;   // CS_ENDPOINT (audio)
}  // namespace descriptor_type

// Endpoint bmAttributes transfer types (bits 1..0).
namespace endpoint_type {
inline constexpr uint8_t kControl = 0x00;
inline constexpr uint8_t kIsochronous = 0x01;
inline constexpr uint8_t kBulk = 0x02;
inline constexpr uint8_t kInterrupt = 0x03;
}  // namespace endpoint_type

inline constexpr uint8_t lowByte(uint32_t value) {
  return static_cast<uint8_t>(value & 0xff);
}
inline constexpr uint8_t highByte(uint32_t value) {
  return static_cast<uint8_t>((value >> 8) & 0xff);
}

struct DeviceFields {
  uint16_t bcdUSB = 0x0200;
  uint8_t deviceClass = 0;
  uint8_t deviceSubClass = 0;
  uint8_t deviceProtocol = 0;
  uint8_t maxPacketSize0 = 64;
  uint16_t idVendor = 0;
  uint16_t idProduct = 0;
  uint16_t bcdDevice = 0;
  uint8_t iManufacturer = 0;
  uint8_t iProduct = 0;
  uint8_t iSerialNumber = 0;
  uint8_t numConfigurations = 1;
};
std::vector<uint8_t> deviceDescriptor(const DeviceFields& fields);

struct InterfaceFields {
  uint8_t number = 0;
  uint8_t alternate = 0;
  uint8_t numEndpoints = 0;
  uint8_t interfaceClass = 0;
  uint8_t interfaceSubClass = 0;
  uint8_t interfaceProtocol = 0;
  uint8_t iInterface = 0;
};

struct EndpointFields {
  uint8_t address = 0;  // with the direction bit
  uint8_t attributes = 0;
  uint16_t maxPacketSize = 0;
  uint8_t interval = 0;
};

// String descriptor 0: the one supported language, US English.
std::vector<uint8_t> languageDescriptor();
// A string descriptor holding `text` (ASCII) as UTF-16LE.
std::vector<uint8_t> stringDescriptor(std::string_view text);

// A class-specific (or any other) descriptor: bLength and bDescriptorType are prepended to body.
std::vector<uint8_t> makeDescriptor(uint8_t type, std::initializer_list<uint8_t> body);

class ConfigurationBuilder {
 public:
  // bmAttributes bit 7 (reserved, set to one) is added here.
  ConfigurationBuilder(uint8_t configurationValue, uint8_t attributes, uint8_t maxPower2mA);

  ConfigurationBuilder& interface(const InterfaceFields& fields);
  ConfigurationBuilder& endpoint(const EndpointFields& fields);
  // The 9-byte form of the endpoint descriptor that USB Audio Class 1.0 requires.
  ConfigurationBuilder& audioEndpoint(const EndpointFields& fields, uint8_t refresh,
                                      uint8_t synchAddress);
  ConfigurationBuilder& append(const std::vector<uint8_t>& descriptor);

  // The finished configuration descriptor set, wTotalLength and bNumInterfaces filled in.
  std::vector<uint8_t> build() const;

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> interfaceNumbers_;
};

}  // namespace usbip::worker::sim
