// The usbip-worker program's global operator new and delete (replaceable, [new.delete]): a
// transfer-sized allocation is served from usbfs memory while the pool is installed
// (transfer_memory.h), everything else, and everything once the pool is full or refused, from
// malloc as the library's own operator new would. Only the program links this file; the
// aligned forms are left to the library, which serves them with aligned_alloc and free.
#include <cstdlib>
#include <new>

#include "worker/transfer_memory.h"

namespace {

void* allocateOrThrow(std::size_t bytes) {
  if (void* block = usbip::worker::transfer_memory::allocate(bytes)) return block;
  if (bytes == 0) bytes = 1;
  for (;;) {
    if (void* memory = std::malloc(bytes)) return memory;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void deallocate(void* pointer) noexcept {
  if (!usbip::worker::transfer_memory::release(pointer)) std::free(pointer);
}

}  // namespace

void* operator new(std::size_t bytes) {
  return allocateOrThrow(bytes);
}
void* operator new[](std::size_t bytes) {
  return allocateOrThrow(bytes);
}

void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
  try {
    return allocateOrThrow(bytes);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t bytes, const std::nothrow_t&) noexcept {
  return operator new(bytes, std::nothrow);
}

void operator delete(void* pointer) noexcept {
  deallocate(pointer);
}
void operator delete[](void* pointer) noexcept {
  deallocate(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  deallocate(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
  deallocate(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  deallocate(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  deallocate(pointer);
}
