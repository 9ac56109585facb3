// Cutting a stream into the pieces a decoder receives, the way recv() might: the sizes come from
// the input and are used in turn, over and over; without sizes the stream is one piece.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_input.h"

namespace usbip::fuzz {

struct PieceSizes {
  static constexpr uint8_t kMaxSizes = 8;
  std::vector<uint8_t> sizes;  // each stands for sizes[i] + 1 bytes, so every piece moves on

  static PieceSizes read(FuzzInput& in) {
    PieceSizes pieces;
    uint8_t count = in.u8() % (kMaxSizes + 1);
    for (uint8_t i = 0; i < count; ++i)
      pieces.sizes.push_back(in.u8());
    return pieces;
  }
  void write(FuzzInputWriter& out) const {
    out.u8(static_cast<uint8_t>(sizes.size()));
    for (uint8_t size : sizes)
      out.u8(size);
  }

  std::vector<std::span<const uint8_t>> cut(std::span<const uint8_t> stream) const {
    std::vector<std::span<const uint8_t>> result;
    size_t next = 0;
    while (!stream.empty()) {
      size_t size = sizes.empty() ? stream.size() : size_t{sizes[next++ % sizes.size()]} + 1;
      if (size > stream.size()) size = stream.size();
      result.push_back(stream.first(size));
      stream = stream.subspan(size);
    }
    return result;
  }
};

}  // namespace usbip::fuzz
