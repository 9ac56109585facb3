// What enterSandbox() checks and gathers while the host's files are still reachable, before the
// first confinement step.
#pragma once

#include <cstdint>
#include <span>

#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

// The sandbox forks and installs a per-thread seccomp filter: another thread would be left
// behind unconfined (or lost in the fork). Throws std::logic_error naming the thread count.
void requireSingleThreaded();

// Each kept fd must be open, below `fdCap` (RLIMIT_NOFILE caps fd numbers), and neither a
// directory nor a regular file: either would reach the host file system, and a regular file
// written to under RLIMIT_FSIZE 0 kills the writer with SIGXFSZ. Throws std::invalid_argument.
void requireAcceptableKeptFds(std::span<const int> keepFds, uint64_t fdCap);

// Who to become: the config's uid/gid, else the user named in the config, else 65534 with a
// warning. Started unprivileged, the caller's own ids inside a user namespace. Throws
// std::invalid_argument for a half-set or root identity, or when unprivileged without a user
// namespace allowed.
Identity resolveIdentity(const SandboxConfig& config);

// Makes libc and libcap-ng load now what they would otherwise load on first use from files that
// will be gone (the time zone, the unwinder behind backtrace(), the last capability number).
void warmUpLazyInitialisation();

}  // namespace usbip::worker::sandbox
