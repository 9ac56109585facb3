// The capabilities usbip-host keeps; it drops every other one at start, before it opens a socket
// or starts a thread (docs/security.md, "Broker least privilege").
#pragma once

#include <span>
#include <string>
#include <vector>

#include "broker/cli.h"

namespace usbip {

struct CapabilityUse {
  int capability;       // CAP_* from <linux/capability.h>
  const char* name;     // "CAP_SYS_ADMIN"
  const char* usedFor;  // who needs it, for what
};

// What `invocation` needs: for listen and connect the set the worker's sandbox is built with plus
// CAP_KILL, and CAP_NET_BIND_SERVICE when listening on a tcp or vsock port below 1024; nothing for
// list.
std::vector<CapabilityUse> capabilitiesNeeded(const Invocation& invocation);

// "CAP_KILL CAP_SETUID ..." for logs and tests.
std::string capabilityNames(std::span<const CapabilityUse> capabilities);

// Leaves exactly `keep` in the effective, permitted and bounding sets and empties the inheritable
// and ambient sets. Capabilities belong to a thread, so this must run while the process has only
// one. A process without capabilities (started by an unprivileged user) has nothing to drop and
// cannot narrow its bounding set, which only matters for executing set-uid programs: it logs that
// and returns. Throws std::system_error when a set cannot be applied.
void keepOnlyCapabilities(std::span<const CapabilityUse> keep);

}  // namespace usbip
