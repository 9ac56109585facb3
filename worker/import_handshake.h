// The USB/IP handshake as the worker serves it: one OP_REQ_DEVLIST or OP_REQ_IMPORT from the
// client, read under a deadline (rule F11), and the reply.
#pragma once

#include <chrono>
#include <optional>

#include "common/unique_fd.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::worker {

inline constexpr std::chrono::seconds kHandshakeTimeout{30};

// Reads until `decoder` yields one request; nullopt when the client closes or resets the
// connection first (a port scan, a dropped connection: nothing to serve, nothing failed). Throws
// proto::ProtocolError for a bad request (F1, F2) and for a client that has not finished its
// request within `timeout` (F11).
std::optional<proto::ClientHandshake> readClientHandshake(
    const UniqueFd& client, proto::HandshakeDecoder& decoder,
    std::chrono::milliseconds timeout = kHandshakeTimeout);

// False when the client has already gone (closed or reset): nothing failed on our side.
[[nodiscard]] bool sendReply(const UniqueFd& client, const proto::OpRepDevlist& reply);
[[nodiscard]] bool sendReply(const UniqueFd& client, const proto::OpRepImport& reply);

}  // namespace usbip::worker
