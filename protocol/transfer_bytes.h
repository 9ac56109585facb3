// The bytes of a URB's transfer buffer: a std::vector whose resize() leaves the new bytes
// uninitialised. Every such buffer is written before it is read: an OUT payload by the
// recvmsg that receives it, an IN buffer by the device, which reports how much it wrote, and
// the reply carries only those bytes (actual_length; per packet for isochronous URBs, which
// packIsoInData gathers). Zeroing first would be a pass over up to a megabyte per URB for
// nothing, and under emulation a memset of a megabyte costs several times a memcpy of one
// (docs/performance.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace usbip::proto {

template <typename T>
struct UninitialisedOnResize : std::allocator<T> {
  using std::allocator<T>::allocator;
  template <typename U>
  struct rebind {
    using other = UninitialisedOnResize<U>;
  };
  // resize() and the size constructor value-initialise through construct(p): default-initialise
  // instead, which for bytes is nothing. Every other construct() is the usual one.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using TransferBytes = std::vector<uint8_t, UninitialisedOnResize<uint8_t>>;

// Tests and tools compare transfer buffers with plain byte vectors; found by argument-dependent
// lookup, since the allocator is this namespace's.
inline bool operator==(const TransferBytes& a, const std::vector<uint8_t>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace usbip::proto
