// The bytes libFuzzer hands a target, read front to back as the knobs of one run (limits,
// endpoint tables, piece sizes) and then the stream itself. Reading past the end yields zeros,
// so every input, however short, means something.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace usbip::fuzz {

class FuzzInput {
 public:
  explicit FuzzInput(std::span<const uint8_t> data) : data_(data) {}

  uint8_t u8() { return position_ < data_.size() ? data_[position_++] : 0; }
  uint16_t u16() {
    uint16_t high = u8();
    return static_cast<uint16_t>((high << 8) | u8());
  }
  uint32_t u32() {
    uint32_t high = u16();
    return (high << 16) | u16();
  }
  // Up to `count` bytes (fewer at the end of the input).
  std::span<const uint8_t> bytes(size_t count) {
    size_t available = data_.size() - position_;
    auto part = data_.subspan(position_, count < available ? count : available);
    position_ += part.size();
    return part;
  }
  std::span<const uint8_t> rest() { return bytes(data_.size() - position_); }

 private:
  std::span<const uint8_t> data_;
  size_t position_ = 0;
};

// The other direction, for the seed generator: writes what FuzzInput reads.
class FuzzInputWriter {
 public:
  void u8(uint8_t value) { out_.push_back(value); }
  void u16(uint16_t value) {
    u8(static_cast<uint8_t>(value >> 8));
    u8(static_cast<uint8_t>(value));
  }
  void u32(uint32_t value) {
    u16(static_cast<uint16_t>(value >> 16));
    u16(static_cast<uint16_t>(value));
  }
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  const std::vector<uint8_t>& data() const { return out_; }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace usbip::fuzz
