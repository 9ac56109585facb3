// What every message the server-side decoders hand out must satisfy, restated here apart from
// the decoders' own code (a second opinion on the input rules), and the round trip: encoding a
// decoded message and decoding it again gives the same message, from exactly the encoded bytes.
#pragma once

#include "fuzz/endpoint_table.h"
#include "protocol/codec.h"

namespace usbip::fuzz {

void checkDecodedHandshake(const proto::ClientHandshake& request);
void checkDecodedRequest(const proto::ClientUrbMessage& request, const EndpointTable& endpoints,
                         const proto::Limits& limits);

// Bytes the message takes on the wire (header, OUT payload, iso descriptors).
size_t encodedSize(const proto::ClientHandshake& request);
size_t encodedSize(const proto::ClientUrbMessage& request);

}  // namespace usbip::fuzz
