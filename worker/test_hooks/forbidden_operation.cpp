#include "worker/test_hooks/forbidden_operation.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace usbip::worker::test_hooks {
namespace {

// 0 when `rc` reports success, else the errno.
int outcome(long rc) {
  return rc >= 0 ? 0 : errno;
}

int openFile() {
  const int fd = ::open("/etc/passwd", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
  return outcome(fd);
}

int createSocket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) ::close(fd);
  return outcome(fd);
}

int exec() {
  char program[] = "/bin/true";
  char* argv[] = {program, nullptr};
  char* envp[] = {nullptr};
  return outcome(::execve(program, argv, envp));
}

int mountTmpfs() {
  return outcome(::mount("usbip-test-hook", "/", "tmpfs", 0, nullptr));
}

// A real fault, not raise(): PID 1 of a namespace ignores a signal it sends itself.
[[noreturn]] void crash() {
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw std::runtime_error("test hook: mmap of a PROT_NONE page failed");
  *static_cast<volatile char*>(page) = 1;
  throw std::logic_error("test hook: writing to a PROT_NONE page did not fault");
}

// Far above the sandbox's memory cap: where the cap is not in force (AddressSanitizer builds,
// a broken sandbox), the hook gives up here rather than take the machine's memory.
constexpr size_t kGiveUpMiB = 4096;

// Blocks of 1 MiB, each touched once, until the allocator fails; the blocks are freed again as
// the exception leaves.
[[noreturn]] void exhaustMemory() {
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kGiveUpMiB);
  try {
    while (blocks.size() < kGiveUpMiB) {
      blocks.push_back(std::make_unique<char[]>(1 << 20));
      static_cast<volatile char*>(blocks.back().get())[0] = 1;
    }
  } catch (const std::bad_alloc&) {
    spdlog::warn("test hook: memory cap reached after {} MiB", blocks.size());
    throw;
  }
  throw std::runtime_error("test hook: no memory cap: " + std::to_string(kGiveUpMiB) +
                           " MiB allocated");
}

int readOwnExecutable() {
  char target[256];
  return outcome(::readlink("/proc/self/exe", target, sizeof target));
}

}  // namespace

int attemptForbiddenOperation(ForbiddenOperation operation) {
  spdlog::warn("test hook: attempting forbidden operation {}", static_cast<int>(operation));
  switch (operation) {
    case ForbiddenOperation::kOpenFile:
      return openFile();
    case ForbiddenOperation::kCreateSocket:
      return createSocket();
    case ForbiddenOperation::kExec:
      return exec();
    case ForbiddenOperation::kPtrace:
      return outcome(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
    case ForbiddenOperation::kMount:
      return mountTmpfs();
    case ForbiddenOperation::kCrash:
      crash();
    case ForbiddenOperation::kExhaustMemory:
      exhaustMemory();
    case ForbiddenOperation::kReadlink:
      return readOwnExecutable();
  }
  throw std::invalid_argument("test hook: unknown operation " +
                              std::to_string(static_cast<int>(operation)));
}

}  // namespace usbip::worker::test_hooks
