// Copies between the plain value types (protocol/messages.h, broker/export_policy.h,
// policy/) and their
// Cap'n Proto form (ipc/broker.capnp). Readers are bounds-checked where the plain type is narrower.
#pragma once

#include "broker/export_policy.h"
#include "ipc/broker.capnp.h"
#include "policy/device_policy.h"
#include "policy/urb_limits.h"
#include "protocol/messages.h"

namespace usbip::ipc {

void toCapnp(const proto::ExportedDevice& from, ExportedDevice::Builder to);
proto::ExportedDevice fromCapnp(ExportedDevice::Reader from);

void toCapnp(const usbip::ExportCandidate& from, ipc::ExportCandidate::Builder to);
usbip::ExportCandidate fromCapnp(ipc::ExportCandidate::Reader from);

void toCapnp(const policy::DeviceAttributes& from, ipc::DeviceAttributes::Builder to);
policy::DeviceAttributes fromCapnp(ipc::DeviceAttributes::Reader from);

// Peer rules travel in their canonical text and are parsed again (std::invalid_argument).
void toCapnp(const policy::DevicePolicy& from, ipc::DevicePolicy::Builder to);
policy::DevicePolicy fromCapnp(ipc::DevicePolicy::Reader from);

void toCapnp(const usbip::OfferedDevice& from, ipc::OfferedDevice::Builder to);
usbip::OfferedDevice fromCapnp(ipc::OfferedDevice::Reader from);

// Lists longer than the policy parser could ever produce are refused (std::invalid_argument).
void toCapnp(const policy::UrbLimits& from, ipc::UrbLimits::Builder to);
policy::UrbLimits fromCapnp(ipc::UrbLimits::Reader from);

}  // namespace usbip::ipc
