// Well-formed USB/IP messages for the seed corpora, built with the codec's encoders: seeds that
// decode get the fuzzer past the framing checks on its first run.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/codec.h"

namespace usbip::fuzz::seeds {

using Bytes = std::vector<uint8_t>;

template <typename Message>
Bytes operator+(Bytes bytes, const Message& message) {
  proto::encode(message, bytes);
  return bytes;
}
inline Bytes operator+(Bytes bytes, const Bytes& more) {
  bytes.insert(bytes.end(), more.begin(), more.end());
  return bytes;
}

inline proto::OpReqImport reqImport(std::string busid) {
  return proto::OpReqImport{std::move(busid)};
}

inline std::array<uint8_t, 8> setup(uint8_t requestType, uint8_t request, uint16_t value,
                                    uint16_t index, uint16_t length) {
  return {requestType,
          request,
          static_cast<uint8_t>(value),
          static_cast<uint8_t>(value >> 8),
          static_cast<uint8_t>(index),
          static_cast<uint8_t>(index >> 8),
          static_cast<uint8_t>(length),
          static_cast<uint8_t>(length >> 8)};
}

// A control transfer on ep 0, as usb_control_msg() sends it (no flags); OUT transfers carry
// `data`, cut or zero-padded to wLength.
inline proto::CmdSubmit control(uint32_t seqnum, uint32_t devid, std::array<uint8_t, 8> packet,
                                Bytes data = {}) {
  proto::CmdSubmit submit;
  bool in = (packet[0] & 0x80) != 0;
  uint16_t length = static_cast<uint16_t>(packet[6] | (packet[7] << 8));
  submit.base = {seqnum, devid, in ? proto::Direction::kIn : proto::Direction::kOut, 0};
  submit.transfer_buffer_length = length;
  submit.setup = packet;
  if (!in) {
    data.resize(length);
    submit.payload.assign(data.begin(), data.end());
  }
  return submit;
}

// A bulk or interrupt transfer; OUT transfers carry `data`.
inline proto::CmdSubmit transfer(uint32_t seqnum, uint32_t devid, proto::Direction direction,
                                 uint32_t ep, int32_t length, Bytes data = {}) {
  proto::CmdSubmit submit;
  submit.base = {seqnum, devid, direction, ep};
  submit.transfer_buffer_length = length;
  submit.payload.assign(data.begin(), data.end());
  return submit;
}

// An isochronous transfer of `packets` packets of `packetLength` bytes each.
inline proto::CmdSubmit iso(uint32_t seqnum, uint32_t devid, proto::Direction direction,
                            uint32_t ep, uint32_t packets, uint32_t packetLength) {
  proto::CmdSubmit submit;
  submit.base = {seqnum, devid, direction, ep};
  submit.transfer_flags = proto::flags::kIsoAsap;
  submit.transfer_buffer_length = static_cast<int32_t>(packets * packetLength);
  submit.number_of_packets = static_cast<int32_t>(packets);
  submit.interval = 1;
  for (uint32_t i = 0; i < packets; ++i)
    submit.iso.push_back({i * packetLength, packetLength, 0, 0});
  if (direction == proto::Direction::kOut) {
    submit.payload.resize(packets * packetLength);
    for (size_t i = 0; i < submit.payload.size(); ++i)
      submit.payload[i] = static_cast<uint8_t>(i);
  }
  return submit;
}

inline proto::CmdUnlink unlink(uint32_t seqnum, uint32_t devid, uint32_t target) {
  proto::CmdUnlink message;
  message.base = {seqnum, devid, proto::Direction::kOut, 0};
  message.unlink_seqnum = target;
  return message;
}

}  // namespace usbip::fuzz::seeds
