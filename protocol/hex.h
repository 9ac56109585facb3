// Hexadecimal rendering of wire values for error messages.
#pragma once

#include <cstdint>
#include <string>

namespace usbip::proto {

inline std::string hex(uint32_t value, int digits = 8) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    text += kDigits[(value >> shift) & 0xf];
  return text;
}

}  // namespace usbip::proto
