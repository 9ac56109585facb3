#include "worker/usbfs_memory_pool.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "worker/transfer_memory.h"

namespace usbip::worker {
namespace {

using Pool = UsbfsMemoryPool;

// Anonymous memory in place of usbfs's, with every call counted.
struct FakeUsbfs {
  int maps = 0;
  int reserves = 0;
  size_t lastMapBytes = 0;
  int failMapsWith = 0;  // errno for map() to fail with; 0: succeed
  bool vacantReserveFails = false;

  UsbfsMemoryMapper mapper() {
    return {this,
            [](void* context, void* at, size_t bytes) {
              auto* self = static_cast<FakeUsbfs*>(context);
              ++self->maps;
              self->lastMapBytes = bytes;
              if (self->failMapsWith != 0) {
                errno = self->failMapsWith;
                return false;
              }
              return ::mmap(at, bytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == at;
            },
            [](void* context, void* at, size_t bytes) {
              ++static_cast<FakeUsbfs*>(context)->reserves;
              return ::mmap(at, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                     at;
            },
            [](void* context, void*, size_t) {
              return !static_cast<FakeUsbfs*>(context)->vacantReserveFails;
            }};
  }
};

class UsbfsMemoryPoolTest : public ::testing::Test {
 protected:
  UsbfsMemoryPoolTest() {
    base_ = ::mmap(nullptr, Pool::kReservedBytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) throw std::runtime_error("cannot reserve the pool's address space");
  }
  ~UsbfsMemoryPoolTest() override { ::munmap(base_, Pool::kReservedBytes); }

  bool insidePool(const void* pointer) const {
    auto* at = static_cast<const uint8_t*>(pointer);
    auto* base = static_cast<const uint8_t*>(base_);
    return at >= base && at < base + Pool::kReservedBytes;
  }

  FakeUsbfs usbfs_;
  void* base_ = nullptr;
};

TEST_F(UsbfsMemoryPoolTest, ServesEachAllocationFromAMappingOfItsOwnSizeClass) {
  Pool pool(usbfs_.mapper(), base_);
  void* block = pool.allocate(5000);
  ASSERT_NE(block, nullptr);
  EXPECT_TRUE(insidePool(block));
  EXPECT_EQ(usbfs_.maps, 1);
  EXPECT_EQ(usbfs_.lastMapBytes, 8192u);  // the next power of two: usbfs wants one mapping
  std::memset(block, 0xa5, 8192);
  EXPECT_EQ(pool.stats().mappedBytes, 8192u);
  EXPECT_EQ(pool.stats().served, 1u);
  EXPECT_TRUE(pool.release(block));
}

TEST_F(UsbfsMemoryPoolTest, LeavesSmallAndHugeAllocationsToTheHeap) {
  Pool pool(usbfs_.mapper(), base_);
  EXPECT_EQ(pool.allocate(Pool::kMinBlock - 1), nullptr);
  EXPECT_EQ(pool.allocate(Pool::kMaxBlock + 1), nullptr);
  EXPECT_EQ(usbfs_.maps, 0);
  EXPECT_NE(pool.allocate(Pool::kMinBlock), nullptr);
  EXPECT_NE(pool.allocate(Pool::kMaxBlock), nullptr);
}

TEST_F(UsbfsMemoryPoolTest, ClaimsOnlyBlocksItHandedOut) {
  Pool pool(usbfs_.mapper(), base_);
  auto* block = static_cast<uint8_t*>(pool.allocate(16384));
  ASSERT_NE(block, nullptr);
  void* heap = std::malloc(16384);
  EXPECT_FALSE(pool.release(heap));
  std::free(heap);
  EXPECT_FALSE(pool.release(block + 1));      // inside a block, not its start
  EXPECT_FALSE(pool.release(block + 16384));  // the next slot, never mapped
  EXPECT_TRUE(pool.release(block));
  EXPECT_FALSE(pool.release(block));  // a second time: free already
}

TEST_F(UsbfsMemoryPoolTest, ReusesReturnedBlocksWithoutMappingAgain) {
  Pool pool(usbfs_.mapper(), base_);
  void* first = pool.allocate(16384);
  ASSERT_TRUE(pool.release(first));
  void* second = pool.allocate(12000);  // the same size class
  EXPECT_EQ(second, first);
  EXPECT_EQ(usbfs_.maps, 1);
  EXPECT_EQ(pool.stats().served, 2u);
  EXPECT_EQ(pool.stats().mappings, 1u);
}

TEST_F(UsbfsMemoryPoolTest, MapsNoMoreThanItsCapacity) {
  Pool pool(usbfs_.mapper(), base_);
  std::vector<void*> blocks;
  for (size_t i = 0; i < Pool::kCapacity / Pool::kMaxBlock; ++i) {
    blocks.push_back(pool.allocate(Pool::kMaxBlock));
    ASSERT_NE(blocks.back(), nullptr) << i;
  }
  EXPECT_EQ(pool.allocate(Pool::kMinBlock), nullptr);
  EXPECT_EQ(pool.stats().mappedBytes, Pool::kCapacity);
  EXPECT_EQ(pool.stats().peakMappedBytes, Pool::kCapacity);
  EXPECT_EQ(pool.stats().refused, 1u);
  // Room again once a block is back: the caller's next transfer is served once more.
  ASSERT_TRUE(pool.release(blocks.back()));
  EXPECT_NE(pool.allocate(Pool::kMaxBlock), nullptr);
}

TEST_F(UsbfsMemoryPoolTest, KeepsOnlyKeepFreeBytesOfReturnedBlocksMapped) {
  Pool pool(usbfs_.mapper(), base_);
  std::vector<void*> blocks;
  for (size_t i = 0; i < Pool::kCapacity / Pool::kMaxBlock; ++i)
    blocks.push_back(pool.allocate(Pool::kMaxBlock));
  for (void* block : blocks)
    ASSERT_TRUE(pool.release(block));
  // What stays mapped still counts against the host's usbfs budget, so only so much stays.
  EXPECT_EQ(pool.stats().mappedBytes, Pool::kKeepFree);
  EXPECT_EQ(usbfs_.reserves,
            static_cast<int>((Pool::kCapacity - Pool::kKeepFree) / Pool::kMaxBlock));
}

TEST_F(UsbfsMemoryPoolTest, FreeBlocksOfOneSizeGiveWayToAnother) {
  Pool pool(usbfs_.mapper(), base_);
  void* big1 = pool.allocate(Pool::kMaxBlock);
  void* big2 = pool.allocate(Pool::kMaxBlock);
  ASSERT_TRUE(pool.release(big1));
  ASSERT_TRUE(pool.release(big2));  // 2 MiB free, kept
  size_t small = 16384;
  size_t fits = Pool::kCapacity / small;
  for (size_t i = 0; i < fits; ++i)
    ASSERT_NE(pool.allocate(small), nullptr) << i;
  EXPECT_EQ(pool.stats().mappedBytes, Pool::kCapacity);
  EXPECT_EQ(pool.allocate(small), nullptr);
}

TEST_F(UsbfsMemoryPoolTest, ARefusedMappingFallsBackAndTheSlotIsNotLost) {
  Pool pool(usbfs_.mapper(), base_);
  usbfs_.failMapsWith = ENOMEM;  // the host's usbfs_memory_mb is spent
  EXPECT_EQ(pool.allocate(16384), nullptr);
  EXPECT_EQ(pool.stats().firstMapErrno, ENOMEM);
  EXPECT_EQ(pool.stats().refused, 1u);
  EXPECT_EQ(pool.stats().mappedBytes, 0u);
  usbfs_.failMapsWith = 0;
  // The slot got its reservation back and is the one served next (16 KiB is the third class).
  void* block = pool.allocate(16384);
  EXPECT_EQ(block, static_cast<uint8_t*>(base_) + 2 * Pool::kCapacity);
}

TEST_F(UsbfsMemoryPoolTest, StopsAskingAfterRepeatedRefusals) {
  Pool pool(usbfs_.mapper(), base_);
  usbfs_.failMapsWith = ENODEV;  // the device is gone
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(pool.allocate(16384), nullptr);
  EXPECT_EQ(usbfs_.maps, 8);  // each attempt is a system call: after a few the pool gives up
  EXPECT_EQ(pool.stats().refused, 20u);
  EXPECT_EQ(pool.stats().firstMapErrno, ENODEV);
}

TEST_F(UsbfsMemoryPoolTest, ASlotTakenByAnotherMappingIsNeverUsedAgain) {
  Pool pool(usbfs_.mapper(), base_);
  usbfs_.failMapsWith = EAGAIN;
  usbfs_.vacantReserveFails = true;  // something else mapped the gap the failure left
  EXPECT_EQ(pool.allocate(Pool::kMinBlock), nullptr);
  usbfs_.failMapsWith = 0;
  usbfs_.vacantReserveFails = false;
  // Restore the fake's reservation so the test's own address space stays intact.
  ::mmap(base_, Pool::kMinBlock, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  void* block = pool.allocate(Pool::kMinBlock);
  ASSERT_NE(block, nullptr);
  EXPECT_NE(block, base_);  // the first slot of the class is lost
  EXPECT_FALSE(pool.release(base_));
}

TEST_F(UsbfsMemoryPoolTest, RetiredPoolServesNothingAndUnmapsWhatComesBack) {
  Pool pool(usbfs_.mapper(), base_);
  void* kept = pool.allocate(16384);
  void* returned = pool.allocate(16384);
  ASSERT_TRUE(pool.release(returned));
  pool.retire();
  EXPECT_EQ(pool.stats().mappedBytes, 16384u);  // only the block still in use
  EXPECT_EQ(pool.allocate(16384), nullptr);
  EXPECT_TRUE(pool.release(kept));
  EXPECT_EQ(pool.stats().mappedBytes, 0u);
}

// The process-wide pool on a real fd that can be mapped (a memfd stands in for usbfs here; the
// VM scenarios run it on usbfs).
TEST(TransferMemory, ServesFromTheInstalledFdUntilRetired) {
  EXPECT_EQ(transfer_memory::allocate(16384), nullptr);  // nothing installed yet
  int fd = ::memfd_create("usbfs-standin", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(UsbfsMemoryPool::kMaxBlock)), 0);
  ASSERT_TRUE(transfer_memory::install(fd));
  EXPECT_FALSE(transfer_memory::install(fd));  // once per process
  void* block = transfer_memory::allocate(16384);
  ASSERT_NE(block, nullptr);
  std::memset(block, 0x5a, 16384);
  EXPECT_EQ(transfer_memory::stats().served, 1u);
  EXPECT_EQ(transfer_memory::stats().mappedBytes, 16384u);
  void* heap = std::malloc(64);
  EXPECT_FALSE(transfer_memory::release(heap));
  std::free(heap);
  transfer_memory::retire();
  EXPECT_EQ(transfer_memory::allocate(16384), nullptr);
  EXPECT_TRUE(transfer_memory::release(block));
  EXPECT_EQ(transfer_memory::stats().mappedBytes, 0u);
  ::close(fd);
}

}  // namespace
}  // namespace usbip::worker
