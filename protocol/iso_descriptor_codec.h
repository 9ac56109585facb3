// struct usbip_iso_packet_descriptor: offset, length, actual_length, status (16 bytes).
#pragma once

#include <vector>

#include "protocol/byte_reader.h"
#include "protocol/byte_writer.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::proto {

inline void writeIsoPackets(ByteWriter& out, const std::vector<IsoPacket>& packets) {
  out.reserve(packets.size() * kIsoPacketSize);
  for (const IsoPacket& packet : packets) {
    out.u32(packet.offset);
    out.u32(packet.length);
    out.u32(packet.actual_length);
    out.s32(packet.status);
  }
}

// `count` was validated against the limits and its bytes are in `in`.
inline std::vector<IsoPacket> readIsoPackets(ByteReader& in, size_t count) {
  std::vector<IsoPacket> packets(count);
  for (IsoPacket& packet : packets) {
    packet.offset = in.u32();
    packet.length = in.u32();
    packet.actual_length = in.u32();
    packet.status = in.s32();
  }
  return packets;
}

}  // namespace usbip::proto
