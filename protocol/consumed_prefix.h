// Dropping the bytes a stream decoder has already turned into messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace usbip::proto {

// Call before appending. The consumed prefix [0, start) is erased only once it is at least as
// long as what remains, so each byte is moved a bounded number of times and decoding stays linear
// in the bytes received. A buffer left large by one big transfer is released once it drains, so
// a connection does not keep its largest message's worth of memory forever.
inline void dropConsumedPrefix(std::vector<uint8_t>& buffer, size_t& start) {
  constexpr size_t kCapacityKeptWhenEmpty = 256 * 1024;
  if (start == buffer.size()) {
    if (buffer.capacity() > kCapacityKeptWhenEmpty) {
      std::vector<uint8_t>().swap(buffer);
    } else {
      buffer.clear();
    }
    start = 0;
  } else if (start > 0 && start >= buffer.size() - start) {
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(start));
    start = 0;
  }
}

}  // namespace usbip::proto
