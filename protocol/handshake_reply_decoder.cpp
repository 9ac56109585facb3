// Client side of the handshake: a server's reply is as untrusted as a client's request (rule R1).
// Its size depends on counts inside it, so each count is checked against the limits before the
// bytes it announces are awaited.
#include <string>
#include <utility>

#include "protocol/byte_reader.h"
#include "protocol/codec.h"
#include "protocol/device_record_codec.h"
#include "protocol/hex.h"

namespace usbip::proto {
namespace {

constexpr size_t kDeviceCountSize = 4;

}  // namespace

HandshakeReplyDecoder::HandshakeReplyDecoder(OpCode expected, Limits limits)
    : expected_(expected), limits_(limits) {
  if (expected != OpCode::kRepDevlist && expected != OpCode::kRepImport) {
    throw std::invalid_argument("HandshakeReplyDecoder: expected OP_REP_DEVLIST or OP_REP_IMPORT");
  }
}

void HandshakeReplyDecoder::feed(std::span<const uint8_t> bytes) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<std::variant<OpRepDevlist, OpRepImport>> HandshakeReplyDecoder::next() {
  if (expected_ == OpCode::kRepImport) {
    if (auto reply = nextImport()) return *std::move(reply);
  } else {
    if (auto reply = nextDevlist()) return *std::move(reply);
  }
  return std::nullopt;
}

std::vector<uint8_t> HandshakeReplyDecoder::takeRemainder() {
  std::vector<uint8_t> remainder(buffer_.begin() + static_cast<std::ptrdiff_t>(parsed_),
                                 buffer_.end());
  buffer_.clear();
  devlist_.reset();
  parsed_ = 0;
  return remainder;
}

void HandshakeReplyDecoder::consume(size_t count) {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
}

namespace {

// Reads the op header, checking version and code; returns the status.
uint32_t readReplyHeader(ByteReader& reader, OpCode expected) {
  uint16_t version = reader.u16();
  uint16_t code = reader.u16();
  uint32_t status = reader.u32();
  if (version != kVersion) {
    throw ProtocolError(Rule::R1, "version", "expected 0x0111, got " + hex(version, 4));
  }
  if (code != static_cast<uint16_t>(expected)) {
    throw ProtocolError(
        Rule::R1, "code",
        "expected " + hex(static_cast<uint16_t>(expected), 4) + ", got " + hex(code, 4));
  }
  return status;
}

}  // namespace

std::optional<OpRepImport> HandshakeReplyDecoder::nextImport() {
  if (buffer_.size() < kOpHeaderSize) return std::nullopt;
  ByteReader reader(buffer_);
  OpRepImport reply;
  reply.status = readReplyHeader(reader, OpCode::kRepImport);
  size_t size = kOpHeaderSize;
  if (reply.status == 0) {
    size += kDeviceRecordSize;
    if (buffer_.size() < size) return std::nullopt;
    reply.device = readDeviceRecord(reader, limits_);
  }
  consume(size);
  return reply;
}

std::optional<OpRepDevlist> HandshakeReplyDecoder::nextDevlist() {
  if (!devlist_) {
    if (buffer_.size() < kOpHeaderSize) return std::nullopt;
    ByteReader reader(buffer_);
    OpRepDevlist reply;
    reply.status = readReplyHeader(reader, OpCode::kRepDevlist);
    if (reply.status != 0) {  // a failed reply is only the header
      consume(kOpHeaderSize);
      return reply;
    }
    if (buffer_.size() < kOpHeaderSize + kDeviceCountSize) return std::nullopt;
    expectedDevices_ = reader.u32();
    if (expectedDevices_ > limits_.maxDevlistDevices) {
      throw ProtocolError(Rule::R1, "ndev",
                          std::to_string(expectedDevices_) + " devices exceed the limit of " +
                              std::to_string(limits_.maxDevlistDevices));
    }
    devlist_ = std::move(reply);
    parsed_ = kOpHeaderSize + kDeviceCountSize;
  }

  while (devlist_->devices.size() < expectedDevices_) {
    if (buffer_.size() - parsed_ < kDeviceRecordSize) return std::nullopt;
    // Peek at the interface count (the record's last byte) to know the full size; a count over
    // the limit is rejected by readDeviceRecord (R1) rather than awaited.
    uint8_t interfaces = buffer_[parsed_ + kNumInterfacesOffset];
    size_t size = kDeviceRecordSize + size_t{interfaces} * kInterfaceRecordSize;
    if (interfaces <= limits_.maxInterfaces && buffer_.size() - parsed_ < size) {
      return std::nullopt;
    }
    ByteReader reader(std::span<const uint8_t>(buffer_).subspan(parsed_));
    ExportedDevice exported;
    exported.device = readDeviceRecord(reader, limits_);
    for (uint8_t i = 0; i < exported.device.bNumInterfaces; ++i) {
      exported.interfaces.push_back(readInterfaceRecord(reader));
    }
    devlist_->devices.push_back(std::move(exported));
    parsed_ += size;
  }

  consume(parsed_);
  parsed_ = 0;
  OpRepDevlist reply = std::move(*devlist_);
  devlist_.reset();
  return reply;
}

}  // namespace usbip::proto
