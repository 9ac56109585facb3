// The worker's transfer buffers in usbfs memory (worker/usbfs_memory_pool.h says why): one
// process-wide UsbfsMemoryPool on the exported device's usbfs fd, which the usbip-worker
// program's operator new consults for every allocation of a transfer's size
// (transfer_memory_new.cpp). The payload of every URB lives in a std::vector, through the
// decoder, the engine, the backend and the reply; serving those vectors' storage from usbfs
// memory removes usbfs's copy without a buffer type of their own. Programs that do not link
// transfer_memory_new.cpp (tests, tools) never use the pool for their allocations.
//
// Every function is safe to call from any thread and before install().
#pragma once

#include <cstddef>

#include "worker/usbfs_memory_pool.h"

namespace usbip::worker::transfer_memory {

// Starts serving transfer-sized allocations from memory mapped from `usbfsFd`, which must stay
// open until retire(). Once per process; false (nothing changes) when it was done before or the
// address space could not be reserved.
bool install(int usbfsFd) noexcept;
// No more allocations from the pool; returned blocks are unmapped. Before the fd closes.
void retire() noexcept;

// A block of usbfs memory for `bytes`, or nullptr: then the caller takes heap memory.
void* allocate(size_t bytes) noexcept;
// True when `pointer` came from allocate(); it is then returned to the pool.
bool release(void* pointer) noexcept;

UsbfsMemoryStats stats() noexcept;

}  // namespace usbip::worker::transfer_memory
