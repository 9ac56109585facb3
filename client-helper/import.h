// The client's side of the USB/IP handshake: ask a server for its device list or for one device,
// read its reply within a deadline, and validate it (rule R1) before anything else sees it.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/unique_fd.h"
#include "protocol/limits.h"
#include "protocol/messages.h"

namespace usbip::client {

struct HandshakeOptions {
  std::chrono::milliseconds timeout{10000};  // for the whole reply (rule F11)
  proto::Limits limits;
};

// An OP_REP_IMPORT that passed every check: rule R1 (in the decoder) and the checks against the
// request here. Only validateImportReply makes one, and attachImported (attach_flow.h) takes
// nothing else, so that no socket reaches vhci_hcd before its reply validated (rule R2).
class ValidatedImport {
 public:
  const proto::DeviceRecord& device() const { return device_; }

 private:
  explicit ValidatedImport(proto::DeviceRecord device) : device_(std::move(device)) {}
  friend ValidatedImport validateImportReply(const proto::OpRepImport& reply,
                                             std::string_view requestedBusid);
  proto::DeviceRecord device_;
};

// Checks a decoded reply against the request. Throws ImportRefused when the status is not 0, and
// proto::ProtocolError(R1, "busid") when the reply describes a device other than the requested
// one. An empty `requestedBusid` asks for whatever the connection exports (reverse mode).
ValidatedImport validateImportReply(const proto::OpRepImport& reply,
                                    std::string_view requestedBusid);

// Decodes and validates a complete OP_REP_IMPORT held in `bytes` (the bytes a server sent before
// closing). Throws proto::ProtocolError(R1) for a malformed or truncated reply, ImportRefused.
ValidatedImport parseImportReply(std::span<const uint8_t> bytes, std::string_view requestedBusid,
                                 const proto::Limits& limits);

// Sends OP_REQ_IMPORT for `busid` and reads exactly its reply: not one byte more, because what
// follows is the URB stream and belongs to vhci_hcd. Throws what parseImportReply throws,
// proto::ProtocolError(F11) on timeout, std::system_error on socket errors.
ValidatedImport importDevice(const UniqueFd& socket, std::string_view busid,
                             const HandshakeOptions& options);

// Sends OP_REQ_DEVLIST and reads its reply (the server closes the connection after it). Throws
// proto::ProtocolError (R1, F11), std::runtime_error when the server answers with an error status.
proto::OpRepDevlist listDevices(const UniqueFd& socket, const HandshakeOptions& options);

// What an OP_REP_* status means, as the kernel's usbip tool words it.
std::string replyStatusText(uint32_t status);

}  // namespace usbip::client
