// Helpers for writing wire fixtures by hand, feeding them to decoders in pieces, and checking
// which rule a decoder reports.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.h"
#include "protocol/errors.h"

namespace usbip::proto::test {

using Bytes = std::vector<uint8_t>;

inline Bytes operator+(Bytes left, const Bytes& right) {
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

inline Bytes zeros(size_t count) {
  return Bytes(count, 0);
}

// ASCII text NUL-padded to a field of `size` bytes.
inline Bytes text(std::string_view chars, size_t size) {
  Bytes field(chars.begin(), chars.end());
  field.resize(size, 0);
  return field;
}

// The endpoints of an imaginary device used throughout the tests.
inline std::optional<EndpointInfo> testEndpoints(uint32_t ep, Direction direction) {
  bool in = direction == Direction::kIn;
  switch (ep) {
    case 0:
      return EndpointInfo{TransferType::kControl, 0};
    case 1:
      if (in) return EndpointInfo{TransferType::kIsochronous, 192};
      return std::nullopt;
    case 2:
      return EndpointInfo{TransferType::kBulk, 0};
    case 3:
      if (!in) return EndpointInfo{TransferType::kIsochronous, 512};
      return std::nullopt;
    case 4:
      if (in) return EndpointInfo{TransferType::kInterrupt, 0};
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Feeds `bytes` in pieces chosen by `nextPieceSize` and collects every decoded message; after each
// piece the decoder is drained, as a connection loop would do.
template <typename Decoder, typename PieceSize>
auto decodeInPieces(Decoder& decoder, std::span<const uint8_t> bytes, PieceSize nextPieceSize) {
  std::vector<typename decltype(decoder.next())::value_type> messages;
  size_t position = 0;
  while (position < bytes.size()) {
    size_t piece = std::min(nextPieceSize(), bytes.size() - position);
    decoder.feed(bytes.subspan(position, piece));
    position += piece;
    while (auto message = decoder.next())
      messages.push_back(std::move(*message));
  }
  return messages;
}

template <typename Decoder>
auto decodeByteByByte(Decoder& decoder, std::span<const uint8_t> bytes) {
  return decodeInPieces(decoder, bytes, [] { return size_t{1}; });
}

template <typename Decoder>
auto decodeInRandomPieces(Decoder& decoder, std::span<const uint8_t> bytes, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<size_t> size(1, 97);
  return decodeInPieces(decoder, bytes, [&] { return size(random); });
}

template <typename Decoder>
auto decodeAtOnce(Decoder& decoder, std::span<const uint8_t> bytes) {
  return decodeInPieces(decoder, bytes, [&] { return bytes.size(); });
}

template <typename Message>
Bytes encoded(const Message& message) {
  Bytes out;
  encode(message, out);
  return out;
}

// Overwrites the big-endian 32-bit word at `offset` of a fixture.
inline Bytes patch32(Bytes bytes, size_t offset, uint32_t value) {
  bytes.at(offset) = static_cast<uint8_t>(value >> 24);
  bytes.at(offset + 1) = static_cast<uint8_t>(value >> 16);
  bytes.at(offset + 2) = static_cast<uint8_t>(value >> 8);
  bytes.at(offset + 3) = static_cast<uint8_t>(value);
  return bytes;
}

inline Bytes patch8(Bytes bytes, size_t offset, uint8_t value) {
  bytes.at(offset) = value;
  return bytes;
}

// Offsets of the usbip_header fields.
namespace offset {
inline constexpr size_t kCommand = 0;
inline constexpr size_t kSeqnum = 4;
inline constexpr size_t kDirection = 12;
inline constexpr size_t kEp = 16;
inline constexpr size_t kTransferFlags = 20;         // RET_SUBMIT: status
inline constexpr size_t kTransferBufferLength = 24;  // RET_SUBMIT: actual_length
inline constexpr size_t kNumberOfPackets = 32;
inline constexpr size_t kSetup = 40;
}  // namespace offset

// Asserts that `call` throws the ProtocolError of a given rule and field.
template <typename Call>
::testing::AssertionResult violates(Call&& call, Rule rule, const std::string& field) {
  try {
    call();
  } catch (const ProtocolError& error) {
    if (error.rule() == rule && error.field() == field) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "expected rule " << ruleName(rule) << " field " << field << ", got: " << error.what();
  }
  return ::testing::AssertionFailure() << "no ProtocolError thrown";
}

}  // namespace usbip::proto::test
