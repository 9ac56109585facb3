// The request that makes usbip-worker-test-hooks attempt a forbidden operation, shared by the hook
// and the tests that send it. Only usbip-worker-test-hooks (CMake option USBIP_WORKER_TEST_HOOKS,
// never installed) answers it; the real usbip-worker passes it to the device like any vendor
// request. See docs/security.md, "Test-only worker hook".
#pragma once

#include <array>
#include <cstdint>

namespace usbip::worker::test_hooks {

// What the sandboxed worker tries, named by wValue of the hook request.
enum class ForbiddenOperation : uint16_t {
  kOpenFile = 1,       // open("/etc/passwd")
  kCreateSocket = 2,   // socket(AF_INET, SOCK_STREAM)
  kExec = 3,           // execve("/bin/true")
  kPtrace = 4,         // ptrace(PTRACE_TRACEME)
  kMount = 5,          // mount(tmpfs on /)
  kCrash = 6,          // a write to a PROT_NONE page: SIGSEGV
  kExhaustMemory = 7,  // allocate until the memory cap (RLIMIT_DATA) refuses
  kReadlink = 8,       // readlink("/proc/self/exe"): refused by the filter with an errno
};

// A vendor request to the device on endpoint 0, host to device, no data stage.
inline constexpr uint8_t kHookRequestType = 0x40;
inline constexpr uint8_t kHookRequest = 0xe7;

inline std::array<uint8_t, 8> hookSetup(ForbiddenOperation operation) {
  const auto value = static_cast<uint16_t>(operation);
  return {kHookRequestType,
          kHookRequest,
          static_cast<uint8_t>(value & 0xff),
          static_cast<uint8_t>(value >> 8),
          0,
          0,
          0,
          0};
}

}  // namespace usbip::worker::test_hooks
