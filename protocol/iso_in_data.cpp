// The packed layout of isochronous IN data (kernel stub_tx.c sends each packet's actual_length
// bytes back to back; usbip_pad_iso on the receiving side moves them to their offsets).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "protocol/codec.h"

namespace usbip::proto {
namespace {

void requireFits(const IsoPacket& packet, size_t bufferLength, size_t index) {
  if (packet.actual_length > packet.length ||
      uint64_t{packet.offset} + packet.length > uint64_t{bufferLength}) {
    throw std::invalid_argument("iso packet " + std::to_string(index) + " (offset " +
                                std::to_string(packet.offset) + ", length " +
                                std::to_string(packet.length) + ", actual_length " +
                                std::to_string(packet.actual_length) +
                                ") does not fit a buffer of " + std::to_string(bufferLength));
  }
}

}  // namespace

TransferBytes packIsoInData(std::span<const uint8_t> transferBuffer,
                            std::span<const IsoPacket> packets) {
  TransferBytes packed;
  for (size_t i = 0; i < packets.size(); ++i) {
    requireFits(packets[i], transferBuffer.size(), i);
    auto data = transferBuffer.subspan(packets[i].offset, packets[i].actual_length);
    packed.insert(packed.end(), data.begin(), data.end());
  }
  return packed;
}

TransferBytes unpackIsoInData(std::span<const uint8_t> packed, std::span<const IsoPacket> packets,
                              size_t transferBufferLength) {
  TransferBytes buffer(transferBufferLength, 0);  // the gaps between packets stay zero
  size_t position = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    requireFits(packets[i], transferBufferLength, i);
    if (packets[i].actual_length > packed.size() - position) {
      throw std::invalid_argument("packed iso data ends inside packet " + std::to_string(i));
    }
    auto data = packed.subspan(position, packets[i].actual_length);
    std::copy(data.begin(), data.end(), buffer.begin() + packets[i].offset);
    position += data.size();
  }
  if (position != packed.size()) {
    throw std::invalid_argument("packed iso data has " + std::to_string(packed.size() - position) +
                                " bytes beyond its packets");
  }
  return buffer;
}

}  // namespace usbip::proto
