#include "client-helper/import.h"

#include <optional>
#include <variant>
#include <vector>

#include "client-helper/deadline_io.h"
#include "client-helper/errors.h"
#include "client-helper/printable.h"
#include "common/socket.h"
#include "protocol/codec.h"
#include "protocol/errors.h"

namespace usbip::client {
namespace {

[[noreturn]] void truncated(const char* message, size_t received) {
  throw proto::ProtocolError(proto::Rule::R1, "reply",
                             std::string("the connection closed after ") +
                                 std::to_string(received) + " bytes, in the middle of " + message);
}

template <typename Request>
void sendRequest(const UniqueFd& socket, const Request& request) {
  std::vector<uint8_t> bytes;
  proto::encode(request, bytes);
  writeAll(socket, bytes.data(), bytes.size());
}

}  // namespace

std::string replyStatusText(uint32_t status) {
  // The kernel's tools/usb/usbip op_common status values (ST_OK, ST_NA, ST_DEV_BUSY, ...).
  switch (status) {
    case 0:
      return "success";
    case 1:
      return "request failed";
    case 2:
      return "device busy (already imported)";
    case 3:
      return "device in error state";
    case 4:
      return "device not found (not exported)";
    case 5:
      return "unexpected response";
    default:
      return "unknown status";
  }
}

ValidatedImport validateImportReply(const proto::OpRepImport& reply,
                                    std::string_view requestedBusid) {
  const std::string asked =
      requestedBusid.empty() ? "the exported device" : "'" + printable(requestedBusid) + "'";
  if (reply.status != 0) {
    throw ImportRefused(reply.status, "the server refused to import " + asked + ": " +
                                          replyStatusText(reply.status) + " (status " +
                                          std::to_string(reply.status) + ")");
  }
  // The kernel's tool checks this too: a server must not substitute another device.
  if (!requestedBusid.empty() && reply.device.busid != requestedBusid) {
    throw proto::ProtocolError(
        proto::Rule::R1, "busid",
        "asked for " + asked + ", the reply describes '" + printable(reply.device.busid) + "'");
  }
  if (reply.device.busid.empty()) {
    throw proto::ProtocolError(proto::Rule::R1, "busid", "the reply's bus ID is empty");
  }
  return ValidatedImport(reply.device);
}

ValidatedImport parseImportReply(std::span<const uint8_t> bytes, std::string_view requestedBusid,
                                 const proto::Limits& limits) {
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepImport, limits);
  decoder.feed(bytes);
  auto reply = decoder.next();
  if (!reply) truncated("OP_REP_IMPORT", bytes.size());
  return validateImportReply(std::get<proto::OpRepImport>(*reply), requestedBusid);
}

ValidatedImport importDevice(const UniqueFd& socket, std::string_view busid,
                             const HandshakeOptions& options) {
  sendRequest(socket, proto::OpReqImport{std::string(busid)});
  const auto deadline = Clock::now() + options.timeout;

  // The header says whether a device record follows; read it first so as never to read past the
  // reply.
  std::vector<uint8_t> bytes(proto::kOpHeaderSize);
  size_t received = readFullBefore(socket, bytes, deadline, "OP_REP_IMPORT");
  if (received < bytes.size()) truncated("OP_REP_IMPORT", received);
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepImport, options.limits);
  decoder.feed(bytes);
  if (auto reply = decoder.next()) {
    return validateImportReply(std::get<proto::OpRepImport>(*reply), busid);
  }
  std::vector<uint8_t> record(proto::kDeviceRecordSize);
  const size_t more = readFullBefore(socket, record, deadline, "OP_REP_IMPORT");
  if (more < record.size()) truncated("OP_REP_IMPORT", received + more);
  decoder.feed(record);
  auto reply = decoder.next();
  if (!reply) throw std::logic_error("OP_REP_IMPORT incomplete after header and record");
  return validateImportReply(std::get<proto::OpRepImport>(*reply), busid);
}

proto::OpRepDevlist listDevices(const UniqueFd& socket, const HandshakeOptions& options) {
  sendRequest(socket, proto::OpReqDevlist{});
  const auto deadline = Clock::now() + options.timeout;
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepDevlist, options.limits);
  std::vector<uint8_t> chunk(16384);
  size_t received = 0;
  for (;;) {
    const size_t n = readSomeBefore(socket, chunk, deadline, "OP_REP_DEVLIST");
    if (n == 0) truncated("OP_REP_DEVLIST", received);
    received += n;
    decoder.feed(std::span<const uint8_t>(chunk).first(n));
    if (auto reply = decoder.next()) {
      auto list = std::get<proto::OpRepDevlist>(std::move(*reply));
      if (list.status != 0) {
        throw std::runtime_error(
            "the server refused to list its devices: " + replyStatusText(list.status) +
            " (status " + std::to_string(list.status) + ")");
      }
      return list;
    }
  }
}

}  // namespace usbip::client
