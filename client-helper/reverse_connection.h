// One connection a host made to `listen` (reverse mode, docs/protocol.md "Reverse handshake"):
// import whatever it exports, validate, attach.
#pragma once

#include <optional>

#include "client-helper/attach_flow.h"
#include "client-helper/import.h"
#include "client-helper/port_record.h"
#include "client-helper/vhci.h"
#include "common/address.h"
#include "common/socket.h"

namespace usbip::client {

// Sends OP_REQ_IMPORT with an empty busid, validates the reply (R1) and attaches the device
// (R2). Every failure is logged with the peer and ends only this connection: the listener goes
// on. Returns the attachment, or nullopt when the connection was dropped.
std::optional<Attachment> serveReverseConnection(AcceptedConnection connection,
                                                 const Address& listenAddress, const Vhci& vhci,
                                                 const PortRecords& records,
                                                 const HandshakeOptions& options);

}  // namespace usbip::client
