#include "policy/descriptor_interfaces.h"

#include <algorithm>

namespace usbip::policy {
namespace {

constexpr uint8_t kDescriptorInterface = 4;
constexpr size_t kInterfaceDescriptorLength = 9;
constexpr size_t kDeviceDescriptorLength = 18;

}  // namespace

std::vector<InterfaceInfo> interfacesInDescriptors(std::span<const uint8_t> raw) {
  std::vector<InterfaceInfo> found;
  size_t at = std::min(raw.size(), kDeviceDescriptorLength);
  while (at + 2 <= raw.size()) {
    const size_t length = raw[at];
    if (length < 2 || at + length > raw.size()) break;
    if (raw[at + 1] == kDescriptorInterface && length >= kInterfaceDescriptorLength) {
      const InterfaceInfo info{raw[at + 2], raw[at + 5], raw[at + 6], raw[at + 7]};
      if (std::find(found.begin(), found.end(), info) == found.end()) found.push_back(info);
    }
    at += length;
  }
  return found;
}

}  // namespace usbip::policy
