// Copies what a worker writes to its stderr onto the broker's stderr, whole lines at a time.
//
// Each worker gets a pipe as its stderr rather than the broker's own: the worker's sandbox
// refuses a regular file there (RLIMIT_FSIZE 0 would kill it at its first log line), and the
// broker's stderr may well be one (a log file, a test harness). A pipe is always acceptable.
#pragma once

#include <kj/async-io.h>

namespace usbip {

// Resolves when the worker's end of the pipe is closed (the worker has exited).
kj::Promise<void> relayWorkerLog(kj::Own<kj::AsyncInputStream> from);

}  // namespace usbip
