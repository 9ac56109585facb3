// Test-only: descriptor bytes written out by hand, so that the parser's tests and the engine's
// tests describe devices in the form a device sends them.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

namespace usbip::worker::testing {

inline std::vector<uint8_t> deviceDescriptorBytes(uint16_t vendor, uint16_t product,
                                                  uint8_t configurations, uint8_t deviceClass = 0) {
  return {18,
          0x01,
          0x00,
          0x02,  // bcdUSB 2.00
          deviceClass,
          0,
          0,
          64,
          static_cast<uint8_t>(vendor & 0xff),
          static_cast<uint8_t>(vendor >> 8),
          static_cast<uint8_t>(product & 0xff),
          static_cast<uint8_t>(product >> 8),
          0x34,
          0x12,  // bcdDevice 12.34
          1,
          2,
          3,
          configurations};
}

// A configuration descriptor set. bytes() fills in wTotalLength and bNumInterfaces.
class ConfigBytes {
 public:
  explicit ConfigBytes(uint8_t value) : bytes_{9, 0x02, 0, 0, 0, value, 0, 0x80, 50} {}

  ConfigBytes& interface(uint8_t number, uint8_t alternate, uint8_t endpoints,
                         uint8_t interfaceClass = 0xff, uint8_t subClass = 0,
                         uint8_t protocol = 0) {
    interfaces_.insert(number);
    return raw({9, 0x04, number, alternate, endpoints, interfaceClass, subClass, protocol, 0});
  }
  ConfigBytes& endpoint(uint8_t address, uint8_t attributes, uint16_t maxPacketSize,
                        uint8_t interval = 1) {
    return raw({7, 0x05, address, attributes, static_cast<uint8_t>(maxPacketSize & 0xff),
                static_cast<uint8_t>(maxPacketSize >> 8), interval});
  }
  ConfigBytes& superSpeedCompanion(uint8_t maxBurst, uint8_t attributes,
                                   uint16_t bytesPerInterval) {
    return raw({6, 0x30, maxBurst, attributes, static_cast<uint8_t>(bytesPerInterval & 0xff),
                static_cast<uint8_t>(bytesPerInterval >> 8)});
  }
  ConfigBytes& raw(std::vector<uint8_t> descriptor) {
    bytes_.insert(bytes_.end(), descriptor.begin(), descriptor.end());
    return *this;
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = bytes_;
    out[2] = static_cast<uint8_t>(out.size() & 0xff);
    out[3] = static_cast<uint8_t>(out.size() >> 8);
    out[4] = static_cast<uint8_t>(interfaces_.size());
    return out;
  }

 private:
  std::vector<uint8_t> bytes_;
  std::set<uint8_t> interfaces_;
};

namespace attributes {
inline constexpr uint8_t kControl = 0x00;
inline constexpr uint8_t kIsochronous = 0x01;
inline constexpr uint8_t kBulk = 0x02;
inline constexpr uint8_t kInterrupt = 0x03;
}  // namespace attributes

}  // namespace usbip::worker::testing
