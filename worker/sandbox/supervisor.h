// The parent left outside the worker's PID namespace (see namespaces.cpp for why it exists).
#pragma once

#include <sys/types.h>

#include "common/unique_fd.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

// Exit code of a supervisor that could not confine itself (it kills the worker first), and of a
// worker that finds its supervisor already gone.
inline constexpr int kSupervisorFailedExitCode = 71;  // EX_OSERR

// Runs in the parent after the fork: closes every fd but `lifeline` (whose closing tells the
// worker that its supervisor died), drops to `identity` without capabilities, forwards SIGTERM,
// SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the worker, waits for it, and then exits with
// its exit code or dies of its fatal signal. Never returns into the caller's code.
[[noreturn]] void superviseWorker(pid_t worker, UniqueFd lifeline,
                                  const Identity& identity) noexcept;

}  // namespace usbip::worker::sandbox
