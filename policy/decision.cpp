#include "policy/decision.h"

#include <cstdio>
#include <stdexcept>

#include "policy/peer_rule.h"

namespace usbip::policy {
namespace {

Verdict refuse(std::string reason) {
  return {false, std::move(reason)};
}

std::string hex(uint8_t value) {
  char text[5] = {};
  std::snprintf(text, sizeof text, "0x%02x", value);
  return text;
}

// Why the guards refuse the device, or empty when they accept it.
std::string guardRefusal(const UrbLimits& limits, const DeviceAttributes& device) {
  if (!limits.hidOnly) return {};
  if (device.deviceClass != kClassPerInterface && device.deviceClass != kClassHid) {
    return "guards.hid_only: device class is " + hex(device.deviceClass);
  }
  if (device.interfaces.empty()) return "guards.hid_only: the device reports no interfaces";
  for (const auto& interface : device.interfaces) {
    if (interface.interfaceClass != kClassHid) {
      return "guards.hid_only: interface " + std::to_string(interface.number) + " has class " +
             hex(interface.interfaceClass);
    }
  }
  return {};
}

}  // namespace

Verdict mayExport(const DevicePolicy& policy, const DeviceAttributes& device) {
  if (device.attachedThroughVhci) {
    return refuse("device " + device.busid + " is attached through vhci_hcd; never re-exported");
  }
  if (device.deviceClass == kClassHub) return refuse("device " + device.busid + " is a hub");
  for (const auto& interface : device.interfaces) {
    if (interface.interfaceClass == kClassHub) {
      return refuse("device " + device.busid + " has a hub interface");
    }
  }
  if (policy.deny) return refuse("device " + device.busid + " denied: " + policy.origin);
  if (!policy.match.matches(device)) {
    return refuse("policy " + policy.origin + " (" + policy.match.toString() +
                  ") does not match device " + device.busid);
  }
  if (auto why = guardRefusal(policy.limits, device); !why.empty()) {
    return refuse("device " + device.busid + " refused by " + policy.origin + ": " + why);
  }
  return {true, "device " + device.busid + " allowed by " + policy.origin};
}

Verdict mayImport(const DevicePolicy& policy, const DeviceAttributes& device,
                  std::string_view peer) {
  auto verdict = mayExport(policy, device);
  if (!verdict || policy.exportRule.mode == ExportRule::Mode::kConnect) return verdict;
  try {
    if (peerAllowed(policy.exportRule.allowedPeers, peer)) {
      return {true, verdict.reason + " for peer " + std::string(peer)};
    }
  } catch (const std::invalid_argument& e) {
    return refuse(e.what());
  }
  return refuse("peer " + std::string(peer) + " is not in export.allowed_peers of " +
                policy.origin);
}

bool offeredOn(const DevicePolicy& policy, const Address& listener) {
  const auto& rule = policy.exportRule;
  return !policy.deny && rule.mode == ExportRule::Mode::kListen &&
         (!rule.address || rule.address->toString() == listener.toString());
}

}  // namespace usbip::policy
