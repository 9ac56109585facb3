// The part of a device policy that the worker enforces on the URB stream: sizes, which
// interfaces may be claimed, which control requests may reach the device, and the guards.
// A plain struct of integers, booleans and vectors so that it maps one to one onto the IPC
// schema. The functions below are the single definition of what these fields mean; the broker
// and the worker both call them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "policy/device_attributes.h"
#include "protocol/limits.h"

namespace usbip::policy {

inline constexpr uint32_t kDefaultMaxTransferSize = proto::Limits{}.maxTransferLength;
inline constexpr uint32_t kDefaultMaxBytesInFlight = 32u << 20;
inline constexpr uint32_t kDefaultMaxUrbsInFlight = 512;

// Ceilings a policy file may not exceed, whatever it asks for.
inline constexpr uint32_t kCeilingMaxTransferSize = 64u << 20;
inline constexpr uint32_t kCeilingMaxBytesInFlight = 1u << 30;
inline constexpr uint32_t kCeilingMaxUrbsInFlight = 65536;

// usbfs grants interfaces after USBDEVFS_DROP_PRIVILEGES through a 32-bit mask, so interfaces
// numbered 32 and above can never be handed to the worker.
inline constexpr uint8_t kMaxClaimableInterfaceNumber = 31;

// One control request, identified the way the USB specification does.
struct ControlRequest {
  uint8_t requestType = 0;  // bmRequestType, direction bit included
  uint8_t request = 0;      // bRequest

  bool operator==(const ControlRequest&) const = default;
};

struct UrbLimits {
  uint32_t maxTransferSize = kDefaultMaxTransferSize;    // per URB (rule F8)
  uint32_t maxBytesInFlight = kDefaultMaxBytesInFlight;  // per connection (rule F10)
  uint32_t maxUrbsInFlight = kDefaultMaxUrbsInFlight;    // per connection (rule F10)

  bool allowReset = false;  // whether a client's port reset reaches the device
  // Allowed beyond the standard requests and class requests to a claimable interface/endpoint.
  std::vector<ControlRequest> extraControlRequests;

  // Claimable interfaces: all of them, or those whose number or class is listed.
  bool allInterfaces = true;
  std::vector<uint8_t> interfaceNumbers;
  std::vector<uint8_t> interfaceClasses;

  bool hidOnly = false;   // nothing but HID interfaces, in any configuration
  bool readOnly = false;  // mass storage: SCSI commands that change the medium are refused

  bool operator==(const UrbLimits&) const = default;
};

// Whether the client may claim (and the broker may detach the host driver from) this interface
// descriptor. The worker also checks it for every SET_CONFIGURATION and SET_INTERFACE target.
bool mayClaimInterface(const UrbLimits& limits, const InterfaceInfo& interface);

// USBDEVFS_DROP_PRIVILEGES mask for the device's interfaces: bit N is set when interface N may be
// claimed in every configuration and alternate setting in which it appears.
uint32_t claimableInterfaceMask(const UrbLimits& limits, std::span<const InterfaceInfo> interfaces);

// Whether a control request may reach the device at all. Allowed: the standard requests other
// than SET_ADDRESS, SET_DESCRIPTOR and SET_FEATURE(TEST_MODE); class requests addressed to an
// interface or endpoint (the worker still checks that it is a claimable one, rule C4); a port
// reset when allowReset; and extraControlRequests.
bool controlRequestAllowed(const UrbLimits& limits, uint8_t requestType, uint8_t request,
                           uint16_t value);

// The port reset a client sends as SET_FEATURE(PORT_RESET) to its virtual hub port.
bool isPortReset(uint8_t requestType, uint8_t request, uint16_t value);

}  // namespace usbip::policy
