// Step 6: setResourceLimits().
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <string>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

namespace {

// Soft and hard limit alike: without CAP_SYS_RESOURCE a hard limit can only ever go down.
void setLimit(int resource, const char* name, rlim_t value) {
  const rlimit limit{value, value};
  checkSyscall(::setrlimit(resource, &limit),
               std::string("setrlimit(") + name + ", " + std::to_string(value) + ")");
}

}  // namespace

void setResourceLimits(const ResourceCaps& caps) {
  // No new processes or threads (seccomp forbids clone as well; this holds even for a call the
  // filter would let through by mistake).
  setLimit(RLIMIT_NPROC, "RLIMIT_NPROC", 0);
  // No file may grow: the worker writes sockets, pipes and the usbfs device only.
  setLimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0);
  // RLIMIT_DATA rather than RLIMIT_AS: it counts the heap and all private writable mappings
  // (what a flood of URB buffers would grow), not address space reserved but never used.
#if defined(__SANITIZE_ADDRESS__)
  spdlog::warn(
      "worker sandbox: AddressSanitizer build; its shadow memory exceeds any "
      "RLIMIT_DATA, so the memory cap of {} bytes is not applied",
      caps.memoryBytes);
#else
  setLimit(RLIMIT_DATA, "RLIMIT_DATA", caps.memoryBytes);
#endif
  setLimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", caps.fds);
}

}  // namespace usbip::worker::sandbox
