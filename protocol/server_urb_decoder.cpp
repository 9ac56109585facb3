// Client side of the URB stream. A reply's own direction and ep are zero on the wire, so its
// framing comes from what the client remembers of the request (PendingLookup).
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

// Rule I4: every descriptor fits the request's buffer, and together they account for exactly
// the reply's actual_length.
void checkIsoReply(const RetSubmit& reply, const PendingSubmit& pending) {
  auto bufferLength = static_cast<uint64_t>(pending.transfer_buffer_length);
  uint64_t total = 0;
  for (size_t i = 0; i < reply.iso.size(); ++i) {
    const IsoPacket& packet = reply.iso[i];
    std::string which = "packet " + std::to_string(i) + ": ";
    if (uint64_t{packet.offset} + packet.length > bufferLength) {
      throw ProtocolError(Rule::I4, "iso_packet.offset",
                          which + "offset " + std::to_string(packet.offset) + " + length " +
                              std::to_string(packet.length) + " exceeds the request's buffer of " +
                              std::to_string(bufferLength));
    }
    if (packet.actual_length > packet.length) {
      throw ProtocolError(Rule::I4, "iso_packet.actual_length",
                          which + std::to_string(packet.actual_length) + " exceeds length " +
                              std::to_string(packet.length));
    }
    total += packet.actual_length;
  }
  if (total != static_cast<uint64_t>(reply.actual_length)) {
    throw ProtocolError(Rule::I4, "actual_length",
                        "packets' actual lengths add up to " + std::to_string(total) +
                            ", the header says " + std::to_string(reply.actual_length));
  }
}

}  // namespace

ServerUrbDecoder::ServerUrbDecoder(Limits limits, PendingLookup pending)
    : limits_(limits), pending_(std::move(pending)) {}

void ServerUrbDecoder::feed(std::span<const uint8_t> bytes) {
  dropConsumedPrefix(buffer_, start_);
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

size_t ServerUrbDecoder::buffered() const {
  return buffer_.size() - start_;
}

std::optional<ServerUrbMessage> ServerUrbDecoder::next() {
  if (!framed_) {
    if (buffered() < kUrbHeaderSize) return std::nullopt;
    framed_ = frameHeader();
  }
  if (buffered() < framed_->totalSize) return std::nullopt;
  Framed framed = std::move(*framed_);
  framed_.reset();
  return finish(std::move(framed));
}

ServerUrbDecoder::Framed ServerUrbDecoder::frameHeader() {
  ByteReader reader(std::span<const uint8_t>(buffer_).subspan(start_, kUrbHeaderSize));
  RawUrbHeader header = readUrbHeader(reader);
  // Replies carry direction 0 or 1 like requests; anything else is as malformed (F6).
  if (header.direction > static_cast<uint32_t>(Direction::kIn)) {
    throw ProtocolError(Rule::F6, "direction",
                        "must be 0 (OUT) or 1 (IN), got " + hex(header.direction));
  }
  BasicHeader base{header.seqnum, header.devid, static_cast<Direction>(header.direction),
                   header.ep};

  if (header.command == static_cast<uint32_t>(Command::kRetUnlink)) {
    RetUnlink reply;
    reply.base = base;
    reply.status = static_cast<int32_t>(header.words[0]);
    return Framed{reply, PendingSubmit{}, kUrbHeaderSize};
  }
  if (header.command != static_cast<uint32_t>(Command::kRetSubmit)) {
    throw ProtocolError(Rule::F3, "command",
                        "only RET_SUBMIT and RET_UNLINK are accepted, got " + hex(header.command));
  }
  std::optional<PendingSubmit> pending = pending_(header.seqnum);
  if (!pending) {
    throw ProtocolError(
        Rule::F3, "seqnum",
        "RET_SUBMIT for " + std::to_string(header.seqnum) + ", which names no pending CMD_SUBMIT");
  }

  RetSubmit reply;
  reply.base = base;
  reply.status = static_cast<int32_t>(header.words[0]);
  reply.actual_length = static_cast<int32_t>(header.words[1]);
  reply.start_frame = static_cast<int32_t>(header.words[2]);
  reply.error_count = static_cast<int32_t>(header.words[4]);
  if (reply.actual_length < 0 || reply.actual_length > pending->transfer_buffer_length) {
    throw ProtocolError(Rule::F9, "actual_length",
                        std::to_string(reply.actual_length) + " outside 0.." +
                            std::to_string(pending->transfer_buffer_length) +
                            ", the request's transfer_buffer_length");
  }

  uint64_t totalSize = kUrbHeaderSize;
  if (pending->direction == Direction::kIn) totalSize += static_cast<uint64_t>(reply.actual_length);
  if (pending->isochronous) {
    auto packets = static_cast<int32_t>(header.words[3]);
    if (packets != pending->number_of_packets) {
      throw ProtocolError(Rule::I4, "number_of_packets",
                          std::to_string(packets) + " descriptors announced, the request had " +
                              std::to_string(pending->number_of_packets));
    }
    if (packets < 1 || static_cast<uint32_t>(packets) > limits_.maxIsoPackets) {
      throw ProtocolError(Rule::I2, "number_of_packets",
                          "must be 1.." + std::to_string(limits_.maxIsoPackets) + ", got " +
                              std::to_string(packets));
    }
    reply.number_of_packets = packets;
    totalSize += uint64_t{static_cast<uint32_t>(packets)} * kIsoPacketSize;
  } else {
    reply.number_of_packets = 0;  // rule I1
  }
  return Framed{std::move(reply), *pending, static_cast<size_t>(totalSize)};
}

ServerUrbMessage ServerUrbDecoder::finish(Framed framed) {
  ByteReader reader(std::span<const uint8_t>(buffer_).subspan(start_ + kUrbHeaderSize,
                                                              framed.totalSize - kUrbHeaderSize));
  if (auto* reply = std::get_if<RetSubmit>(&framed.message)) {
    if (framed.pending.direction == Direction::kIn) {
      auto payload = reader.bytes(static_cast<size_t>(reply->actual_length));
      reply->payload.assign(payload.begin(), payload.end());
    }
    if (framed.pending.isochronous) {
      reply->iso = readIsoPackets(reader, static_cast<size_t>(reply->number_of_packets));
      checkIsoReply(*reply, framed.pending);
    }
  }
  start_ += framed.totalSize;
  return std::move(framed.message);
}

}  // namespace usbip::proto
