#include "broker/export_policy.h"

#include <algorithm>

#include "policy/decision.h"

namespace usbip {
namespace {

// Bus IDs in an import request come from the network: keep them printable in log lines.
std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

ExportDecision decideImport(std::string_view busid, std::string_view peer,
                            std::span<const OfferedDevice> offered) {
  const auto found = std::find_if(offered.begin(), offered.end(),
                                  [&](const OfferedDevice& d) { return d.busid() == busid; });
  if (found == offered.end()) {
    return {false, "no exported device has bus ID '" + printable(busid) + "'"};
  }
  auto verdict = policy::mayImport(found->policy, found->attributes, peer);
  return {verdict.allowed, std::move(verdict.reason)};
}

policy::DeviceAttributes attributesOf(const ExportCandidate& candidate) {
  const auto& r = candidate.exported.device;
  policy::DeviceAttributes a;
  a.busid = r.busid;
  a.vid = r.idVendor;
  a.pid = r.idProduct;
  a.deviceClass = r.bDeviceClass;
  a.attachedThroughVhci = candidate.behindVhci;
  const auto& interfaces = candidate.exported.interfaces;
  for (size_t i = 0; i < interfaces.size(); ++i) {
    a.interfaces.push_back({static_cast<uint8_t>(i), interfaces[i].bInterfaceClass,
                            interfaces[i].bInterfaceSubClass, interfaces[i].bInterfaceProtocol});
  }
  return a;
}

}  // namespace usbip
