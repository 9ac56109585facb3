#include "worker/usbfs_memory_pool.h"

#include <cerrno>

namespace usbip::worker {
namespace {

// After this many refused mappings the pool stops asking: each attempt is a system call, and
// a budget that is spent, or a device that is gone, does not come back while a session lasts.
constexpr uint64_t kMaxMapFailures = 8;

}  // namespace

UsbfsMemoryPool::UsbfsMemoryPool(UsbfsMemoryMapper mapper, void* base)
    : mapper_(mapper), base_(static_cast<uint8_t*>(base)) {
  for (size_t index = 0; index < kSizeClasses; ++index) {
    SizeClass& sizeClass = classes_[index];
    sizeClass.blockBytes = kMinBlock << index;
    sizeClass.slots = kCapacity / sizeClass.blockBytes;
    sizeClass.base = base_ + index * kCapacity;
    sizeClass.state.fill(Slot::kReserved);
  }
}

size_t UsbfsMemoryPool::classFor(size_t bytes) {
  size_t index = 0;
  while ((kMinBlock << index) < bytes)
    ++index;
  return index;
}

void* UsbfsMemoryPool::allocate(size_t bytes) noexcept {
  if (retired_ || bytes < kMinBlock || bytes > kMaxBlock) return nullptr;
  SizeClass& sizeClass = classes_[classFor(bytes)];
  if (sizeClass.freeCount > 0) {
    size_t slot = sizeClass.freeStack[--sizeClass.freeCount];
    freeBytes_ -= sizeClass.blockBytes;
    return take(sizeClass, slot);
  }
  if (mapFailures_ >= kMaxMapFailures || !makeRoom(sizeClass.blockBytes)) {
    ++stats_.refused;
    return nullptr;
  }
  for (size_t slot = 0; slot < sizeClass.slots; ++slot) {
    if (sizeClass.state[slot] != Slot::kReserved) continue;
    uint8_t* at = sizeClass.base + slot * sizeClass.blockBytes;
    if (!mapper_.map(mapper_.context, at, sizeClass.blockBytes)) {
      if (stats_.firstMapErrno == 0) stats_.firstMapErrno = errno != 0 ? errno : EIO;
      ++mapFailures_;
      ++stats_.refused;
      // A failed MAP_FIXED may have left the slot unmapped. Put the reservation back only if
      // nothing else took the gap meanwhile; if something did, the slot is never used again.
      if (!mapper_.reserveIfVacant(mapper_.context, at, sizeClass.blockBytes)) {
        sizeClass.state[slot] = Slot::kLost;
      }
      return nullptr;
    }
    ++stats_.mappings;
    stats_.mappedBytes += sizeClass.blockBytes;
    if (stats_.mappedBytes > stats_.peakMappedBytes) stats_.peakMappedBytes = stats_.mappedBytes;
    return take(sizeClass, slot);
  }
  // Every slot of this size is in use or lost (the capacity check above makes this rare).
  ++stats_.refused;
  return nullptr;
}

void* UsbfsMemoryPool::take(SizeClass& sizeClass, size_t slot) {
  sizeClass.state[slot] = Slot::kUsed;
  ++stats_.served;
  return sizeClass.base + slot * sizeClass.blockBytes;
}

bool UsbfsMemoryPool::makeRoom(size_t bytes) {
  // Free blocks of other sizes give way to the one needed now.
  for (size_t index = kSizeClasses; index-- > 0 && stats_.mappedBytes + bytes > kCapacity;) {
    SizeClass& sizeClass = classes_[index];
    while (sizeClass.freeCount > 0 && stats_.mappedBytes + bytes > kCapacity) {
      size_t slot = sizeClass.freeStack[--sizeClass.freeCount];
      freeBytes_ -= sizeClass.blockBytes;
      unmapSlot(sizeClass, slot);
    }
  }
  return stats_.mappedBytes + bytes <= kCapacity;
}

void UsbfsMemoryPool::unmapSlot(SizeClass& sizeClass, size_t slot) {
  uint8_t* at = sizeClass.base + slot * sizeClass.blockBytes;
  // Replacing the usbfs mapping with the reservation unmaps it and gives its memory back to
  // usbfs's budget in one step, without leaving a gap that another mmap could take.
  sizeClass.state[slot] =
      mapper_.reserve(mapper_.context, at, sizeClass.blockBytes) ? Slot::kReserved : Slot::kLost;
  stats_.mappedBytes -= sizeClass.blockBytes;
}

bool UsbfsMemoryPool::release(void* pointer) noexcept {
  if (!mayOwn(pointer)) return false;
  auto* at = static_cast<uint8_t*>(pointer);
  auto index = static_cast<size_t>(at - base_) / kCapacity;
  SizeClass& sizeClass = classes_[index];
  auto offset = static_cast<size_t>(at - sizeClass.base);
  size_t slot = offset / sizeClass.blockBytes;
  if (offset % sizeClass.blockBytes != 0 || slot >= sizeClass.slots ||
      sizeClass.state[slot] != Slot::kUsed) {
    return false;
  }
  if (retired_ || freeBytes_ + sizeClass.blockBytes > kKeepFree) {
    unmapSlot(sizeClass, slot);
  } else {
    sizeClass.state[slot] = Slot::kFree;
    sizeClass.freeStack[sizeClass.freeCount++] = static_cast<uint16_t>(slot);
    freeBytes_ += sizeClass.blockBytes;
  }
  return true;
}

void UsbfsMemoryPool::retire() noexcept {
  retired_ = true;
  for (SizeClass& sizeClass : classes_) {
    while (sizeClass.freeCount > 0) {
      size_t slot = sizeClass.freeStack[--sizeClass.freeCount];
      freeBytes_ -= sizeClass.blockBytes;
      unmapSlot(sizeClass, slot);
    }
  }
}

}  // namespace usbip::worker
