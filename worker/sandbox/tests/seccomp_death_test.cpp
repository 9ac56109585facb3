// Death tests under the real filter: each forbidden call, made raw (no libc wrapper deciding
// anything), must kill the sandboxed child with SIGSYS; each refused call must fail with its
// errno and let the child live.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/usbdevice_fs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "worker/sandbox/tests/sandboxed_child.h"

namespace usbip::worker::testing {
namespace {

#define SKIP_UNLESS_SANDBOX_AVAILABLE()                                          \
  do {                                                                           \
    if (const auto reason = sandboxUnavailableReason()) GTEST_SKIP() << *reason; \
  } while (false)

// Returns only if the call came back, which for these is the failure.
struct ForbiddenCall {
  const char* name;
  int (*attempt)(int control);
};

constexpr int kSurvived = 100;

const char* const kNoArguments[] = {nullptr};

const ForbiddenCall kForbiddenCalls[] = {
    {"openat",
     [](int) {
       ::syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
       return kSurvived;
     }},
    {"open",
     [](int) {
       ::syscall(SYS_open, "/etc/passwd", O_RDONLY);
       return kSurvived;
     }},
    {"socket",
     [](int) {
       ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
       return kSurvived;
     }},
    {"socketpair",
     [](int) {
       int ends[2];
       ::syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, ends);
       return kSurvived;
     }},
    {"connect",
     [](int control) {
       sockaddr_un address{};
       address.sun_family = AF_UNIX;
       ::syscall(SYS_connect, control, &address, sizeof address);
       return kSurvived;
     }},
    {"execve",
     [](int) {
       ::syscall(SYS_execve, "/bin/true", kNoArguments, kNoArguments);
       return kSurvived;
     }},
    {"execveat",
     [](int) {
       ::syscall(SYS_execveat, AT_FDCWD, "/bin/true", kNoArguments, kNoArguments, 0);
       return kSurvived;
     }},
    {"ptrace",
     [](int) {
       ::syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
       return kSurvived;
     }},
    {"mount",
     [](int) {
       ::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr);
       return kSurvived;
     }},
    {"fork",
     [](int) {
       ::syscall(SYS_fork);
       return kSurvived;
     }},
    {"clone",
     [](int) {
       ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
       return kSurvived;
     }},
    {"clone3",
     [](int) {
       ::syscall(SYS_clone3, nullptr, 0);
       return kSurvived;
     }},
    {"unshare",
     [](int) {
       ::syscall(SYS_unshare, CLONE_NEWUSER);
       return kSurvived;
     }},
    {"bpf",
     [](int) {
       ::syscall(SYS_bpf, 0, nullptr, 0);
       return kSurvived;
     }},
    {"keyctl",
     [](int) {
       ::syscall(SYS_keyctl, 0, 0, 0, 0, 0);
       return kSurvived;
     }},
    {"kill",
     [](int) {
       ::syscall(SYS_kill, 1, 0);
       return kSurvived;
     }},
    {"tgkill_another_process",
     [](int) {
       ::syscall(SYS_tgkill, 2, 2, 0);
       return kSurvived;
     }},
    {"setuid",
     [](int) {
       ::syscall(SYS_setuid, 0);
       return kSurvived;
     }},
    {"ioctl_TIOCSTI",
     [](int control) {
       char byte = 'x';
       ::syscall(SYS_ioctl, control, TIOCSTI, &byte);
       return kSurvived;
     }},
    {"ioctl_USBDEVFS_ALLOC_STREAMS",
     [](int control) {
       ::syscall(SYS_ioctl, control, USBDEVFS_ALLOC_STREAMS, nullptr);
       return kSurvived;
     }},
    {"ioctl_USBDEVFS_CLAIM_PORT",
     [](int control) {
       ::syscall(SYS_ioctl, control, USBDEVFS_CLAIM_PORT, nullptr);
       return kSurvived;
     }},
    {"mmap_executable",
     [](int) {
       ::syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                 0);
       return kSurvived;
     }},
    {"mprotect_executable",
     [](int) {
       static char page[4096] __attribute__((aligned(4096)));
       ::syscall(SYS_mprotect, page, sizeof page, PROT_READ | PROT_EXEC);
       return kSurvived;
     }},
    {"prctl_set_dumpable",
     [](int) {
       ::syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
       return kSurvived;
     }},
#if defined(__x86_64__)
    // The x32 ABI reuses the x86_64 audit arch with bit 30 set in the number.
    {"x32_getpid",
     [](int) {
       ::syscall(0x40000000 | SYS_getpid);
       return kSurvived;
     }},
#endif
};

class SeccompDeathTest : public ::testing::TestWithParam<ForbiddenCall> {};

TEST_P(SeccompDeathTest, KillsTheWorkerWithSigsys) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  const auto outcome = runSandboxed(testConfig(), GetParam().attempt);
  EXPECT_FALSE(outcome.exited) << GetParam().name << ": " << outcome.describe();
  EXPECT_EQ(outcome.signal, SIGSYS) << GetParam().name << ": " << outcome.describe();
}

INSTANTIATE_TEST_SUITE_P(ForbiddenCalls, SeccompDeathTest, ::testing::ValuesIn(kForbiddenCalls),
                         [](const auto& call) { return std::string(call.param.name); });

#if defined(__x86_64__)
// The 32-bit entry point would reach the i386 table, where the numbers mean other calls.
TEST(SeccompDeathTest, I386EntryPointKillsTheWorker) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  const auto outcome = runSandboxed(testConfig(), [](int) {
    long result = 20;  // getpid on i386
    asm volatile("int $0x80" : "+a"(result) : : "memory");
    return kSurvived;
  });
  if (outcome.signal == SIGSEGV) GTEST_SKIP() << "this kernel has no IA32 emulation";
  EXPECT_EQ(outcome.signal, SIGSYS) << outcome.describe();
}
#endif

// Calls a library makes on its own and copes with being refused: an errno, not a kill.
TEST(SeccompRefusals, AnswerWithTheirErrnoAndTheWorkerLivesOn) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  const auto outcome = runSandboxed(testConfig(), [](int control) {
    char target[64];
    if (::readlink("/proc/self/fd/0", target, sizeof target) != -1 || errno != ENOENT) return 1;
    usbdevfs_ioctl command{};
    if (::ioctl(control, USBDEVFS_IOCTL, &command) != -1 || errno != ENODATA) return 2;
    usbdevfs_disconnect_claim claim{};
    if (::ioctl(control, USBDEVFS_DISCONNECT_CLAIM, &claim) != -1 || errno != ENOTTY) return 3;
    if (::isatty(control) != 0 || errno != ENOTTY) return 4;
    // Permitted: reaches the socket, which does not know the request.
    unsigned capabilities = 0;
    if (::ioctl(control, USBDEVFS_GET_CAPABILITIES, &capabilities) != -1 || errno != ENOTTY) {
      return 5;
    }
    return 0;
  });
  EXPECT_TRUE(outcome.exited) << outcome.describe();
  EXPECT_EQ(outcome.exitCode, 0) << "the refusal that misbehaved is numbered in the body";
}

}  // namespace
}  // namespace usbip::worker::testing
