#include "fuzz/end_when_idle.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common/syscall.h"
#include "fuzz/check.h"

namespace usbip::fuzz {
namespace {

int unreadBytes(int socket) {
  int bytes = 0;
  checkSyscall(::ioctl(socket, FIONREAD, &bytes), "ioctl(FIONREAD) on a fuzzed session socket");
  return bytes;
}

}  // namespace

EndWhenIdle::Observation EndWhenIdle::observe(std::vector<pollfd> deviceFds) const {
  Observation now;
  int ready = retrySyscall("poll the simulated device", [&] {
    return ::poll(deviceFds.data(), static_cast<nfds_t>(deviceFds.size()), 0);
  });
  now.deviceIdle = ready == 0 && !device_.nextTimeout();
  now.unreadInput = unreadBytes(engineSocket_);
  now.unreadReplies = unreadBytes(clientSocket_);
  return now;
}

std::vector<pollfd> EndWhenIdle::pollFds() {
  std::vector<pollfd> fds = device_.pollFds();
  if (ended_) return fds;
  FUZZ_REQUIRE(++turns_ < kMaxTurns);  // the device keeps itself busy forever
  Observation now = observe(fds);
  if (now.deviceIdle && previous_ == now) {
    checkSyscall(::shutdown(clientSocket_, SHUT_WR), "shutdown of the fuzzing client's socket");
    ended_ = true;
  } else {
    turnNow_ = now.deviceIdle;  // look again after one more turn of the loop
  }
  previous_ = now;
  return fds;
}

std::optional<std::chrono::milliseconds> EndWhenIdle::nextTimeout() {
  if (turnNow_) {
    turnNow_ = false;
    return std::chrono::milliseconds(0);
  }
  return device_.nextTimeout();
}

}  // namespace usbip::fuzz
