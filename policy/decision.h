// The permission checks. The broker runs them before it lists a device, opens it or hands it to
// a worker; the worker runs the very same functions before it answers a client's device list or
// import request, so both sides agree and the broker re-checks what the worker asks for.
#pragma once

#include <string>
#include <string_view>

#include "common/address.h"
#include "policy/device_attributes.h"
#include "policy/device_policy.h"

namespace usbip::policy {

struct Verdict {
  bool allowed = false;
  std::string reason;  // for logs, either way: "allowed by devices.d/1-2.toml", "denied by ..."

  explicit operator bool() const { return allowed; }
};

// Whether `device` may be exported under `policy` (as PolicySet::policyFor chose it): never a hub
// or a device attached through vhci_hcd (rule E1), never a denied or unmatched device (rule E2),
// and only when the guards accept the device's interfaces.
Verdict mayExport(const DevicePolicy& policy, const DeviceAttributes& device);

// mayExport, and for a listen-mode export whether `peer` (acceptConnection's printable form) is in
// export.allowed_peers. In connect mode the broker dialed the peer the policy names, so any
// connection it hands over is allowed. A malformed peer is refused, not thrown.
Verdict mayImport(const DevicePolicy& policy, const DeviceAttributes& device,
                  std::string_view peer);

// Whether `usbip-host listen` on `listener` offers this device: a listen-mode rule without an
// address of its own, or whose own address is this listener.
bool offeredOn(const DevicePolicy& policy, const Address& listener);

}  // namespace usbip::policy
