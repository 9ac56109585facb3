#include "worker/sim/configuration_layout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "worker/sim/descriptor_builder.h"

namespace usbip::worker::sim {

proto::TransferType EndpointLayout::type() const {
  switch (attributes & 0x03) {
    case endpoint_type::kIsochronous:
      return proto::TransferType::kIsochronous;
    case endpoint_type::kBulk:
      return proto::TransferType::kBulk;
    case endpoint_type::kInterrupt:
      return proto::TransferType::kInterrupt;
    default:
      return proto::TransferType::kControl;
  }
}

const InterfaceLayout* ConfigurationLayout::find(uint8_t interface, uint8_t alternate) const {
  for (const auto& candidate : interfaces) {
    if (candidate.number == interface && candidate.alternate == alternate) return &candidate;
  }
  return nullptr;
}

std::vector<uint8_t> ConfigurationLayout::interfaceNumbers() const {
  std::vector<uint8_t> numbers;
  for (const auto& candidate : interfaces) {
    if (std::find(numbers.begin(), numbers.end(), candidate.number) == numbers.end()) {
      numbers.push_back(candidate.number);
    }
  }
  return numbers;
}

ConfigurationLayout parseConfiguration(std::span<const uint8_t> bytes) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("malformed configuration descriptor: " + what);
  };
  if (bytes.size() < 9 || bytes[0] != 9 || bytes[1] != descriptor_type::kConfiguration) {
    fail("no 9-byte configuration header");
  }
  if (static_cast<size_t>(bytes[2] | (bytes[3] << 8)) != bytes.size()) {
    fail("wTotalLength differs from the size");
  }
  ConfigurationLayout layout;
  layout.value = bytes[5];
  layout.attributes = bytes[7];
  std::vector<size_t> declaredEndpoints;  // bNumEndpoints of each interface descriptor
  for (size_t at = bytes[0]; at < bytes.size();) {
    const size_t length = bytes[at];
    if (length < 2 || at + length > bytes.size()) {
      fail("descriptor length at offset " + std::to_string(at));
    }
    const auto d = bytes.subspan(at, length);
    if (d[1] == descriptor_type::kInterface) {
      if (length < 9) fail("short interface descriptor");
      layout.interfaces.push_back({d[2], d[3], d[5], d[6], d[7], {}});
      declaredEndpoints.push_back(d[4]);
    } else if (d[1] == descriptor_type::kEndpoint) {
      if (length < 7) fail("short endpoint descriptor");
      if (layout.interfaces.empty()) fail("endpoint before any interface");
      layout.interfaces.back().endpoints.push_back(
          {d[2], d[3], static_cast<uint16_t>(d[4] | (d[5] << 8)), d[6]});
    }
    at += length;
  }
  if (layout.interfaceNumbers().size() != bytes[4]) fail("bNumInterfaces differs");
  for (size_t i = 0; i < layout.interfaces.size(); ++i) {
    if (layout.interfaces[i].endpoints.size() != declaredEndpoints[i]) {
      fail("bNumEndpoints of interface " + std::to_string(layout.interfaces[i].number));
    }
  }
  return layout;
}

}  // namespace usbip::worker::sim
