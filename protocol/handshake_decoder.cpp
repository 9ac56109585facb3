#include <string>

#include "protocol/byte_reader.h"
#include "protocol/codec.h"
#include "protocol/device_record_codec.h"
#include "protocol/fixed_string.h"
#include "protocol/hex.h"

namespace usbip::proto {

void HandshakeDecoder::feed(std::span<const uint8_t> bytes) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<ClientHandshake> HandshakeDecoder::next() {
  if (buffer_.size() < kOpHeaderSize) return std::nullopt;
  ByteReader reader(buffer_);
  uint16_t version = reader.u16();
  uint16_t code = reader.u16();
  reader.skip(4);  // status: meaningless in a request

  if (version != kVersion) {
    throw ProtocolError(Rule::F1, "version", "expected 0x0111, got " + hex(version, 4));
  }
  ClientHandshake request;
  size_t size = kOpHeaderSize;
  if (code == static_cast<uint16_t>(OpCode::kReqDevlist)) {
    request = OpReqDevlist{};
  } else if (code == static_cast<uint16_t>(OpCode::kReqImport)) {
    size += kBusidFieldSize;
    if (buffer_.size() < size) return std::nullopt;
    request = OpReqImport{readNulTerminated(reader.bytes(kBusidFieldSize), Rule::F2, "busid")};
  } else {
    throw ProtocolError(Rule::F1, "code",
                        "only OP_REQ_DEVLIST and OP_REQ_IMPORT are accepted, got " + hex(code, 4));
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
  return request;
}

std::vector<uint8_t> HandshakeDecoder::takeRemainder() {
  std::vector<uint8_t> remainder;
  remainder.swap(buffer_);
  return remainder;
}

}  // namespace usbip::proto
