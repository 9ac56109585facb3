// Dropping the bytes a stream decoder has already turned into messages.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace usbip::proto {

constexpr size_t kCapacityKeptWhenEmpty = 256 * 1024;

// For a buffer whose received bytes are [start, end), with room after `end` it keeps (so that
// receiving into that room needs no zero-fill each time). Call before receiving. The consumed
// prefix [0, start) is dropped only once it is at least as long as what remains, so each byte
// is moved a bounded number of times and decoding stays linear in the bytes received. A buffer
// left large by one big transfer is released once it drains, so a connection does not keep its
// largest message's worth of memory forever.
inline void dropConsumedPrefix(std::vector<uint8_t>& buffer, size_t& start, size_t& end) {
  if (start == end) {
    if (buffer.capacity() > kCapacityKeptWhenEmpty) std::vector<uint8_t>().swap(buffer);
    start = end = 0;
  } else if (start > 0 && start >= end - start) {
    std::copy(buffer.begin() + static_cast<std::ptrdiff_t>(start),
              buffer.begin() + static_cast<std::ptrdiff_t>(end), buffer.begin());
    end -= start;
    start = 0;
  }
}

// The same for a buffer that is appended to: its size is its end.
inline void dropConsumedPrefix(std::vector<uint8_t>& buffer, size_t& start) {
  size_t end = buffer.size();
  dropConsumedPrefix(buffer, start, end);
  buffer.resize(end);
}

}  // namespace usbip::proto
