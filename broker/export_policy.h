// The one export decision (rules E1 and E2). The worker pre-checks a client's OP_REQ_IMPORT with
// decideImport() before it asks the broker, and the broker re-checks the request with the very
// same function against its own table, because a worker may have been taken over by its client.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.h"

namespace usbip {

// A device the host could export, with the facts the decision needs beyond the wire record.
struct ExportCandidate {
  proto::ExportedDevice exported;
  bool behindVhci = false;  // attached through vhci_hcd, i.e. itself imported over USB/IP
  bool operator==(const ExportCandidate&) const = default;
};

// Rule E2: what may be exported. Today the bus IDs named on the command line; policy files will
// extend this type, and decideExport() stays the one place that reads it.
struct ExportPolicy {
  std::vector<std::string> allowedBusids;
  bool operator==(const ExportPolicy&) const = default;
};

struct ExportDecision {
  bool allowed = false;
  std::string reason;  // why not, naming the device and the rule; empty when allowed
};

inline constexpr uint8_t kHubDeviceClass = 9;

// May `device` be exported under `policy`? E1 (never a hub, never a device behind vhci_hcd)
// comes first, so no policy can override it.
ExportDecision decideExport(const ExportCandidate& device, const ExportPolicy& policy);

// May a client import `busid`, given the devices on offer? Unknown bus IDs are refused, then
// decideExport() decides. Whether another worker already holds the device is the broker's
// business, not part of this decision.
ExportDecision decideImport(std::string_view busid, std::span<const ExportCandidate> offered,
                            const ExportPolicy& policy);

}  // namespace usbip
