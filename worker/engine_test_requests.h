// Test-only: the requests the engine's tests send, built as a client would build them.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "protocol/messages.h"
#include "worker/test_device.h"

namespace usbip::worker::testing {

using proto::Direction;

inline std::array<uint8_t, 8> setupBytes(uint8_t requestType, uint8_t request, uint16_t value,
                                         uint16_t index, uint16_t length) {
  return {requestType,
          request,
          static_cast<uint8_t>(value & 0xff),
          static_cast<uint8_t>(value >> 8),
          static_cast<uint8_t>(index & 0xff),
          static_cast<uint8_t>(index >> 8),
          static_cast<uint8_t>(length & 0xff),
          static_cast<uint8_t>(length >> 8)};
}

inline proto::CmdSubmit submit(uint32_t seqnum, uint32_t ep, Direction direction, int32_t length,
                               std::vector<uint8_t> payload = {}, uint32_t devid = kTestDevid) {
  proto::CmdSubmit cmd;
  cmd.base = {seqnum, devid, direction, ep};
  cmd.transfer_buffer_length = length;
  cmd.payload.assign(payload.begin(), payload.end());
  return cmd;
}

inline proto::CmdSubmit control(uint32_t seqnum, std::array<uint8_t, 8> setup,
                                std::vector<uint8_t> out = {}, uint32_t devid = kTestDevid) {
  bool in = (setup[0] & 0x80) != 0;
  int32_t length = setup[6] | (setup[7] << 8);
  proto::CmdSubmit cmd =
      submit(seqnum, 0, in ? Direction::kIn : Direction::kOut, length, std::move(out), devid);
  cmd.setup = setup;
  return cmd;
}

// Packets back to back; OUT data is byte i = i mod 256.
inline proto::CmdSubmit iso(uint32_t seqnum, uint32_t ep, Direction direction, size_t packets,
                            uint32_t length, uint32_t devid = kTestDevid) {
  proto::CmdSubmit cmd =
      submit(seqnum, ep, direction, static_cast<int32_t>(packets * length), {}, devid);
  cmd.number_of_packets = static_cast<int32_t>(packets);
  for (size_t i = 0; i < packets; ++i) {
    cmd.iso.push_back({static_cast<uint32_t>(i * length), length, 0, 0});
  }
  if (direction == Direction::kOut) {
    for (size_t i = 0; i < packets * length; ++i)
      cmd.payload.push_back(static_cast<uint8_t>(i));
  }
  return cmd;
}

inline proto::CmdUnlink unlink(uint32_t seqnum, uint32_t target, uint32_t devid = kTestDevid) {
  proto::CmdUnlink cmd;
  cmd.base = {seqnum, devid, Direction::kOut, 0};
  cmd.unlink_seqnum = target;
  return cmd;
}

}  // namespace usbip::worker::testing
