// The worker's seccomp policy as data: every system call it may still make once sandboxed, one
// row each with the reason. A call that is not in the table kills the whole process (SIGSYS).
// seccomp_filter.cpp turns the table into a filter; docs/security.md lists it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace usbip::worker::sandbox {

// One value a restricted argument may take: an ioctl request, an fcntl command, a prctl option.
struct PermittedValue {
  uint64_t value = 0;
  std::string_view name;
  std::string_view why;
  // 0: the call runs. Otherwise it fails with this errno without running: for a call a library
  // makes on its own and copes with being refused (libusb falls back, stdio buffers fully).
  int refuseWith = 0;
};

enum class ArgumentRule {
  kAny,          // any arguments
  kOneOf,        // argument `argument` (its low 32 bits, all the kernel reads) is in `values`
  kWithoutBits,  // argument `argument` has none of `forbiddenBits` set
  kOwnProcess,   // argument `argument` is this process's pid (as seen when the filter goes in)
};

struct AllowedSyscall {
  std::string_view name;  // as libseccomp and the man pages spell it
  std::string_view why;
  ArgumentRule rule = ArgumentRule::kAny;
  unsigned argument = 0;
  std::vector<PermittedValue> values = {};
  uint64_t forbiddenBits = 0;
  int refuseWith = 0;  // like PermittedValue::refuseWith, for a whole syscall
};

// The table, in the order: memory, descriptors and I/O, waiting, time, threads and signals,
// process, self-check.
const std::vector<AllowedSyscall>& syscallAllowlist();

}  // namespace usbip::worker::sandbox
