#include "worker/transfer_memory.h"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <new>
#include <type_traits>

namespace usbip::worker::transfer_memory {
namespace {

bool mapUsbfs(void* context, void* at, size_t bytes) {
  int fd = *static_cast<int*>(context);
  void* got = ::mmap(at, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  return got == at;
}

constexpr int kReservation = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

bool reserve(void*, void* at, size_t bytes) {
  return ::mmap(at, bytes, PROT_NONE, kReservation | MAP_FIXED, -1, 0) == at;
}

bool reserveIfVacant(void*, void* at, size_t bytes) {
  void* got = ::mmap(at, bytes, PROT_NONE, kReservation | MAP_FIXED_NOREPLACE, -1, 0);
  if (got == at) return true;
  // A kernel before 4.17 takes the flag for a hint and may have mapped elsewhere.
  if (got != MAP_FAILED) ::munmap(got, bytes);
  return false;
}

// Constant-initialised and trivially destroyed: operator new may need it before any
// constructor runs, operator delete after every destructor has. The pool itself is never
// destroyed either; its address space stays reserved until the process ends.
struct State {
  std::mutex mutex;
  int usbfsFd = -1;
  alignas(UsbfsMemoryPool) unsigned char storage[sizeof(UsbfsMemoryPool)]{};
  std::atomic<UsbfsMemoryPool*> pool{nullptr};  // set once, by install()
};
static_assert(std::is_trivially_destructible_v<State>);

constinit State globalState;

}  // namespace

bool install(int usbfsFd) noexcept {
  State& s = globalState;
  std::lock_guard lock(s.mutex);
  if (s.pool.load(std::memory_order_relaxed) != nullptr) return false;
  void* base = ::mmap(nullptr, UsbfsMemoryPool::kReservedBytes, PROT_NONE, kReservation, -1, 0);
  if (base == MAP_FAILED) return false;
  s.usbfsFd = usbfsFd;
  UsbfsMemoryMapper mapper{&s.usbfsFd, mapUsbfs, reserve, reserveIfVacant};
  s.pool.store(new (s.storage) UsbfsMemoryPool(mapper, base), std::memory_order_release);
  return true;
}

void retire() noexcept {
  State& s = globalState;
  std::lock_guard lock(s.mutex);
  if (UsbfsMemoryPool* pool = s.pool.load(std::memory_order_acquire)) pool->retire();
  s.usbfsFd = -1;
}

void* allocate(size_t bytes) noexcept {
  if (bytes < UsbfsMemoryPool::kMinBlock || bytes > UsbfsMemoryPool::kMaxBlock) return nullptr;
  State& s = globalState;
  UsbfsMemoryPool* pool = s.pool.load(std::memory_order_acquire);
  if (pool == nullptr) return nullptr;
  std::lock_guard lock(s.mutex);
  return pool->allocate(bytes);
}

bool release(void* pointer) noexcept {
  State& s = globalState;
  UsbfsMemoryPool* pool = s.pool.load(std::memory_order_acquire);
  // Every operator delete comes here: most pointers are the heap's, told apart without the lock.
  if (pool == nullptr || !pool->mayOwn(pointer)) return false;
  std::lock_guard lock(s.mutex);
  return pool->release(pointer);
}

UsbfsMemoryStats stats() noexcept {
  State& s = globalState;
  std::lock_guard lock(s.mutex);
  UsbfsMemoryPool* pool = s.pool.load(std::memory_order_relaxed);
  return pool != nullptr ? pool->stats() : UsbfsMemoryStats{};
}

}  // namespace usbip::worker::transfer_memory
