// What every message the client-side decoders hand out must satisfy, restated apart from the
// decoders' code (rules R1, F3, F6, F9, I1, I2, I4), and the encode/decode round trip.
#pragma once

#include <variant>

#include "fuzz/pending_table.h"
#include "protocol/codec.h"

namespace usbip::fuzz {

using HandshakeReply = std::variant<proto::OpRepDevlist, proto::OpRepImport>;

void checkDecodedReply(const HandshakeReply& reply, proto::OpCode expected,
                       const proto::Limits& limits);
void checkDecodedReply(const proto::ServerUrbMessage& reply, const PendingTable& pending,
                       const proto::Limits& limits);

size_t encodedSize(const HandshakeReply& reply);
size_t encodedSize(const proto::ServerUrbMessage& reply);

}  // namespace usbip::fuzz
