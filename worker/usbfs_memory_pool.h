// Transfer buffers in memory mapped from the usbfs fd, so that usbfs need not copy them.
//
// usbfs copies every URB's data between the worker and the kernel: from the worker's buffer on
// submit (OUT), into it on reap (IN), through a buffer it allocates for each URB. When the
// buffer lies inside memory mapped from the same usbfs file (mmap on the fd, Linux 4.6 and
// later), the host controller driver reads and writes it in place instead, and neither the copy
// nor the allocation happens. On the test VM that copy is the largest single cost of a bulk URB
// in the worker (docs/performance.md).
//
// usbfs accepts a URB buffer only when it lies inside one mapping (it refuses one that starts in
// a mapping and runs past its end), so every block here is one mapping of its own. Blocks come
// in power-of-two sizes; each size has a range of address space reserved up front (PROT_NONE),
// and a block is mapped into its slot there when first needed. A pointer is the pool's exactly
// when it lies in a slot the pool mapped, which makes the ownership test cheap and exact.
//
// Memory mapped from usbfs counts against the host's usbfs_memory_mb (16 MiB by default, shared
// by every usbfs user on the host) for as long as it stays mapped, so the pool maps at most
// kCapacity bytes and keeps at most kKeepFree bytes of returned blocks for reuse: the rest is
// unmapped as soon as it comes back. When usbfs refuses (the budget is spent, the device is
// gone) or the pool is full, the caller falls back to the heap and usbfs copies as before.
//
// The pool allocates nothing itself (it serves operator new, see transfer_memory.h) and does no
// locking; its owner serialises calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace usbip::worker {

// How the pool gets and gives back address space; the real one maps the usbfs fd, tests map
// anonymous memory. Each returns false, with errno set, on failure.
struct UsbfsMemoryMapper {
  void* context = nullptr;
  // Maps `bytes` of usbfs memory at `at` (MAP_FIXED: in place of the reservation), readable and
  // writable.
  bool (*map)(void* context, void* at, size_t bytes) = nullptr;
  // Puts inaccessible, unbacked address space at `at` (a slot's resting state), in place of what
  // is there (MAP_FIXED).
  bool (*reserve)(void* context, void* at, size_t bytes) = nullptr;
  // The same, but only where nothing is mapped (MAP_FIXED_NOREPLACE): after a failed map.
  bool (*reserveIfVacant)(void* context, void* at, size_t bytes) = nullptr;
};

struct UsbfsMemoryStats {
  uint64_t served = 0;       // allocations served from usbfs memory
  uint64_t refused = 0;      // allocations the pool passed to the heap (full, or usbfs said no)
  uint64_t mappings = 0;     // blocks mapped: the rest were served again without a system call
  uint64_t mappedBytes = 0;  // mapped now
  uint64_t peakMappedBytes = 0;
  int firstMapErrno = 0;  // why usbfs first refused a mapping; 0 if it never did
};

class UsbfsMemoryPool {
 public:
  static constexpr size_t kMinBlock = 4096;
  static constexpr size_t kMaxBlock = size_t{1} << 20;
  static constexpr size_t kCapacity = size_t{4} << 20;  // mapped at most, in use or free
  static constexpr size_t kKeepFree = size_t{2} << 20;  // returned blocks kept for reuse

  // Serves blocks from `base`: kReservedBytes of page-aligned address space the caller has
  // reserved and keeps reserved for as long as any block may be in use. Nothing is mapped yet.
  UsbfsMemoryPool(UsbfsMemoryMapper mapper, void* base);
  UsbfsMemoryPool(const UsbfsMemoryPool&) = delete;
  UsbfsMemoryPool& operator=(const UsbfsMemoryPool&) = delete;

  // A block of at least `bytes`, or nullptr when `bytes` is outside [kMinBlock, kMaxBlock], the
  // pool is full or retired, or usbfs refused the mapping.
  void* allocate(size_t bytes) noexcept;
  // True when `pointer` is a block of this pool's, which is then returned; false otherwise (the
  // pointer is not touched).
  bool release(void* pointer) noexcept;
  // Whether `pointer` lies in the pool's address space at all: the cheap test release() starts
  // with, which reads nothing that ever changes and so needs no lock.
  bool mayOwn(const void* pointer) const noexcept {
    auto* at = static_cast<const uint8_t*>(pointer);
    return at >= base_ && at < base_ + kReservedBytes;
  }
  // From now on allocate() returns nullptr, and every block is unmapped once it is free.
  // Called before the usbfs fd closes: its number could be reused by another file.
  void retire() noexcept;

  const UsbfsMemoryStats& stats() const { return stats_; }

  static constexpr size_t kSizeClasses = 9;  // 4 KiB .. 1 MiB
  static constexpr size_t kReservedBytes = kSizeClasses * kCapacity;

 private:
  static constexpr size_t kMaxSlots = kCapacity / kMinBlock;
  enum class Slot : uint8_t { kReserved, kFree, kUsed, kLost };

  struct SizeClass {
    size_t blockBytes = 0;
    size_t slots = 0;
    uint8_t* base = nullptr;
    std::array<Slot, kMaxSlots> state{};
    std::array<uint16_t, kMaxSlots> freeStack{};  // slot numbers of kFree slots
    size_t freeCount = 0;
  };

  static size_t classFor(size_t bytes);
  void* take(SizeClass& sizeClass, size_t slot);
  bool makeRoom(size_t bytes);
  void unmapSlot(SizeClass& sizeClass, size_t slot);

  UsbfsMemoryMapper mapper_;
  uint8_t* const base_;
  std::array<SizeClass, kSizeClasses> classes_{};
  size_t freeBytes_ = 0;
  bool retired_ = false;
  uint64_t mapFailures_ = 0;
  UsbfsMemoryStats stats_;
};

}  // namespace usbip::worker
