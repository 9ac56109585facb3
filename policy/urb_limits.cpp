#include "policy/urb_limits.h"

#include <algorithm>
#include <array>

namespace usbip::policy {
namespace {

// bmRequestType fields (USB 2.0 section 9.3.1).
constexpr uint8_t kTypeMask = 0x60;
constexpr uint8_t kTypeStandard = 0x00;
constexpr uint8_t kTypeClass = 0x20;
constexpr uint8_t kRecipientMask = 0x1f;
constexpr uint8_t kRecipientDevice = 0x00;
constexpr uint8_t kRecipientInterface = 0x01;
constexpr uint8_t kRecipientEndpoint = 0x02;

// Standard bRequest codes (USB 2.0 table 9-4).
constexpr uint8_t kGetStatus = 0;
constexpr uint8_t kClearFeature = 1;
constexpr uint8_t kSetFeature = 3;
constexpr uint8_t kSetAddress = 5;
constexpr uint8_t kGetDescriptor = 6;
constexpr uint8_t kGetConfiguration = 8;
constexpr uint8_t kSetConfiguration = 9;
constexpr uint8_t kGetInterface = 10;
constexpr uint8_t kSetInterface = 11;
constexpr uint8_t kSynchFrame = 12;

// The standard requests every device needs to be enumerated and used. Absent on purpose:
// SET_ADDRESS (5), which vhci handles and which must never reach the device (rule C3), and
// SET_DESCRIPTOR (7), which rewrites the device's descriptors where a device supports it.
constexpr std::array kStandardRequests = {kGetStatus,     kClearFeature,     kSetFeature,
                                          kGetDescriptor, kGetConfiguration, kSetConfiguration,
                                          kGetInterface,  kSetInterface,     kSynchFrame};

// Feature selectors.
constexpr uint16_t kFeatureTestMode = 2;    // device: leaves it unusable until power-cycled
constexpr uint16_t kFeaturePortReset = 4;   // hub port
constexpr uint8_t kRequestTypePort = 0x23;  // class request to "other" (a hub port), host to device

bool contains(const std::vector<uint8_t>& values, uint8_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

bool mayClaimInterface(const UrbLimits& limits, const InterfaceInfo& interface) {
  if (interface.interfaceClass == kClassHub) return false;  // rule E1
  if (interface.number > kMaxClaimableInterfaceNumber) return false;
  if (limits.hidOnly && interface.interfaceClass != kClassHid) return false;
  // The worker can only filter SCSI commands carried by Bulk-Only Transport; any other mass
  // storage transport (UAS, CBI) would carry writes it cannot see.
  if (limits.readOnly && interface.interfaceClass == kClassMassStorage &&
      (interface.subclass != kMassStorageSubclassScsi ||
       interface.protocol != kMassStorageProtocolBulkOnly)) {
    return false;
  }
  if (limits.allInterfaces) return true;
  return contains(limits.interfaceNumbers, interface.number) ||
         contains(limits.interfaceClasses, interface.interfaceClass);
}

uint32_t claimableInterfaceMask(const UrbLimits& limits,
                                std::span<const InterfaceInfo> interfaces) {
  uint32_t allowed = 0;
  uint32_t refused = 0;
  for (const auto& interface : interfaces) {
    if (interface.number > kMaxClaimableInterfaceNumber) continue;
    const uint32_t bit = 1u << interface.number;
    (mayClaimInterface(limits, interface) ? allowed : refused) |= bit;
  }
  return allowed & ~refused;
}

bool isPortReset(uint8_t requestType, uint8_t request, uint16_t value) {
  return requestType == kRequestTypePort && request == kSetFeature && value == kFeaturePortReset;
}

bool controlRequestAllowed(const UrbLimits& limits, uint8_t requestType, uint8_t request,
                           uint16_t value) {
  if (isPortReset(requestType, request, value)) return limits.allowReset;
  const uint8_t type = requestType & kTypeMask;
  const uint8_t recipient = requestType & kRecipientMask;
  // Rule C3 holds whatever a policy lists: vhci answers SET_ADDRESS itself.
  if (type == kTypeStandard && request == kSetAddress) return false;
  if (type == kTypeStandard) {
    const bool testMode =
        request == kSetFeature && recipient == kRecipientDevice && value == kFeatureTestMode;
    const bool standard = std::find(kStandardRequests.begin(), kStandardRequests.end(), request) !=
                          kStandardRequests.end();
    if (standard && !testMode) return true;
  }
  if (type == kTypeClass && (recipient == kRecipientInterface || recipient == kRecipientEndpoint)) {
    return true;
  }
  const ControlRequest wanted{requestType, request};
  return std::find(limits.extraControlRequests.begin(), limits.extraControlRequests.end(),
                   wanted) != limits.extraControlRequests.end();
}

}  // namespace usbip::policy
