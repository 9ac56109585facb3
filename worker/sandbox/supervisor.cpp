// Both ends of the supervisor lifeline: the supervisor itself, and the worker's tie to it.
#include "worker/sandbox/supervisor.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <exception>
#include <stdexcept>

#include "common/syscall.h"

namespace usbip::worker::sandbox {

namespace {

// Read by the signal handler, which can reach nothing else. One supervisor per process.
std::atomic<pid_t> supervisedWorker{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void forwardToWorker(int signal) {
  const int savedErrno = errno;
  ::kill(supervisedWorker.load(), signal);
  errno = savedErrno;
}

// A termination signal that arrives before this is in place kills the supervisor by its default
// action, and the worker with it (parent-death signal or lifeline): during start-up, before the
// worker could have installed a handler of its own, that is the more dependable way to stop.
void forwardSignalsTo(pid_t worker) {
  supervisedWorker = worker;
  struct sigaction action {};
  action.sa_handler = forwardToWorker;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int signal : kForwardedSignals) {
    checkSyscall(::sigaction(signal, &action, nullptr), "sigaction to forward a signal");
  }
}

int waitForExit(pid_t worker) {
  int status = 0;
  retrySyscall("waitpid(worker)", [&] { return ::waitpid(worker, &status, 0); });
  return status;
}

// The supervisor has no capabilities, no core dumps (RLIMIT_CORE 0), and is not dumpable, so
// dying of the worker's SIGSYS or SIGSEGV leaves no core file behind.
[[noreturn]] void exitLike(int status) {
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  const int signal = WTERMSIG(status);
  ::signal(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);  // the signal's default action does not terminate (SIGCHLD, SIGWINCH)
}

}  // namespace

void superviseWorker(pid_t worker, UniqueFd lifeline, const Identity& identity) noexcept {
  const pid_t broker = ::getppid();
  try {
    const int keep[] = {lifeline.get()};
    closeAllFdsExcept(keep);
    dropSuperuser(identity);
    dropCapabilities();
    // Changing credentials cleared the parent-death signal. Armed again, a broker killed
    // outright (SIGKILL, OOM) takes this supervisor with it, and the worker follows through its
    // own parent-death signal, so the client's connection closes and vhci frees the port.
    checkSyscall(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
    if (::getppid() != broker) throw std::runtime_error("the broker exited during start-up");
    forwardSignalsTo(worker);
  } catch (const std::exception&) {
    // Nowhere to report it (stderr is /dev/null by now); a worker without a confined
    // supervisor is not started at all.
    ::kill(worker, SIGKILL);
    ::_exit(kSupervisorFailedExitCode);
  }
  int status = 0;
  try {
    status = waitForExit(worker);
  } catch (const std::exception&) {
    ::_exit(kSupervisorFailedExitCode);  // waitpid() fails only if the worker is not our child
  }
  exitLike(status);
}

void stayTiedToSupervisor(UniqueFd lifeline) {
  checkSyscall(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
  // The supervisor never writes: readable or hung up means its end is closed, so it died before
  // the parent-death signal was armed and nothing else would stop this worker.
  pollfd watch{.fd = lifeline.get(), .events = POLLIN, .revents = 0};
  const int ready = retrySyscall("poll(supervisor lifeline)", [&] { return ::poll(&watch, 1, 0); });
  if (ready > 0) {
    spdlog::error("worker sandbox: the supervisor exited during start-up; stopping");
    ::_exit(kSupervisorFailedExitCode);
  }
}

}  // namespace usbip::worker::sandbox
