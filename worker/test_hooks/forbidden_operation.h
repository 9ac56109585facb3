// Test only (usbip-worker-test-hooks): one forbidden operation, tried for real inside the
// sandboxed worker, so a test can see the seccomp filter and the limits act on it.
#pragma once

#include "worker/test_hooks/hook_request.h"

namespace usbip::worker::test_hooks {

// Tries `operation`. Returns the errno it was refused with, or 0 if it succeeded (which a test
// must report as a hole in the sandbox). Under the worker's filter most of them never return: the
// kernel kills the process with SIGSYS. kCrash never returns; kExhaustMemory throws
// std::bad_alloc once the memory cap is reached (std::runtime_error after 4 GiB without one).
// Throws std::invalid_argument for an unknown operation.
int attemptForbiddenOperation(ForbiddenOperation operation);

}  // namespace usbip::worker::test_hooks
