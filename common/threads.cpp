#include "common/threads.h"

#include <dirent.h>

#include <cerrno>
#include <memory>

#include "common/syscall.h"

namespace usbip {

int countThreads() {
  std::unique_ptr<DIR, int (*)(DIR*)> tasks(::opendir("/proc/self/task"), &::closedir);
  if (!tasks) throwErrno(errno, "opendir(/proc/self/task) to count threads");
  int threads = 0;
  while (const dirent* entry = ::readdir(tasks.get())) {
    if (entry->d_name[0] != '.') ++threads;
  }
  return threads;
}

}  // namespace usbip
