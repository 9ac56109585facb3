#include "worker/iso_split.h"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

namespace usbip::worker {

std::vector<Transfer> splitIsoSubmit(const proto::CmdSubmit& submit, uint8_t endpoint,
                                     size_t maxPacketsPerTransfer) {
  if (maxPacketsPerTransfer == 0) throw std::invalid_argument("maxPacketsPerTransfer is 0");
  bool out = submit.base.direction == proto::Direction::kOut;
  std::vector<Transfer> pieces;
  for (size_t first = 0; first < submit.iso.size(); first += maxPacketsPerTransfer) {
    size_t count = std::min(maxPacketsPerTransfer, submit.iso.size() - first);
    Transfer piece;
    piece.endpoint = endpoint;
    piece.type = proto::TransferType::kIsochronous;
    piece.interval = submit.interval;
    uint32_t position = 0;
    for (size_t i = first; i < first + count; ++i) {
      const proto::IsoPacket& packet = submit.iso[i];
      if (out) {
        if (uint64_t{packet.offset} + packet.length > submit.payload.size()) {
          throw std::invalid_argument("iso packet " + std::to_string(i) +
                                      " lies outside the OUT payload");
        }
        auto begin = submit.payload.begin() + static_cast<std::ptrdiff_t>(packet.offset);
        piece.data.insert(piece.data.end(), begin, begin + packet.length);
      }
      piece.iso.push_back(proto::IsoPacket{position, packet.length, 0, 0});
      position += packet.length;
    }
    if (!out) piece.data.resize(position);
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

proto::RetSubmit joinIsoResults(std::span<const proto::IsoPacket> requested,
                                proto::Direction direction, std::span<const TransferResult> pieces,
                                size_t maxPacketsPerTransfer) {
  proto::RetSubmit reply;
  reply.number_of_packets = static_cast<int32_t>(requested.size());
  reply.iso.assign(requested.begin(), requested.end());
  uint64_t total = 0;
  for (size_t p = 0; p < pieces.size(); ++p) {
    const TransferResult& piece = pieces[p];
    size_t first = p * maxPacketsPerTransfer;
    if (first >= requested.size()) break;
    size_t count = std::min(maxPacketsPerTransfer, requested.size() - first);
    if (p == 0) reply.start_frame = piece.startFrame;
    if (reply.status == 0) reply.status = piece.status;
    reply.error_count += piece.errorCount;
    bool consistent = piece.iso.size() == count;
    uint64_t position = 0;  // where the packet sits in the piece's buffer
    for (size_t j = 0; j < count; ++j) {
      proto::IsoPacket& packet = reply.iso[first + j];
      uint32_t length = packet.length;
      if (!consistent) {
        packet.actual_length = 0;
        packet.status = -EPROTO;
        position += length;
        continue;
      }
      uint32_t actual = std::min(piece.iso[j].actual_length, length);
      packet.status = piece.iso[j].status;
      if (direction == proto::Direction::kIn) {
        if (position + actual > piece.data.size()) {
          actual = 0;
          packet.status = -EPROTO;
        } else {
          auto begin = piece.data.begin() + static_cast<std::ptrdiff_t>(position);
          reply.payload.insert(reply.payload.end(), begin, begin + actual);
        }
      }
      packet.actual_length = actual;
      total += actual;
      position += length;
    }
    if (!consistent) {
      reply.error_count += static_cast<int32_t>(count);
      if (reply.status == 0) reply.status = -EPROTO;
    }
  }
  // Pieces missing altogether (never expected) leave their packets failed, not silently empty.
  size_t covered = pieces.size() * maxPacketsPerTransfer;
  for (size_t i = covered; i < requested.size(); ++i) {
    reply.iso[i].actual_length = 0;
    reply.iso[i].status = -EPROTO;
    ++reply.error_count;
    if (reply.status == 0) reply.status = -EPROTO;
  }
  // Every actual_length is at most its packet's length, and the engine only accepts requests
  // whose lengths add up to at most transfer_buffer_length, so this fits in 31 bits.
  reply.actual_length = static_cast<int32_t>(std::min<uint64_t>(total, INT32_MAX));
  return reply;
}

}  // namespace usbip::worker
