#include "worker/sandbox/preparation.h"

#include <cap-ng.h>
#include <execinfo.h>
#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <string>

#include "common/syscall.h"
#include "common/threads.h"

namespace usbip::worker::sandbox {

void requireSingleThreaded() {
  const int threads = countThreads();
  if (threads != 1) {
    throw std::logic_error("enterSandbox: the process has " + std::to_string(threads) +
                           " threads; the sandbox must be entered while single-threaded");
  }
}

void requireAcceptableKeptFds(std::span<const int> keepFds, uint64_t fdCap) {
  for (const int fd : keepFds) {
    const std::string name = "SandboxConfig.keepFds: fd " + std::to_string(fd);
    if (fd < 0) throw std::invalid_argument(name + " is negative");
    if (static_cast<uint64_t>(fd) >= fdCap) {
      throw std::invalid_argument(name + " is not below fdCap " + std::to_string(fdCap) +
                                  " (RLIMIT_NOFILE caps fd numbers)");
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
      throw std::invalid_argument(name + " is not open");
    }
    if (S_ISDIR(status.st_mode)) {
      throw std::invalid_argument(name + " is a directory: a path back to the host file system");
    }
    if (S_ISREG(status.st_mode)) {
      throw std::invalid_argument(
          name +
          " is a regular file: the worker may not write host files (RLIMIT_FSIZE 0); give it a "
          "pipe, socket or terminal (for stderr: run under journald or a pipe, not 2>file)");
    }
  }
}

void warmUpLazyInitialisation() {
  // localtime_r() reads /etc/localtime once; spdlog calls it for every timestamp.
  ::tzset();
  // The first backtrace() dlopen()s the unwinder; kj exceptions take a backtrace.
  void* frame = nullptr;
  ::backtrace(&frame, 1);
  // libcap-ng learns the last capability number from /proc on first use and keeps it.
  capng_clear(CAPNG_SELECT_BOTH);
}

}  // namespace usbip::worker::sandbox
