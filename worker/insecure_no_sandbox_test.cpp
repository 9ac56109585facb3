// Component test: the real usbip-worker binary runs unconfined only when told so explicitly with
// --insecure-no-sandbox, and then says so at critical level; started as usbip-host starts it,
// it enters the sandbox. (usbip-host never passes the flag: its workers get --log-level only.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "broker/worker_process.h"
#include "common/syscall.h"
#include "common/unique_fd.h"

namespace usbip {
namespace {

struct WorkerRun {
  int exitStatus = -1;
  std::string log;
};

// Starts usbip-worker as the broker does (IPC socket on fd 3, log on stderr), but with the
// broker's end already closed: the worker confines itself (or not), finds nobody to talk to and
// exits. Returns what it logged.
WorkerRun runWorkerWithoutBroker(std::vector<std::string> args) {
  int pair[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), "socketpair");
  UniqueFd brokerEnd(pair[0]), workerEnd(pair[1]);
  int pipe[2];
  checkSyscall(::pipe2(pipe, O_CLOEXEC), "pipe2");
  UniqueFd logRead(pipe[0]), logWrite(pipe[1]);

  const pid_t pid = spawnWorkerProgram(USBIP_WORKER_PATH, args, workerEnd, logWrite);
  workerEnd.reset();
  logWrite.reset();
  brokerEnd.reset();

  WorkerRun run;
  char chunk[4096];
  for (ssize_t n; (n = ::read(logRead.get(), chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    run.log.append(chunk, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) run.exitStatus = WEXITSTATUS(status);
  return run;
}

constexpr const char* kWarning =
    "critical: * --insecure-no-sandbox: the worker runs WITHOUT its sandbox.";
constexpr const char* kEntered = "worker sandbox entered";

TEST(InsecureNoSandbox, TheFlagIsLoggedAtCritical) {
  const auto run = runWorkerWithoutBroker({"--insecure-no-sandbox", "--log-level", "info"});
  EXPECT_NE(run.log.find(kWarning), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("never serve an untrusted client like this"), std::string::npos)
      << run.log;
  EXPECT_EQ(run.log.find(kEntered), std::string::npos) << run.log;
}

TEST(InsecureNoSandbox, EvenAtLogLevelErrorTheWarningIsShown) {
  const auto run = runWorkerWithoutBroker({"--insecure-no-sandbox", "--log-level", "error"});
  EXPECT_NE(run.log.find(kWarning), std::string::npos) << run.log;
}

TEST(InsecureNoSandbox, WithoutTheFlagTheWorkerEntersItsSandbox) {
  if (::geteuid() != 0) GTEST_SKIP() << "the sandbox as usbip-host starts it needs root";
  const auto run = runWorkerWithoutBroker({"--log-level", "info"});
  EXPECT_NE(run.log.find(kEntered), std::string::npos) << run.log;
  EXPECT_EQ(run.log.find("WITHOUT its sandbox"), std::string::npos) << run.log;
  EXPECT_NE(run.exitStatus, 0) << "nobody to serve: the worker must fail";
}

}  // namespace
}  // namespace usbip
