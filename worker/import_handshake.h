// The USB/IP handshake as the worker serves it: one OP_REQ_DEVLIST or OP_REQ_IMPORT from the
// client, read under a deadline (rule F11), and the reply.
#pragma once

#include <chrono>

#include "common/unique_fd.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::worker {

inline constexpr std::chrono::seconds kHandshakeTimeout{30};

// Reads until `decoder` yields one request. Throws proto::ProtocolError for a bad request (F1,
// F2), std::runtime_error when the client closes first or stalls past `timeout`.
proto::ClientHandshake readClientHandshake(const UniqueFd& client, proto::HandshakeDecoder& decoder,
                                           std::chrono::milliseconds timeout = kHandshakeTimeout);

void sendReply(const UniqueFd& client, const proto::OpRepDevlist& reply);
void sendReply(const UniqueFd& client, const proto::OpRepImport& reply);

}  // namespace usbip::worker
