#include "broker/export_policy.h"

#include <algorithm>

namespace usbip {
namespace {

ExportDecision refuse(std::string reason) {
  return {false, std::move(reason)};
}

// Bus IDs in an import request come from the network: keep them printable in log lines.
std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

ExportDecision decideExport(const ExportCandidate& device, const ExportPolicy& policy) {
  const auto& record = device.exported.device;
  const std::string name = "device " + record.busid;
  if (record.bDeviceClass == kHubDeviceClass) {
    return refuse(name + " is a hub; hubs are never exported (rule E1)");
  }
  if (device.behindVhci) {
    return refuse(name + " is attached through vhci_hcd; imported devices are never re-exported " +
                  "(rule E1)");
  }
  const auto& allowed = policy.allowedBusids;
  if (std::find(allowed.begin(), allowed.end(), record.busid) == allowed.end()) {
    return refuse(name + " is not allowed by the export policy (rule E2)");
  }
  return {true, {}};
}

ExportDecision decideImport(std::string_view busid, std::span<const ExportCandidate> offered,
                            const ExportPolicy& policy) {
  const auto found = std::find_if(offered.begin(), offered.end(), [&](const ExportCandidate& c) {
    return c.exported.device.busid == busid;
  });
  if (found == offered.end()) {
    return refuse("no exported device has bus ID '" + printable(busid) + "'");
  }
  return decideExport(*found, policy);
}

}  // namespace usbip
