// The confinement steps enterSandbox() runs, one function each, declared in the order they run.
// Internal to the sandbox library: the worker calls enterSandbox(); tests call a step directly only
// to show that the self-check refuses an unconfined process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>

#include "common/unique_fd.h"

namespace usbip::worker::sandbox {

// The unprivileged identity the worker (and its supervisor) switch to.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  // True when started unprivileged: the identity is then the caller's own, mapped 1:1 into a
  // new user namespace, and supplementary groups cannot be dropped (setgroups is denied there).
  bool inUserNamespace = false;
};

struct ResourceCaps {
  uint64_t memoryBytes = 0;
  uint64_t fds = 0;
};

// Step 1. Closes every fd except `keep` (sorted or not). Standard fds 0-2 that are not kept are
// pointed at /dev/null instead of being closed, so that no fd opened or received later can take
// the number 1 or 2 and receive a stray write meant for the terminal.
void closeOtherFds(std::span<const int> keep);

// The closing half of step 1 alone, for the supervisor: it has no use for /dev/null and may not
// find one, since it shares the mount namespace the worker is emptying in step 3.
void closeAllFdsExcept(std::span<const int> keep);

// Step 2. New mount, PID, IPC, UTS and network namespaces (and a user namespace when
// identity.inUserNamespace). Forks once so that the caller continues as PID 1 of the new PID
// namespace; the parent becomes the supervisor and never returns. Returns, in the child, the read
// end of a pipe whose write end only the supervisor holds (see stayTiedToSupervisor).
UniqueFd unshareNamespaces(const Identity& identity);

// Step 3. Makes every mount private, mounts an empty tmpfs, pivots into it, detaches the old root
// and remounts the new one read-only, so no host file can be reached by path.
void setupEmptyRoot();

// Step 4. setgroups(0), setresgid, setresuid to the worker identity. Keeps the permitted
// capabilities across the switch (PR_SET_KEEPCAPS) so that step 5 can still empty the bounding
// set, which takes CAP_SETPCAP.
void dropSuperuser(const Identity& identity);

// Ties the worker's life to its supervisor's: PR_SET_PDEATHSIG(SIGKILL), then a look at the
// lifeline in case the supervisor died before that took effect. Runs after step 4 because a uid
// change clears the parent-death signal.
void stayTiedToSupervisor(UniqueFd lifeline);

// Step 5. Empties every capability set with libcap-ng (effective, permitted, inheritable,
// bounding, ambient), then PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0 and RLIMIT_CORE 0.
void dropCapabilities();

// Step 6. RLIMIT_NPROC 0, RLIMIT_FSIZE 0, RLIMIT_DATA and RLIMIT_NOFILE caps.
void setResourceLimits(const ResourceCaps& caps);

// Step 8, first half: every check that seccomp would turn into a kill (opening a file, creating a
// socket) runs now, just before the filter goes in. Exits with kSandboxSelfCheckFailedExitCode
// when anything that must fail succeeds.
void checkConfinementBeforeSeccomp(const Identity& identity, const ResourceCaps& caps);

// Step 7. Installs the allowlist (syscall_allowlist.h) with libseccomp; anything else kills the
// whole process with SIGSYS.
void installSeccompFilter();

// Step 8, second half: the filter is in force (PR_GET_SECCOMP reports mode 2), else exits with
// kSandboxSelfCheckFailedExitCode.
void checkSeccompActive();

}  // namespace usbip::worker::sandbox
