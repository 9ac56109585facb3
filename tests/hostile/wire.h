// Building the suite's requests: valid ones with the project's encoder, then, for invalid ones,
// fields overwritten in the encoded bytes (the encoder refuses to write what is inconsistent).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "protocol/codec.h"
#include "worker/engine_test_requests.h"

namespace usbip::hostile::wire {

// Offsets in the 48-byte header (struct usbip_header; Documentation/usb/usbip_protocol.rst).
inline constexpr size_t kCommand = 0, kSeqnum = 4, kDevid = 8, kDirection = 12, kEp = 16,
                        kFlags = 20, kUnlinkSeqnum = 20, kLength = 24, kPackets = 32, kSetup = 40;
// In an isochronous descriptor (16 bytes each, after the OUT payload).
inline constexpr size_t kIsoOffset = 0, kIsoLength = 4;

inline void put32(std::vector<uint8_t>& bytes, size_t at, uint32_t value) {
  bytes.at(at) = static_cast<uint8_t>(value >> 24);
  bytes.at(at + 1) = static_cast<uint8_t>(value >> 16);
  bytes.at(at + 2) = static_cast<uint8_t>(value >> 8);
  bytes.at(at + 3) = static_cast<uint8_t>(value);
}

// The requests of the engine's own tests, built as a client builds them.
using worker::testing::setupBytes;

inline proto::CmdSubmit submit(uint32_t seqnum, uint32_t devid, uint32_t ep,
                               proto::Direction direction, int32_t length,
                               std::vector<uint8_t> payload = {}) {
  return worker::testing::submit(seqnum, ep, direction, length, std::move(payload), devid);
}

inline proto::CmdSubmit control(uint32_t seqnum, uint32_t devid, std::array<uint8_t, 8> setup,
                                std::vector<uint8_t> out = {}) {
  return worker::testing::control(seqnum, setup, std::move(out), devid);
}

// GET_DESCRIPTOR(DEVICE), the request every honest check starts with.
inline proto::CmdSubmit getDeviceDescriptor(uint32_t seqnum, uint32_t devid) {
  return control(seqnum, devid, setupBytes(0x80, 0x06, 0x0100, 0, 18));
}

// Isochronous request of `packets` packets of `packetLength` bytes, back to back.
inline proto::CmdSubmit iso(uint32_t seqnum, uint32_t devid, uint32_t ep,
                            proto::Direction direction, uint32_t packets, uint32_t packetLength) {
  auto cmd = worker::testing::iso(seqnum, ep, direction, packets, packetLength, devid);
  cmd.transfer_flags = proto::flags::kIsoAsap;
  return cmd;
}

inline proto::CmdUnlink unlink(uint32_t seqnum, uint32_t devid, uint32_t target) {
  return worker::testing::unlink(seqnum, target, devid);
}

template <class Message>
std::vector<uint8_t> bytes(const Message& message) {
  std::vector<uint8_t> out;
  proto::encode(message, out);
  return out;
}

}  // namespace usbip::hostile::wire
