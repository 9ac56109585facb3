// Steps 4 and 5: dropSuperuser() and dropCapabilities().
#include <cap-ng.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

namespace {

// libcap-ng reports failure as -1 (or another negative number) and may leave errno unset.
void checkCapng(int rc, const std::string& what) {
  if (rc < 0) throwErrno(errno != 0 ? errno : EPERM, what);
}

}  // namespace

void dropSuperuser(const Identity& identity) {
  // The uid change would empty the permitted set; step 5 still needs CAP_SETPCAP from it to
  // empty the bounding set, and then drops everything itself.
  checkSyscall(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 1)");
  // In a user namespace setgroups() is denied (that was the price of the gid map).
  if (!identity.inUserNamespace) checkSyscall(::setgroups(0, nullptr), "setgroups(0)");
  checkSyscall(::setresgid(identity.gid, identity.gid, identity.gid),
               "setresgid(" + std::to_string(identity.gid) + ")");
  checkSyscall(::setresuid(identity.uid, identity.uid, identity.uid),
               "setresuid(" + std::to_string(identity.uid) + ")");
  checkSyscall(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 0)");
}

void dropCapabilities() {
  errno = 0;
  // Dropping from the bounding set takes CAP_SETPCAP in the effective set: raise it alone first
  // (it is still permitted, see dropSuperuser), which also empties every other set.
  capng_clear(CAPNG_SELECT_BOTH);
  checkCapng(capng_update(CAPNG_ADD, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                          CAP_SETPCAP),
             "capng_update(CAP_SETPCAP)");
  checkCapng(capng_apply(CAPNG_SELECT_CAPS), "capng_apply: keep only CAP_SETPCAP");

  // Applied one set at a time: capng_apply(CAPNG_SELECT_ALL) would report only the last result.
  capng_clear(CAPNG_SELECT_ALL);
  checkCapng(capng_apply(CAPNG_SELECT_BOUNDS), "capng_apply: empty the bounding set");
  checkCapng(capng_apply(CAPNG_SELECT_AMBIENT), "capng_apply: empty the ambient set");
  checkCapng(capng_apply(CAPNG_SELECT_CAPS), "capng_apply: empty effective/permitted/inheritable");

  // No exec could gain privileges back (and seccomp filters require it when unprivileged).
  checkSyscall(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
  // Not dumpable: no ptrace attach, no /proc/PID access by the same uid (another worker), no
  // core. Set after the uid change, which resets it to the fs.suid_dumpable default.
  checkSyscall(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE, 0)");
  const rlimit noCore{0, 0};
  checkSyscall(::setrlimit(RLIMIT_CORE, &noCore), "setrlimit(RLIMIT_CORE, 0)");
}

}  // namespace usbip::worker::sandbox
