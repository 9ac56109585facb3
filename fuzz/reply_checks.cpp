#include "fuzz/reply_checks.h"

#include <string>
#include <vector>

#include "fuzz/check.h"

namespace usbip::fuzz {
namespace {

using proto::Direction;

std::vector<uint8_t> encoded(const auto& variant) {
  std::vector<uint8_t> bytes;
  std::visit([&](const auto& message) { proto::encode(message, bytes); }, variant);
  return bytes;
}

bool fitsField(const std::string& text, size_t field) {
  return text.size() < field && text.find('\0') == std::string::npos;
}

void checkDevice(const proto::DeviceRecord& device, const proto::Limits& limits) {
  FUZZ_REQUIRE(fitsField(device.path, 256));  // R1
  FUZZ_REQUIRE(fitsField(device.busid, 32));  // R1
  FUZZ_REQUIRE(device.speed >= proto::Speed::kLow && device.speed <= proto::Speed::kSuperPlus);
  FUZZ_REQUIRE(device.busnum <= 65535);  // bus 0 is the simulated devices'
  FUZZ_REQUIRE(device.devnum >= 1 && device.devnum <= 127);
  FUZZ_REQUIRE(device.bNumInterfaces <= limits.maxInterfaces);
}

void checkSubmitReply(const proto::RetSubmit& reply, const PendingTable& table,
                      const proto::Limits& limits) {
  auto pending = table.find(reply.base.seqnum);
  FUZZ_REQUIRE(pending.has_value());  // F3
  FUZZ_REQUIRE(reply.actual_length >= 0);
  FUZZ_REQUIRE(reply.actual_length <= pending->transfer_buffer_length);  // F9
  auto actual = static_cast<size_t>(reply.actual_length);
  if (pending->direction == Direction::kIn) {
    FUZZ_REQUIRE(reply.payload.size() == actual);
  } else {
    FUZZ_REQUIRE(reply.payload.empty());  // F9
  }
  if (pending->isochronous) {
    FUZZ_REQUIRE(reply.number_of_packets == pending->number_of_packets);  // I4
    FUZZ_REQUIRE(reply.number_of_packets >= 1);                           // I2
    FUZZ_REQUIRE(static_cast<uint32_t>(reply.number_of_packets) <= limits.maxIsoPackets);
    FUZZ_REQUIRE(reply.iso.size() == static_cast<size_t>(reply.number_of_packets));
    uint64_t total = 0;
    for (const proto::IsoPacket& packet : reply.iso) {
      FUZZ_REQUIRE(uint64_t{packet.offset} + packet.length <=
                   static_cast<uint64_t>(pending->transfer_buffer_length));  // I4
      FUZZ_REQUIRE(packet.actual_length <= packet.length);                   // I4
      total += packet.actual_length;
    }
    FUZZ_REQUIRE(total == actual);  // I4
  } else {
    FUZZ_REQUIRE(reply.number_of_packets == 0);  // I1
    FUZZ_REQUIRE(reply.iso.empty());
  }
}

// The encoders write devid, direction and ep as 0, as the kernel's stub does.
proto::ServerUrbMessage asEncoded(proto::ServerUrbMessage reply) {
  std::visit(
      [](auto& message) {
        message.base = {message.base.seqnum, 0, Direction::kOut, 0};
      },
      reply);
  return reply;
}

}  // namespace

void checkDecodedReply(const HandshakeReply& reply, proto::OpCode expected,
                       const proto::Limits& limits) {
  if (const auto* devlist = std::get_if<proto::OpRepDevlist>(&reply)) {
    FUZZ_REQUIRE(expected == proto::OpCode::kRepDevlist);
    FUZZ_REQUIRE(devlist->devices.size() <= limits.maxDevlistDevices);  // R1
    if (devlist->status != 0) FUZZ_REQUIRE(devlist->devices.empty());
    for (const proto::ExportedDevice& exported : devlist->devices) {
      checkDevice(exported.device, limits);
      FUZZ_REQUIRE(exported.interfaces.size() == exported.device.bNumInterfaces);
    }
  } else {
    const auto& import = std::get<proto::OpRepImport>(reply);
    FUZZ_REQUIRE(expected == proto::OpCode::kRepImport);
    if (import.status == 0) checkDevice(import.device, limits);
  }
  std::vector<uint8_t> bytes = encoded(reply);
  FUZZ_REQUIRE(bytes.size() == encodedSize(reply));
  proto::HandshakeReplyDecoder again(expected, limits);
  again.feed(bytes);
  auto decoded = again.next();
  FUZZ_REQUIRE(decoded.has_value() && *decoded == reply);
  FUZZ_REQUIRE(again.takeRemainder().empty());
}

void checkDecodedReply(const proto::ServerUrbMessage& reply, const PendingTable& pending,
                       const proto::Limits& limits) {
  if (const auto* submit = std::get_if<proto::RetSubmit>(&reply)) {
    checkSubmitReply(*submit, pending, limits);
  }
  std::visit(
      [](const auto& message) {
        FUZZ_REQUIRE(message.base.direction == Direction::kOut ||
                     message.base.direction == Direction::kIn);  // F6
      },
      reply);
  std::vector<uint8_t> bytes = encoded(reply);
  FUZZ_REQUIRE(bytes.size() == encodedSize(reply));
  proto::ServerUrbDecoder again(limits, pending.lookup());
  again.feed(bytes);
  auto decoded = again.next();
  FUZZ_REQUIRE(decoded.has_value() && *decoded == asEncoded(reply));
  FUZZ_REQUIRE(again.buffered() == 0);
}

size_t encodedSize(const HandshakeReply& reply) {
  size_t size = proto::kOpHeaderSize;
  if (const auto* devlist = std::get_if<proto::OpRepDevlist>(&reply)) {
    if (devlist->status != 0) return size;
    size += 4;
    for (const proto::ExportedDevice& exported : devlist->devices) {
      size += proto::kDeviceRecordSize + exported.interfaces.size() * proto::kInterfaceRecordSize;
    }
  } else if (std::get<proto::OpRepImport>(reply).status == 0) {
    size += proto::kDeviceRecordSize;
  }
  return size;
}

size_t encodedSize(const proto::ServerUrbMessage& reply) {
  size_t size = proto::kUrbHeaderSize;
  if (const auto* submit = std::get_if<proto::RetSubmit>(&reply)) {
    size += submit->payload.size() + submit->iso.size() * proto::kIsoPacketSize;
  }
  return size;
}

}  // namespace usbip::fuzz
