// Reads big-endian integers and fixed-size fields from bytes the caller has already checked to
// be complete; reading past the end is a bug in the decoder, not a peer error.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>

namespace usbip::proto {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint8_t u8() { return take(1)[0]; }
  uint16_t u16() {
    auto b = take(2);
    return static_cast<uint16_t>((b[0] << 8) | b[1]);
  }
  uint32_t u32() {
    uint32_t high = u16();
    return (high << 16) | u16();
  }
  int32_t s32() { return static_cast<int32_t>(u32()); }
  std::span<const uint8_t> bytes(size_t count) { return take(count); }
  void skip(size_t count) { take(count); }

  size_t position() const { return position_; }

 private:
  std::span<const uint8_t> take(size_t count) {
    if (count > bytes_.size() - position_) {
      throw std::logic_error("ByteReader: read past the end of a checked buffer");
    }
    auto part = bytes_.subspan(position_, count);
    position_ += count;
    return part;
  }

  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

}  // namespace usbip::proto
