#include "client-helper/stop_signals.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "common/syscall.h"

namespace usbip::client {

StopSignals::StopSignals() {
  sigset_t stopping;
  sigemptyset(&stopping);
  sigaddset(&stopping, SIGINT);
  sigaddset(&stopping, SIGTERM);
  const int rc = ::pthread_sigmask(SIG_BLOCK, &stopping, &previous_);
  if (rc != 0) throwErrno(rc, "block SIGINT and SIGTERM");
  fd_ = UniqueFd(checkSyscall(::signalfd(-1, &stopping, SFD_CLOEXEC | SFD_NONBLOCK),
                              "signalfd for SIGINT and SIGTERM"));
}

bool StopSignals::take() {
  signalfd_siginfo info{};
  const ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  checkSyscall(n, "read the stop signal");
  return true;
}

StopSignals::~StopSignals() {
  fd_.reset();
  ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace usbip::client
