// USB's multi-byte fields (descriptors, Bulk-Only CBWs and CSWs) are little-endian, unlike
// USB/IP's headers. Readers check nothing: callers have checked the length first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace usbip::worker {

inline uint16_t le16(std::span<const uint8_t> bytes, size_t at) {
  return static_cast<uint16_t>(bytes[at] | (bytes[at + 1] << 8));
}

inline uint32_t le32(std::span<const uint8_t> bytes, size_t at) {
  return uint32_t{bytes[at]} | (uint32_t{bytes[at + 1]} << 8) | (uint32_t{bytes[at + 2]} << 16) |
         (uint32_t{bytes[at + 3]} << 24);
}

// Appends `value` in four bytes.
inline void appendLe32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<uint8_t>(value >> shift));
}

// Writes `value` into the four bytes at `at`, which must exist.
inline void writeLe32(std::span<uint8_t> out, size_t at, uint32_t value) {
  for (size_t i = 0; i < 4; ++i)
    out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace usbip::worker
