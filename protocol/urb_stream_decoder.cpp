// Server side of the URB stream. Each message is framed from its header alone (validated before
// a single payload byte is awaited), so the size it waits for is bounded by the limits, never by
// what the peer wrote.
#include <algorithm>
#include <string>
#include <utility>

#include "protocol/byte_reader.h"
#include "protocol/codec.h"
#include "protocol/consumed_prefix.h"
#include "protocol/hex.h"
#include "protocol/iso_descriptor_codec.h"
#include "protocol/urb_header.h"

namespace usbip::proto {
namespace {

constexpr uint32_t kMaxEndpoint = 15;
constexpr uint8_t kRequestTypeDirIn = 0x80;
constexpr uint8_t kRequestTypeKindMask = 0x60;  // 0 = standard request
constexpr uint8_t kRequestSetAddress = 0x05;

Direction checkedDirection(uint32_t direction) {
  if (direction > static_cast<uint32_t>(Direction::kIn)) {
    throw ProtocolError(Rule::F6, "direction", "must be 0 (OUT) or 1 (IN), got " + hex(direction));
  }
  return static_cast<Direction>(direction);
}

// Rule T1: the flags the peer may choose for this kind of transfer; everything else (DMA,
// scatter-gather, buffer ownership, interrupt hints, the direction copy) is dropped.
uint32_t allowedTransferFlags(TransferType type, Direction direction) {
  uint32_t allowed = 0;
  if (type == TransferType::kIsochronous) {
    allowed |= flags::kIsoAsap;
  } else if (direction == Direction::kIn) {
    allowed |= flags::kShortNotOk;
  }
  if (type == TransferType::kBulk && direction == Direction::kOut) allowed |= flags::kZeroPacket;
  return allowed;
}

void checkControlSetup(const CmdSubmit& submit) {
  uint8_t bmRequestType = submit.setup[0];
  uint8_t bRequest = submit.setup[1];
  // The setup packet is little-endian, unlike the rest of the stream.
  uint32_t wLength = submit.setup[6] | (uint32_t{submit.setup[7]} << 8);
  if (wLength != static_cast<uint32_t>(submit.transfer_buffer_length)) {
    throw ProtocolError(Rule::C1, "setup.wLength",
                        std::to_string(wLength) + " differs from transfer_buffer_length " +
                            std::to_string(submit.transfer_buffer_length));
  }
  bool setupSaysIn = (bmRequestType & kRequestTypeDirIn) != 0;
  if (setupSaysIn != (submit.base.direction == Direction::kIn)) {
    throw ProtocolError(
        Rule::C1, "setup.bmRequestType",
        "direction bit of " + hex(bmRequestType, 2) + " contradicts the header's direction");
  }
  if ((bmRequestType & kRequestTypeKindMask) == 0 && bRequest == kRequestSetAddress) {
    throw ProtocolError(Rule::C3, "setup.bRequest", "SET_ADDRESS is handled by the client's vhci");
  }
}

void checkIsoPackets(const CmdSubmit& submit, uint32_t maxIsoBytesPerInterval) {
  auto bufferLength = static_cast<uint64_t>(submit.transfer_buffer_length);
  uint64_t total = 0;
  for (size_t i = 0; i < submit.iso.size(); ++i) {
    const IsoPacket& packet = submit.iso[i];
    std::string which = "packet " + std::to_string(i) + ": ";
    if (uint64_t{packet.offset} + packet.length > bufferLength) {
      throw ProtocolError(Rule::I3, "iso_packet.offset",
                          which + "offset " + std::to_string(packet.offset) + " + length " +
                              std::to_string(packet.length) + " exceeds transfer_buffer_length " +
                              std::to_string(bufferLength));
    }
    if (packet.length > maxIsoBytesPerInterval) {
      throw ProtocolError(Rule::I3, "iso_packet.length",
                          which + std::to_string(packet.length) +
                              " exceeds the endpoint's per-interval payload of " +
                              std::to_string(maxIsoBytesPerInterval));
    }
    total += packet.length;
  }
  if (submit.base.direction == Direction::kOut && total != bufferLength) {
    throw ProtocolError(Rule::I3, "iso_packet.length",
                        "packet lengths add up to " + std::to_string(total) +
                            ", transfer_buffer_length is " + std::to_string(bufferLength));
  }
}

}  // namespace

UrbStreamDecoder::UrbStreamDecoder(Limits limits, EndpointLookup endpoints)
    : limits_(limits), endpoints_(std::move(endpoints)) {}

void UrbStreamDecoder::feed(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    std::span<uint8_t> space = receiveBuffer(bytes.size());
    size_t count = std::min(space.size(), bytes.size());
    std::copy_n(bytes.begin(), count, space.begin());
    received(count);
    bytes = bytes.subspan(count);
  }
}

TransferBytes& UrbStreamDecoder::directPayload() {
  return std::get<CmdSubmit>(framed_->message).payload;
}

void UrbStreamDecoder::startDirectPayload() {
  // The message is incomplete, so everything held after its header is the start of its payload.
  size_t already = held() - kUrbHeaderSize;
  TransferBytes& payload = directPayload();
  payload.resize(framed_->payloadSize);
  auto from = buffer_.begin() + static_cast<std::ptrdiff_t>(start_ + kUrbHeaderSize);
  std::copy_n(from, already, payload.begin());
  end_ = start_ + kUrbHeaderSize;
  framed_->direct = true;
  framed_->directReceived = already;
}

std::span<uint8_t> UrbStreamDecoder::receiveBuffer(size_t chunk) {
  if (framed_ && !framed_->direct && framed_->payloadSize >= kDirectPayloadMinimum &&
      held() < kUrbHeaderSize + framed_->payloadSize) {
    startDirectPayload();
  }
  if (framed_ && framed_->direct && framed_->directReceived < framed_->payloadSize) {
    size_t left = framed_->payloadSize - framed_->directReceived;
    return std::span<uint8_t>(directPayload())
        .subspan(framed_->directReceived, std::min(chunk, left));
  }
  if (!framed_ && lastPayloadDirect_ && held() < kUrbHeaderSize) {
    chunk = std::min(chunk, kUrbHeaderSize - held());
  }
  dropConsumedPrefix(buffer_, start_, end_);
  if (buffer_.size() - end_ < chunk) buffer_.resize(end_ + chunk);
  return std::span<uint8_t>(buffer_).subspan(end_, chunk);
}

void UrbStreamDecoder::received(size_t count) {
  if (framed_ && framed_->direct && framed_->directReceived < framed_->payloadSize) {
    framed_->directReceived += count;
  } else {
    end_ += count;
  }
}

size_t UrbStreamDecoder::buffered() const {
  return held() + (framed_ && framed_->direct ? framed_->directReceived : 0);
}

std::optional<ClientUrbMessage> UrbStreamDecoder::next() {
  if (!framed_) {
    if (held() < kUrbHeaderSize) return std::nullopt;
    framed_ = frameHeader();
  }
  if (framed_->direct) {
    if (framed_->directReceived < framed_->payloadSize) return std::nullopt;
    if (held() < kUrbHeaderSize + framed_->descriptorsSize) return std::nullopt;
  } else if (held() < kUrbHeaderSize + framed_->payloadSize + framed_->descriptorsSize) {
    return std::nullopt;
  }
  Framed framed = std::move(*framed_);
  framed_.reset();
  return finish(std::move(framed));
}

UrbStreamDecoder::Framed UrbStreamDecoder::frameHeader() {
  ByteReader reader(std::span<const uint8_t>(buffer_).subspan(start_, kUrbHeaderSize));
  RawUrbHeader header = readUrbHeader(reader);

  if (header.command == static_cast<uint32_t>(Command::kCmdUnlink)) {
    CmdUnlink unlink;
    unlink.base = {header.seqnum, header.devid, checkedDirection(header.direction), header.ep};
    unlink.unlink_seqnum = header.words[0];
    return Framed{.message = unlink};
  }
  if (header.command != static_cast<uint32_t>(Command::kCmdSubmit)) {
    throw ProtocolError(Rule::F3, "command",
                        "only CMD_SUBMIT and CMD_UNLINK are accepted, got " + hex(header.command));
  }

  CmdSubmit submit;
  submit.base = {header.seqnum, header.devid, checkedDirection(header.direction), header.ep};
  Direction direction = submit.base.direction;
  if (header.ep > kMaxEndpoint) {
    throw ProtocolError(Rule::F7, "ep", "must be 0..15, got " + std::to_string(header.ep));
  }
  std::optional<EndpointInfo> endpoint = endpoints_(header.ep, direction);
  if (!endpoint) {
    throw ProtocolError(Rule::F7, "ep",
                        "endpoint " + std::to_string(header.ep) +
                            (direction == Direction::kIn ? " IN" : " OUT") +
                            " does not exist in the current configuration");
  }

  submit.transfer_buffer_length = static_cast<int32_t>(header.words[1]);
  if (submit.transfer_buffer_length < 0) {
    throw ProtocolError(Rule::F8, "transfer_buffer_length",
                        "negative: " + std::to_string(submit.transfer_buffer_length));
  }
  if (static_cast<uint32_t>(submit.transfer_buffer_length) > limits_.maxTransferLength) {
    throw ProtocolError(Rule::F8, "transfer_buffer_length",
                        std::to_string(submit.transfer_buffer_length) + " exceeds the limit of " +
                            std::to_string(limits_.maxTransferLength));
  }
  submit.transfer_flags = header.words[0] & allowedTransferFlags(endpoint->type, direction);
  submit.start_frame = static_cast<int32_t>(header.words[2]);
  submit.interval = static_cast<int32_t>(header.words[4]);
  submit.setup = header.setup;

  size_t payloadSize =
      direction == Direction::kOut ? static_cast<size_t>(submit.transfer_buffer_length) : 0;
  size_t descriptorsSize = 0;
  if (endpoint->type == TransferType::kIsochronous) {
    auto packets = static_cast<int32_t>(header.words[3]);
    if (packets < 1 || static_cast<uint32_t>(packets) > limits_.maxIsoPackets) {
      throw ProtocolError(Rule::I2, "number_of_packets",
                          "must be 1.." + std::to_string(limits_.maxIsoPackets) + " for an " +
                              "isochronous endpoint, got " + std::to_string(packets));
    }
    submit.number_of_packets = packets;
    descriptorsSize = size_t{static_cast<uint32_t>(packets)} * kIsoPacketSize;
  } else {
    submit.number_of_packets = 0;  // rule I1: whatever the peer wrote means nothing here
  }
  if (endpoint->type == TransferType::kControl) checkControlSetup(submit);

  return Framed{.message = std::move(submit),
                .type = endpoint->type,
                .maxIsoBytesPerInterval = endpoint->maxIsoBytesPerInterval,
                .payloadSize = payloadSize,
                .descriptorsSize = descriptorsSize};
}

ClientUrbMessage UrbStreamDecoder::finish(Framed framed) {
  size_t inBuffer = (framed.direct ? 0 : framed.payloadSize) + framed.descriptorsSize;
  ByteReader reader(std::span<const uint8_t>(buffer_).subspan(start_ + kUrbHeaderSize, inBuffer));
  if (auto* submit = std::get_if<CmdSubmit>(&framed.message)) {
    if (submit->base.direction == Direction::kOut && !framed.direct) {
      auto payload = reader.bytes(framed.payloadSize);
      submit->payload.assign(payload.begin(), payload.end());
    }
    if (framed.type == TransferType::kIsochronous) {
      submit->iso = readIsoPackets(reader, static_cast<size_t>(submit->number_of_packets));
      checkIsoPackets(*submit, framed.maxIsoBytesPerInterval);
    }
  }
  start_ += kUrbHeaderSize + inBuffer;
  lastPayloadDirect_ = framed.direct;
  return std::move(framed.message);
}

}  // namespace usbip::proto
