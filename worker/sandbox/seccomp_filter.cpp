// Step 7: installSeccompFilter(). The mechanism only; the policy is syscall_allowlist.cpp.
#include "worker/sandbox/seccomp_filter.h"

#include <seccomp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"
#include "worker/sandbox/syscall_allowlist.h"

namespace usbip::worker::sandbox {

namespace {

// The kernel reads ioctl requests, fcntl commands and prctl options as 32-bit ints, so the filter
// compares exactly those bits: what it lets through is what the kernel will act on, whatever a
// caller leaves in the upper half of the register.
constexpr uint64_t kLow32Bits = 0xffffffffu;

// libseccomp returns negative errno values instead of setting errno.
void checkSeccomp(int rc, const std::string& what) {
  if (rc < 0) throwErrno(-rc, what);
}

uint32_t actionFor(int refuseWith) {
  return refuseWith == 0 ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(static_cast<uint32_t>(refuseWith));
}

void addRule(scmp_filter_ctx filter, const AllowedSyscall& row, int number) {
  const std::string what = "seccomp_rule_add(" + std::string(row.name) + ")";
  switch (row.rule) {
    case ArgumentRule::kAny:
      checkSeccomp(seccomp_rule_add(filter, actionFor(row.refuseWith), number, 0), what);
      return;
    case ArgumentRule::kOneOf:
      for (const PermittedValue& permitted : row.values) {
        const scmp_arg_cmp comparison{row.argument, SCMP_CMP_MASKED_EQ, kLow32Bits,
                                      permitted.value & kLow32Bits};
        checkSeccomp(
            seccomp_rule_add_array(filter, actionFor(permitted.refuseWith), number, 1, &comparison),
            what + " " + std::string(permitted.name));
      }
      return;
    case ArgumentRule::kWithoutBits: {
      const scmp_arg_cmp comparison{row.argument, SCMP_CMP_MASKED_EQ, row.forbiddenBits, 0};
      checkSeccomp(
          seccomp_rule_add_array(filter, actionFor(row.refuseWith), number, 1, &comparison), what);
      return;
    }
    case ArgumentRule::kOwnProcess: {
      const scmp_arg_cmp comparison{row.argument, SCMP_CMP_EQ,
                                    static_cast<scmp_datum_t>(::getpid()), 0};
      checkSeccomp(
          seccomp_rule_add_array(filter, actionFor(row.refuseWith), number, 1, &comparison), what);
      return;
    }
  }
}

}  // namespace

SeccompFilter buildSeccompFilter() {
  // Killing the whole process, not the thread: a half-dead worker must not keep serving.
  SeccompFilter filter(seccomp_init(SCMP_ACT_KILL_PROCESS), &seccomp_release);
  if (!filter) throwErrno(ENOMEM, "seccomp_init");
  // A system call through another ABI (int 0x80 on x86_64, x32 numbers) is killed as well rather
  // than checked against numbers that mean something else there.
  checkSeccomp(seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
               "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)");

  for (const AllowedSyscall& row : syscallAllowlist()) {
    const int number = seccomp_syscall_resolve_name(std::string(row.name).c_str());
    if (number == __NR_SCMP_ERROR) {
      // Legacy calls (poll, epoll_wait, readlink) do not exist on newer architectures such as
      // aarch64; their modern spellings are in the table too.
      spdlog::debug("worker sandbox: {} does not exist on this architecture", row.name);
      continue;
    }
    addRule(filter.get(), row, number);
  }
  return filter;
}

void installSeccompFilter() {
  const SeccompFilter filter = buildSeccompFilter();
  checkSeccomp(seccomp_load(filter.get()), "seccomp_load");
}

}  // namespace usbip::worker::sandbox
