// Step 1 on its own, both ways it can close: close_range(), and the /proc/self/fd listing used
// where the kernel lacks close_range() (simulated with a filter that answers ENOSYS).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {
namespace {

bool isOpen(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

// In a child: opens a few fds, closes all but one of them (and stderr), and reports by exit code.
int closeInChild(bool withoutCloseRange) {
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (withoutCloseRange) {
      scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
      if (filter == nullptr ||
          seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0) != 0 ||
          seccomp_load(filter) != 0) {
        ::_exit(10);
      }
      seccomp_release(filter);
    }
    const int first = ::open("/dev/null", O_RDONLY);
    const int kept = ::open("/dev/null", O_RDONLY);
    const int last = ::open("/dev/null", O_RDONLY);
    if (first < 0 || kept < 0 || last < 0) ::_exit(11);
    const int keep[] = {STDERR_FILENO, kept};
    closeAllFdsExcept(keep);
    if (isOpen(first) || isOpen(last) || isOpen(STDIN_FILENO)) ::_exit(1);
    if (!isOpen(kept) || !isOpen(STDERR_FILENO)) ::_exit(2);
    ::_exit(0);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(CloseOtherFds, ClosesEverythingButTheKeptFdsWithCloseRange) {
  EXPECT_EQ(closeInChild(/*withoutCloseRange=*/false), 0)
      << "1: an fd stayed open, 2: a kept fd was closed";
}

TEST(CloseOtherFds, ClosesEverythingButTheKeptFdsByListingProc) {
  EXPECT_EQ(closeInChild(/*withoutCloseRange=*/true), 0)
      << "1: an fd stayed open, 2: a kept fd was closed, 10: no seccomp to simulate old kernels";
}

}  // namespace
}  // namespace usbip::worker::sandbox
