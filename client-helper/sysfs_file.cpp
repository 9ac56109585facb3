#include "client-helper/sysfs_file.h"

#include <fcntl.h>
#include <unistd.h>

#include "client-helper/errors.h"
#include "common/syscall.h"
#include "common/unique_fd.h"

namespace usbip::client {

std::string readTextFile(const std::filesystem::path& file) {
  UniqueFd fd(retrySyscall("open " + file.string(),
                           [&] { return ::open(file.c_str(), O_RDONLY | O_CLOEXEC); }));
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = retrySyscall("read " + file.string(),
                                   [&] { return ::read(fd.get(), buffer, sizeof buffer); });
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

void writeAttribute(const std::filesystem::path& file, std::string_view text,
                    const std::string& action) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    throw NeedsRoot(action + " needs root: cannot write " + file.string() + " (permission denied)");
  }
  UniqueFd owned(checkSyscall(fd, "open " + file.string()));
  const std::string what = "write '" + std::string(text) + "' to " + file.string();
  const ssize_t n =
      retrySyscall(what, [&] { return ::write(owned.get(), text.data(), text.size()); });
  if (static_cast<size_t>(n) != text.size()) {
    throw std::runtime_error(what + ": only " + std::to_string(n) + " bytes were taken");
  }
}

}  // namespace usbip::client
