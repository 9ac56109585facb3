#include "client-helper/deadline_io.h"

#include <poll.h>
#include <unistd.h>

#include "common/syscall.h"
#include "protocol/errors.h"

namespace usbip::client {

size_t readSomeBefore(const UniqueFd& fd, std::span<uint8_t> buffer, Clock::time_point deadline,
                      const std::string& what) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      throw proto::ProtocolError(proto::Rule::F11, what, "no complete reply before the timeout");
    }
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = retrySyscall("poll while reading " + what,
                                   [&] { return ::poll(&p, 1, static_cast<int>(left)); });
    if (ready == 0) continue;  // the deadline check above reports the timeout
    const ssize_t n = retrySyscall("read " + what,
                                   [&] { return ::read(fd.get(), buffer.data(), buffer.size()); });
    return static_cast<size_t>(n);
  }
}

size_t readFullBefore(const UniqueFd& fd, std::span<uint8_t> buffer, Clock::time_point deadline,
                      const std::string& what) {
  size_t done = 0;
  while (done < buffer.size()) {
    const size_t n = readSomeBefore(fd, buffer.subspan(done), deadline, what);
    if (n == 0) break;
    done += n;
  }
  return done;
}

}  // namespace usbip::client
