// Step 1: closeOtherFds().
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <memory>
#include <string_view>
#include <vector>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

namespace {

// Kernels before 5.9 have no close_range(). Listing /proc/self/fd takes an fd of its own, so the
// numbers are collected first and closed after the listing is closed.
void closeRangeByListing(unsigned first, unsigned last) {
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir("/proc/self/fd"), &::closedir);
  if (!listing) throwErrno(errno, "opendir(/proc/self/fd) to close inherited fds");
  const int listingFd = ::dirfd(listing.get());
  std::vector<int> toClose;
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string_view name = entry->d_name;
    unsigned fd = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (error != std::errc{} || end != name.data() + name.size()) continue;  // "." and ".."
    if (fd >= first && fd <= last && static_cast<int>(fd) != listingFd) {
      toClose.push_back(static_cast<int>(fd));
    }
  }
  listing.reset();
  for (const int fd : toClose) {
    ::close(fd);
  }
}

void closeRange(unsigned first, unsigned last) {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  if (errno != ENOSYS) throwErrno(errno, "close_range(" + std::to_string(first) + ", ...)");
  closeRangeByListing(first, last);
}

// A closed standard fd would be reused by the next fd the worker gets (a received usbfs fd, say)
// and then receive whatever a library prints to stdout.
void pointAtDevNull(std::span<const int> keep) {
  UniqueFd devNull(
      retrySyscall("open(/dev/null)", [] { return ::open("/dev/null", O_RDWR | O_CLOEXEC); }));
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (std::find(keep.begin(), keep.end(), fd) != keep.end() || fd == devNull.get()) continue;
    checkSyscall(::dup2(devNull.get(), fd), "dup2(/dev/null, " + std::to_string(fd) + ")");
  }
  // Landed on a free standard fd itself: it stays open as that fd.
  if (devNull.get() <= STDERR_FILENO) (void)devNull.release();
}

}  // namespace

void closeAllFdsExcept(std::span<const int> keep) {
  std::vector<int> sorted(keep.begin(), keep.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  unsigned next = 0;
  for (const int fd : sorted) {
    const auto kept = static_cast<unsigned>(fd);
    if (kept > next) closeRange(next, kept - 1);
    next = kept + 1;
  }
  closeRange(next, UINT_MAX);
}

void closeOtherFds(std::span<const int> keep) {
  closeAllFdsExcept(keep);
  pointAtDevNull(keep);
}

}  // namespace usbip::worker::sandbox
