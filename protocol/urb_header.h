// The 48-byte struct usbip_header as raw words: the 20-byte usbip_header_basic, then the 28-byte
// union whose members (cmd_submit, ret_submit, cmd_unlink, ret_unlink) all start with 32-bit
// words; cmd_submit ends with the 8-byte setup packet, the others pad to the same size.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "protocol/byte_reader.h"
#include "protocol/byte_writer.h"
#include "protocol/codec.h"

namespace usbip::proto {

struct RawUrbHeader {
  uint32_t command = 0;
  uint32_t seqnum = 0;
  uint32_t devid = 0;
  uint32_t direction = 0;
  uint32_t ep = 0;
  std::array<uint32_t, 5> words{};  // the union's first five 32-bit fields (unused ones are 0)
  std::array<uint8_t, 8> setup{};   // cmd_submit's setup packet, padding otherwise
};

inline void writeUrbHeader(ByteWriter& out, const RawUrbHeader& header) {
  out.reserve(kUrbHeaderSize);
  out.u32(header.command);
  out.u32(header.seqnum);
  out.u32(header.devid);
  out.u32(header.direction);
  out.u32(header.ep);
  for (uint32_t word : header.words)
    out.u32(word);
  out.bytes(header.setup);
}

inline RawUrbHeader readUrbHeader(ByteReader& in) {
  RawUrbHeader header;
  header.command = in.u32();
  header.seqnum = in.u32();
  header.devid = in.u32();
  header.direction = in.u32();
  header.ep = in.u32();
  for (uint32_t& word : header.words)
    word = in.u32();
  auto setup = in.bytes(header.setup.size());
  std::copy(setup.begin(), setup.end(), header.setup.begin());
  return header;
}

}  // namespace usbip::proto
