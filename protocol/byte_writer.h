// Appends big-endian integers and fixed-size fields to a byte vector: the only way the encoders
// put bytes on the wire, so that byte order is decided in one place.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace usbip::proto {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  // Room for `more` bytes at once: appending a header byte by byte to an empty vector would
  // reallocate it seven times on the way to 48 bytes. Growth stays geometric, so that many
  // messages encoded into one vector still cost amortised constant time each.
  void reserve(size_t more) {
    size_t needed = out_.size() + more;
    if (needed > out_.capacity()) out_.reserve(std::max(needed, 2 * out_.capacity()));
  }

  void u8(uint8_t value) { out_.push_back(value); }
  void u16(uint16_t value) {
    out_.push_back(static_cast<uint8_t>(value >> 8));
    out_.push_back(static_cast<uint8_t>(value));
  }
  void u32(uint32_t value) {
    u16(static_cast<uint16_t>(value >> 16));
    u16(static_cast<uint16_t>(value));
  }
  void s32(int32_t value) { u32(static_cast<uint32_t>(value)); }
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void zeros(size_t count) { out_.insert(out_.end(), count, 0); }

  // A string in a NUL-padded field of `size` bytes; it must leave room for the terminator,
  // because the receiving side (rules F2, R1) rejects a field without one.
  void fixedString(std::string_view text, size_t size, std::string_view field) {
    if (text.size() >= size || text.find('\0') != std::string_view::npos) {
      throw std::invalid_argument(std::string(field) + " must be shorter than " +
                                  std::to_string(size) + " bytes and contain no NUL: \"" +
                                  std::string(text) + "\"");
    }
    out_.insert(out_.end(), text.begin(), text.end());
    zeros(size - text.size());
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace usbip::proto
