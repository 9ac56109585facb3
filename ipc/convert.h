// Copies between the plain value types (protocol/messages.h, broker/export_policy.h) and their
// Cap'n Proto form (ipc/broker.capnp). Readers are bounds-checked where the plain type is narrower.
#pragma once

#include "broker/export_policy.h"
#include "ipc/broker.capnp.h"
#include "policy/urb_limits.h"
#include "protocol/messages.h"

namespace usbip::ipc {

void toCapnp(const proto::ExportedDevice& from, ExportedDevice::Builder to);
proto::ExportedDevice fromCapnp(ExportedDevice::Reader from);

void toCapnp(const usbip::ExportCandidate& from, ipc::ExportCandidate::Builder to);
usbip::ExportCandidate fromCapnp(ipc::ExportCandidate::Reader from);

void toCapnp(const usbip::ExportPolicy& from, ipc::ExportPolicy::Builder to);
usbip::ExportPolicy fromCapnp(ipc::ExportPolicy::Reader from);

// Lists longer than the policy parser could ever produce are refused (std::invalid_argument).
void toCapnp(const policy::UrbLimits& from, ipc::UrbLimits::Builder to);
policy::UrbLimits fromCapnp(ipc::UrbLimits::Reader from);

}  // namespace usbip::ipc
