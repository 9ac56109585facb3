#include "broker/stop_signals.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/syscall.h"

namespace usbip {

StopSignals::StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (rc != 0) throwErrno(rc, "block SIGINT and SIGTERM");
  fd_ = UniqueFd(checkSyscall(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd"));
  // A client that vanishes mid-write must be an error return, not the end of the broker.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) throwErrno(errno, "ignore SIGPIPE");
}

int StopSignals::take() {
  signalfd_siginfo info{};
  const ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  checkSyscall(n, "read signalfd");
  return static_cast<int>(info.ssi_signo);
}

bool StopSignals::sleepFor(std::chrono::milliseconds duration) {
  pollfd pfd{fd_.get(), POLLIN, 0};
  const int ready = retrySyscall("wait for a stop signal", [&] {
    return ::poll(&pfd, 1, static_cast<int>(duration.count()));
  });
  return ready > 0 && take() != 0;
}

}  // namespace usbip
