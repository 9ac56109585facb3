// Starting and reaping usbip-worker processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace usbip {

// The worker's end of the IPC socketpair is always this descriptor in the worker.
inline constexpr int kWorkerIpcFd = 3;

struct WorkerCommand {
  std::string path;                            // the usbip-worker program
  std::string logLevel;                        // passed on as --log-level
  std::optional<unsigned> peerTimeoutSeconds;  // passed on as --peer-timeout when set
  bool usbfsMemory = true;                     // false: passed on as --no-usbfs-memory
};

// The usbip-worker that sits in the same directory as the running usbip-host.
std::string defaultWorkerPath();

// Starts the worker with `ipcEnd` as fd 3, `stderrEnd` as stderr, /dev/null as stdin, our
// stdout, and no other descriptor; with an empty environment, default signal dispositions, an
// empty signal mask and a session of its own (a terminal's ^C reaches the broker, which stops
// its workers).
pid_t spawnWorker(const WorkerCommand& command, const UniqueFd& ipcEnd, const UniqueFd& stderrEnd);
// The same with the program and its arguments (argv[1] on) given as they are; for the tests
// that start the real usbip-worker as the broker does, with arguments the broker never passes.
pid_t spawnWorkerProgram(const std::string& path, const std::vector<std::string>& arguments,
                         const UniqueFd& ipcEnd, const UniqueFd& stderrEnd);

// Waits for `pid` to exit without reaping it (the caller reaps it with reapWorker(), after it has
// stopped using the pid, so the pid cannot be reused while someone may still signal it).
void waitForExit(pid_t pid);
struct WorkerEnd {
  bool clean = false;            // exited with status 0
  std::string how;               // "exited with status 0", "killed by signal 9 (Killed)"
  uint64_t peakResidentKiB = 0;  // the largest resident size of the worker and its supervisor
};
// Reaps `pid` and says how it ended.
WorkerEnd reapWorker(pid_t pid);

}  // namespace usbip
