#include "fuzz/request_checks.h"

#include <variant>
#include <vector>

#include "fuzz/check.h"

namespace usbip::fuzz {
namespace {

using proto::Direction;
using proto::TransferType;

std::vector<uint8_t> encoded(const auto& variant) {
  std::vector<uint8_t> bytes;
  std::visit([&](const auto& message) { proto::encode(message, bytes); }, variant);
  return bytes;
}

uint32_t allowedFlags(TransferType type, Direction direction) {
  uint32_t allowed = 0;
  if (type == TransferType::kIsochronous) allowed |= proto::flags::kIsoAsap;
  if (type != TransferType::kIsochronous && direction == Direction::kIn) {
    allowed |= proto::flags::kShortNotOk;
  }
  if (type == TransferType::kBulk && direction == Direction::kOut) {
    allowed |= proto::flags::kZeroPacket;
  }
  return allowed;
}

void checkSubmit(const proto::CmdSubmit& submit, const EndpointTable& endpoints,
                 const proto::Limits& limits) {
  Direction direction = submit.base.direction;
  FUZZ_REQUIRE(direction == Direction::kOut || direction == Direction::kIn);  // F6
  FUZZ_REQUIRE(submit.base.ep <= 15);                                         // F7
  auto endpoint = endpoints.find(submit.base.ep, direction);
  FUZZ_REQUIRE(endpoint.has_value());  // F7
  FUZZ_REQUIRE(submit.transfer_buffer_length >= 0);
  auto length = static_cast<uint32_t>(submit.transfer_buffer_length);
  FUZZ_REQUIRE(length <= limits.maxTransferLength);  // F8
  if (direction == Direction::kOut) {
    FUZZ_REQUIRE(submit.payload.size() == length);  // F9
  } else {
    FUZZ_REQUIRE(submit.payload.empty());  // F9
  }
  FUZZ_REQUIRE((submit.transfer_flags & ~allowedFlags(endpoint->type, direction)) == 0);  // T1

  if (endpoint->type == TransferType::kIsochronous) {
    FUZZ_REQUIRE(submit.number_of_packets >= 1);  // I2
    FUZZ_REQUIRE(static_cast<uint32_t>(submit.number_of_packets) <= limits.maxIsoPackets);
    FUZZ_REQUIRE(submit.iso.size() == static_cast<size_t>(submit.number_of_packets));
    uint64_t total = 0;
    for (const proto::IsoPacket& packet : submit.iso) {
      FUZZ_REQUIRE(uint64_t{packet.offset} + packet.length <= length);  // I3
      FUZZ_REQUIRE(packet.length <= endpoint->maxIsoBytesPerInterval);  // I3
      total += packet.length;
    }
    if (direction == Direction::kOut) FUZZ_REQUIRE(total == length);  // I3
  } else {
    FUZZ_REQUIRE(submit.number_of_packets == 0);  // I1
    FUZZ_REQUIRE(submit.iso.empty());
  }

  if (endpoint->type == TransferType::kControl) {
    uint8_t requestType = submit.setup[0];
    uint32_t wLength = submit.setup[6] | (uint32_t{submit.setup[7]} << 8);
    FUZZ_REQUIRE(wLength == length);                                             // C1
    FUZZ_REQUIRE(((requestType & 0x80) != 0) == (direction == Direction::kIn));  // C1
    FUZZ_REQUIRE(!((requestType & 0x60) == 0 && submit.setup[1] == 0x05));       // C3
  }
}

}  // namespace

void checkDecodedHandshake(const proto::ClientHandshake& request) {
  if (const auto* import = std::get_if<proto::OpReqImport>(&request)) {
    FUZZ_REQUIRE(import->busid.size() < 32);                      // F2
    FUZZ_REQUIRE(import->busid.find('\0') == std::string::npos);  // F2
  }
  std::vector<uint8_t> bytes = encoded(request);
  proto::HandshakeDecoder again;
  again.feed(bytes);
  auto decoded = again.next();
  FUZZ_REQUIRE(decoded.has_value() && *decoded == request);
  FUZZ_REQUIRE(again.takeRemainder().empty());
}

void checkDecodedRequest(const proto::ClientUrbMessage& request, const EndpointTable& endpoints,
                         const proto::Limits& limits) {
  if (const auto* submit = std::get_if<proto::CmdSubmit>(&request)) {
    checkSubmit(*submit, endpoints, limits);
  } else {
    const auto& unlink = std::get<proto::CmdUnlink>(request);
    FUZZ_REQUIRE(unlink.base.direction == Direction::kOut ||
                 unlink.base.direction == Direction::kIn);  // F6
  }
  std::vector<uint8_t> bytes = encoded(request);
  FUZZ_REQUIRE(bytes.size() == encodedSize(request));
  proto::UrbStreamDecoder again(limits, endpoints.lookup());
  again.feed(bytes);
  auto decoded = again.next();
  FUZZ_REQUIRE(decoded.has_value() && *decoded == request);
  FUZZ_REQUIRE(again.buffered() == 0);
}

size_t encodedSize(const proto::ClientHandshake& request) {
  return std::holds_alternative<proto::OpReqImport>(request) ? proto::kOpHeaderSize + 32
                                                             : proto::kOpHeaderSize;
}

size_t encodedSize(const proto::ClientUrbMessage& request) {
  size_t size = proto::kUrbHeaderSize;
  if (const auto* submit = std::get_if<proto::CmdSubmit>(&request)) {
    size += submit->payload.size() + submit->iso.size() * proto::kIsoPacketSize;
  }
  return size;
}

}  // namespace usbip::fuzz
