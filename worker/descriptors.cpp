// Descriptor parsing. The walk reads each descriptor's two-byte header, checks that its length is
// possible before looking inside, and treats everything it does not understand as opaque: the
// engine only needs interfaces, alternate settings and endpoints.
#include "worker/descriptors.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "worker/little_endian.h"

namespace usbip::worker {
namespace {

constexpr size_t kDeviceDescriptorSize = 18;
constexpr size_t kConfigurationHeaderSize = 9;
constexpr size_t kInterfaceDescriptorSize = 9;
constexpr size_t kEndpointDescriptorSize = 7;
constexpr size_t kSuperSpeedCompanionSize = 6;
constexpr size_t kSuperSpeedPlusIsoCompanionSize = 8;
// devio.c refuses isochronous packets above this (USB 3.1 Gen 2 needs 96 KiB).
constexpr uint32_t kUsbfsMaxIsoPacketBytes = 98304;
constexpr uint8_t kCompanionHasSspIsoCompanion = 0x80;

std::string hexByte(uint8_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[value >> 4] + kDigits[value & 0x0f];
}

// Builds the configuration while the walk goes; it remembers where endpoints may still attach
// (indices, not pointers: the vectors grow while the walk goes on).
class ConfigurationBuilder {
 public:
  explicit ConfigurationBuilder(ConfigurationDescriptors& config) : config_(config) {}

  void interface(std::span<const uint8_t> d, size_t offset) {
    currentInterface_ = kNone;
    lastEndpoint_ = kNone;
    if (d.size() < kInterfaceDescriptorSize) {
      warn(offset, "interface descriptor of " + std::to_string(d.size()) + " bytes skipped");
      return;
    }
    uint8_t number = d[2];
    uint8_t alternate = d[3];
    auto it =
        std::find_if(config_.interfaces.begin(), config_.interfaces.end(),
                     [&](const InterfaceDescriptors& i) { return i.bInterfaceNumber == number; });
    if (it == config_.interfaces.end()) {
      config_.interfaces.push_back(InterfaceDescriptors{number, {}});
      it = config_.interfaces.end() - 1;
    }
    if (it->findAlt(alternate) != nullptr) {
      warn(offset, "duplicate interface " + std::to_string(number) + " alternate setting " +
                       std::to_string(alternate) + " skipped with its endpoints");
      return;
    }
    it->altSettings.push_back(AltSetting{alternate, d[5], d[6], d[7], {}});
    currentInterface_ = static_cast<size_t>(it - config_.interfaces.begin());
    currentAlt_ = it->altSettings.size() - 1;
  }

  void endpoint(std::span<const uint8_t> d, size_t offset) {
    lastEndpoint_ = kNone;
    if (currentInterface_ == kNone) {
      warn(offset, "endpoint descriptor outside a usable interface skipped");
      return;
    }
    if (d.size() < kEndpointDescriptorSize) {
      warn(offset, "endpoint descriptor of " + std::to_string(d.size()) + " bytes skipped");
      return;
    }
    uint8_t address = d[2];
    if ((address & 0x7f) == 0 || (address & 0x70) != 0) {
      warn(offset, "endpoint with invalid address " + hexByte(address) + " skipped");
      return;
    }
    AltSetting& alt = currentAlt();
    bool duplicate =
        std::any_of(alt.endpoints.begin(), alt.endpoints.end(),
                    [&](const EndpointDescriptor& e) { return e.bEndpointAddress == address; });
    if (duplicate) {
      warn(offset, "duplicate endpoint " + hexByte(address) + " skipped");
      return;
    }
    alt.endpoints.push_back(EndpointDescriptor{address, d[3], le16(d, 4), d[6], std::nullopt});
    lastEndpoint_ = alt.endpoints.size() - 1;
  }

  // The companion belongs to the endpoint descriptor right before it, and only to that one.
  void superSpeedCompanion(std::span<const uint8_t> d, size_t offset, bool followsEndpoint) {
    if (!followsEndpoint || lastEndpoint_ == kNone) {
      warn(offset, "SuperSpeed endpoint companion without an endpoint before it ignored");
      return;
    }
    if (d.size() < kSuperSpeedCompanionSize) {
      warn(offset,
           "SuperSpeed endpoint companion of " + std::to_string(d.size()) + " bytes ignored");
      return;
    }
    lastEndpointDescriptor().companion = SuperSpeedCompanion{d[2], d[3], le16(d, 4), std::nullopt};
  }

  void superSpeedPlusIsoCompanion(std::span<const uint8_t> d, size_t offset,
                                  bool followsCompanion) {
    if (!followsCompanion || lastEndpoint_ == kNone || !lastEndpointDescriptor().companion) {
      warn(offset, "SuperSpeedPlus isochronous companion out of place ignored");
      return;
    }
    SuperSpeedCompanion& companion = *lastEndpointDescriptor().companion;
    if ((companion.bmAttributes & kCompanionHasSspIsoCompanion) == 0 ||
        d.size() < kSuperSpeedPlusIsoCompanionSize) {
      warn(offset, "SuperSpeedPlus isochronous companion not announced or too short ignored");
      return;
    }
    companion.dwBytesPerInterval = le32(d, 4);
  }

  void other() { lastEndpoint_ = kNone; }

  void warn(size_t offset, const std::string& what) {
    config_.warnings.push_back("offset " + std::to_string(offset) + ": " + what);
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  AltSetting& currentAlt() {
    return config_.interfaces[currentInterface_].altSettings[currentAlt_];
  }
  EndpointDescriptor& lastEndpointDescriptor() { return currentAlt().endpoints[lastEndpoint_]; }

  ConfigurationDescriptors& config_;
  // Where endpoints attach (kNone: nowhere usable) and the endpoint a companion would belong to.
  size_t currentInterface_ = kNone;
  size_t currentAlt_ = kNone;
  size_t lastEndpoint_ = kNone;
};

}  // namespace

proto::TransferType EndpointDescriptor::type() const {
  switch (bmAttributes & 0x03) {
    case 0:
      return proto::TransferType::kControl;
    case 1:
      return proto::TransferType::kIsochronous;
    case 2:
      return proto::TransferType::kBulk;
    default:
      return proto::TransferType::kInterrupt;
  }
}

const AltSetting* InterfaceDescriptors::findAlt(uint8_t alternate) const {
  for (const AltSetting& alt : altSettings) {
    if (alt.bAlternateSetting == alternate) return &alt;
  }
  return nullptr;
}

const InterfaceDescriptors* ConfigurationDescriptors::findInterface(uint8_t number) const {
  for (const InterfaceDescriptors& interface : interfaces) {
    if (interface.bInterfaceNumber == number) return &interface;
  }
  return nullptr;
}

DeviceDescriptor parseDeviceDescriptor(std::span<const uint8_t> bytes) {
  if (bytes.size() < kDeviceDescriptorSize) {
    throw std::invalid_argument("device descriptor: " + std::to_string(bytes.size()) +
                                " bytes, at least 18 needed");
  }
  if (bytes[0] < kDeviceDescriptorSize || bytes[1] != descriptor_type::kDevice) {
    throw std::invalid_argument("device descriptor: bLength " + std::to_string(bytes[0]) +
                                ", bDescriptorType " + hexByte(bytes[1]) +
                                " (expected at least 18 and 0x01)");
  }
  DeviceDescriptor device;
  device.bcdUSB = le16(bytes, 2);
  device.bDeviceClass = bytes[4];
  device.bDeviceSubClass = bytes[5];
  device.bDeviceProtocol = bytes[6];
  device.bMaxPacketSize0 = bytes[7];
  device.idVendor = le16(bytes, 8);
  device.idProduct = le16(bytes, 10);
  device.bcdDevice = le16(bytes, 12);
  device.bNumConfigurations = bytes[17];
  return device;
}

ConfigurationDescriptors parseConfiguration(std::span<const uint8_t> bytes) {
  if (bytes.size() < kConfigurationHeaderSize) {
    throw std::invalid_argument("configuration descriptor: " + std::to_string(bytes.size()) +
                                " bytes, at least 9 needed");
  }
  if (bytes[0] < kConfigurationHeaderSize || bytes[1] != descriptor_type::kConfiguration) {
    throw std::invalid_argument("configuration descriptor: bLength " + std::to_string(bytes[0]) +
                                ", bDescriptorType " + hexByte(bytes[1]) +
                                " (expected at least 9 and 0x02)");
  }
  ConfigurationDescriptors config;
  config.bConfigurationValue = bytes[5];
  config.bmAttributes = bytes[7];
  config.bMaxPower = bytes[8];
  ConfigurationBuilder builder(config);

  // As the kernel does: a device that claims more than it sent gets what it sent parsed.
  size_t total = std::max<size_t>(le16(bytes, 2), bytes[0]);
  if (total > bytes.size()) {
    builder.warn(0, "wTotalLength " + std::to_string(total) + " but only " +
                        std::to_string(bytes.size()) + " bytes present");
    total = bytes.size();
  }
  std::span<const uint8_t> all = bytes.first(total);

  uint8_t previousType = 0;
  for (size_t offset = bytes[0]; offset < all.size();) {
    if (all.size() - offset < 2) {
      builder.warn(offset, "a lone trailing byte ignored");
      break;
    }
    size_t length = all[offset];
    uint8_t type = all[offset + 1];
    if (length < 2 || length > all.size() - offset) {
      builder.warn(offset, "descriptor with bLength " + std::to_string(length) +
                               " stops the parse (" + std::to_string(all.size() - offset) +
                               " bytes left)");
      break;
    }
    std::span<const uint8_t> d = all.subspan(offset, length);
    switch (type) {
      case descriptor_type::kInterface:
        builder.interface(d, offset);
        break;
      case descriptor_type::kEndpoint:
        builder.endpoint(d, offset);
        break;
      case descriptor_type::kSuperSpeedEndpointCompanion:
        builder.superSpeedCompanion(d, offset, previousType == descriptor_type::kEndpoint);
        break;
      case descriptor_type::kSuperSpeedPlusIsoCompanion:
        builder.superSpeedPlusIsoCompanion(
            d, offset, previousType == descriptor_type::kSuperSpeedEndpointCompanion);
        break;
      default:
        builder.other();
        break;
    }
    previousType = type;
    offset += length;
  }
  return config;
}

uint32_t maxIsoBytesPerInterval(const EndpointDescriptor& endpoint, proto::Speed speed) {
  uint32_t packet = endpoint.wMaxPacketSize & 0x7ffu;
  uint32_t bytes = 0;
  switch (speed) {
    case proto::Speed::kLow:
    case proto::Speed::kFull:
      bytes = packet;
      break;
    case proto::Speed::kSuper:
    case proto::Speed::kSuperPlus:
      if (!endpoint.companion) {
        bytes = packet;  // the kernel assumes a companion with no burst and no mult
      } else if (endpoint.companion->dwBytesPerInterval) {
        bytes = *endpoint.companion->dwBytesPerInterval;
      } else {
        bytes = endpoint.companion->wBytesPerInterval;
      }
      break;
    default:  // high speed, and the most generous reading when the speed is unknown
      bytes = packet * (1 + ((endpoint.wMaxPacketSize >> 11) & 0x03u));
      break;
  }
  return std::min(bytes, kUsbfsMaxIsoPacketBytes);
}

}  // namespace usbip::worker
