// The one way from a socket whose import reply validated to a vhci_hcd port (rule R2), shared by
// `attach` (we dialled the server) and `listen` (the host dialled us).
#pragma once

#include <cstdint>
#include <string>

#include "client-helper/import.h"
#include "client-helper/port_record.h"
#include "client-helper/vhci.h"
#include "common/address.h"
#include "common/unique_fd.h"

namespace usbip::client {

struct Attachment {
  uint32_t port = 0;
  proto::DeviceRecord device;
  std::string remote;  // where the device came from, as an address
};

// Hands `socket` to a free vhci_hcd port of the speed the device needs and records `remote` for
// the port (a failure to record is logged, not fatal: the device is attached by then). The
// caller closes its fd afterwards; the kernel keeps the connection.
Attachment attachImported(const UniqueFd& socket, const ValidatedImport& imported,
                          const Address& remote, const Vhci& vhci, const PortRecords& records);

}  // namespace usbip::client
