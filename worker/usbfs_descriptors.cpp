#include "worker/usbfs_descriptors.h"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "common/syscall.h"
#include "worker/descriptors.h"

namespace usbip::worker {
namespace {

constexpr size_t kDeviceDescriptorSize = 18;
constexpr size_t kConfigurationHeaderSize = 9;

}  // namespace

RawDescriptors splitUsbfsDescriptors(std::span<const uint8_t> bytes) {
  DeviceDescriptor device = parseDeviceDescriptor(bytes);
  RawDescriptors raw;
  raw.device.assign(bytes.begin(), bytes.begin() + kDeviceDescriptorSize);
  size_t position = kDeviceDescriptorSize;
  for (unsigned index = 0; index < device.bNumConfigurations; ++index) {
    if (bytes.size() - position < kConfigurationHeaderSize) break;
    size_t total = bytes[position + 2] | (size_t{bytes[position + 3]} << 8);
    // Never an empty step: a zero wTotalLength would otherwise hand out the same bytes again.
    total = std::clamp<size_t>(total, 1, bytes.size() - position);
    auto begin = bytes.begin() + static_cast<std::ptrdiff_t>(position);
    raw.configurations.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(total));
    position += total;
  }
  return raw;
}

RawDescriptors readUsbfsDescriptors(const UniqueFd& usbfs) {
  std::vector<uint8_t> bytes(kMaxUsbfsDescriptorBytes, 0);
  // lseek + read rather than pread, which the worker's seccomp filter leaves out; the offset
  // (shared with the broker's copy of this file description) is put back as it was.
  const off_t before = checkSyscall(::lseek(usbfs.get(), 0, SEEK_CUR), "usbfs device offset");
  checkSyscall(::lseek(usbfs.get(), 0, SEEK_SET), "rewind the usbfs device");
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = retrySyscall("read descriptors from the usbfs device", [&] {
      return ::read(usbfs.get(), bytes.data() + filled, bytes.size() - filled);
    });
    if (got == 0) break;
    filled += static_cast<size_t>(got);
  }
  checkSyscall(::lseek(usbfs.get(), before, SEEK_SET), "restore the usbfs device offset");
  bytes.resize(filled);
  return splitUsbfsDescriptors(bytes);
}

}  // namespace usbip::worker
