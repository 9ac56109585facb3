// Test support: run a piece of code in a forked child that has entered the real sandbox, look at
// it from the parent while it runs, and learn how it ended. No gtest assertion runs in the child;
// it reports through its exit code and its control socket.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "common/unique_fd.h"
#include "worker/sandbox/sandbox.h"

namespace usbip::worker::testing {

// How the forked child ended, as its starter (the test) sees it through the supervisor.
struct ChildOutcome {
  bool exited = false;
  int exitCode = -1;
  int signal = 0;
  std::string describe() const;
};

// The child's code: runs inside the sandbox with its end of the control socket (kept open by
// the sandbox) and returns the child's exit code.
using SandboxedBody = std::function<int(int control)>;

// Runs in the child before it enters the sandbox, as the worker's own start-up would, and may add
// to the config (fds to keep). The default sets up logging to stderr like the worker does.
using ChildSetup = std::function<void(SandboxConfig&)>;
void logToStderrLikeTheWorker(SandboxConfig&);

// Exit code of a child whose enterSandbox() threw (the message goes to stderr).
inline constexpr int kEnterSandboxThrew = 90;

class SandboxedChild {
 public:
  // Forks; the child enters the sandbox with `config` plus its control socket, then runs `body`.
  SandboxedChild(SandboxConfig config, SandboxedBody body,
                 ChildSetup setup = logToStderrLikeTheWorker);
  SandboxedChild(const SandboxedChild&) = delete;
  SandboxedChild& operator=(const SandboxedChild&) = delete;
  ~SandboxedChild();  // kills and reaps a child not yet waited for

  // The parent's end of the control socket.
  const UniqueFd& control() const { return control_; }
  // The process the test forked, which became the supervisor.
  pid_t supervisorPid() const { return supervisor_; }
  // The sandboxed worker, as seen from the test's PID namespace: the supervisor's only child.
  pid_t workerPid() const;

  // Blocks until the body calls signalReady(); false if the child ended first.
  bool waitUntilReady();
  // Lets a body blocked in awaitParent() go on.
  void release();
  ChildOutcome wait();

 private:
  UniqueFd control_;
  pid_t supervisor_ = -1;
  bool reaped_ = false;
};

// Forks, enters, runs `body` and waits: for bodies that need nothing from the parent.
ChildOutcome runSandboxed(SandboxConfig config, SandboxedBody body,
                          ChildSetup setup = logToStderrLikeTheWorker);

// In the body: tell the parent the sandbox is entered, and wait for its go-ahead.
void signalReady(int control);
void awaitParent(int control);

// In the parent: /proc/PID/status as key -> value ("CapEff" -> "0000000000000000").
std::map<std::string, std::string> procStatus(pid_t pid);
// The target of /proc/PID/ns/NAME ("mnt:[4026531841]").
std::string namespaceOf(const std::string& pid, const std::string& name);

// The config the tests start from: the test user is 65534, so tests do not depend on whether
// the system has the usbip-worker user.
SandboxConfig testConfig();

}  // namespace usbip::worker::testing
