// The one import decision, shared by the broker's check and the worker's pre-check. The worker
// pre-checks a client's OP_REQ_IMPORT with decideImport() on the devices the broker listed for
// it, and the broker re-checks the request with the very same function on its own table,
// because a worker may have been taken over by its client. The policy itself (rules E1 and E2,
// peers, guards) is policy::mayImport (policy/decision.h).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "policy/device_attributes.h"
#include "policy/device_policy.h"
#include "protocol/messages.h"

namespace usbip {

// A device the host could export, as the wire describes it, and the one E1 fact the wire lacks.
struct ExportCandidate {
  proto::ExportedDevice exported;
  bool behindVhci = false;  // attached through vhci_hcd, i.e. itself imported over USB/IP
  bool operator==(const ExportCandidate&) const = default;
};

inline constexpr uint8_t kHubDeviceClass = 9;

// A device on offer with everything the decision reads: its wire record, what the policy matches
// and guards against, and the policy that governs it (PolicySet::policyFor).
struct OfferedDevice {
  ExportCandidate candidate;
  policy::DeviceAttributes attributes;
  policy::DevicePolicy policy;

  const std::string& busid() const { return candidate.exported.device.busid; }
  bool operator==(const OfferedDevice&) const = default;
};

struct ExportDecision {
  bool allowed = false;
  std::string reason;  // why (not), naming the device and the rule
};

// May the client `peer` (acceptConnection's printable form) import `busid`, given the devices on
// offer? Unknown bus IDs are refused, then policy::mayImport decides. Whether another worker
// already holds the device is the broker's business, not part of this decision.
ExportDecision decideImport(std::string_view busid, std::string_view peer,
                            std::span<const OfferedDevice> offered);

// The policy attributes of a device known only by its wire record (a simulated device): no port
// path, no serial, its interfaces numbered in order.
policy::DeviceAttributes attributesOf(const ExportCandidate& candidate);

}  // namespace usbip
