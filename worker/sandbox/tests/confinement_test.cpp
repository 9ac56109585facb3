// The sandbox as seen from outside: a forked child enters it, and the parent checks through
// /proc what the kernel says about the child.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"
#include "worker/sandbox/tests/sandboxed_child.h"

namespace usbip::worker::testing {
namespace {

#define SKIP_UNLESS_SANDBOX_AVAILABLE()                                          \
  do {                                                                           \
    if (const auto reason = sandboxUnavailableReason()) GTEST_SKIP() << *reason; \
  } while (false)

// The body for tests that inspect the child while it waits inside the sandbox.
int waitForParent(int control) {
  signalReady(control);
  awaitParent(control);
  return 0;
}

std::vector<std::string> entriesOf(const std::string& directory) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(directory.c_str()), &::closedir);
  if (!listing) return {"<cannot list " + directory + ">"};
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  return names;
}

TEST(WorkerSandbox, KernelReportsNoCapabilitiesNoNewPrivsAndSeccompFilter) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxedChild child(testConfig(), waitForParent);
  ASSERT_TRUE(child.waitUntilReady());
  const pid_t worker = child.workerPid();
  ASSERT_GT(worker, 0);

  auto status = procStatus(worker);
  EXPECT_EQ(status["CapEff"], "0000000000000000");
  EXPECT_EQ(status["CapPrm"], "0000000000000000");
  EXPECT_EQ(status["CapInh"], "0000000000000000");
  EXPECT_EQ(status["CapBnd"], "0000000000000000");
  EXPECT_EQ(status["CapAmb"], "0000000000000000");
  EXPECT_EQ(status["NoNewPrivs"], "1");
  EXPECT_EQ(status["Seccomp"], "2");
  EXPECT_EQ(status["Uid"], "65534\t65534\t65534\t65534");
  EXPECT_EQ(status["Gid"], "65534\t65534\t65534\t65534");
  EXPECT_EQ(status["Groups"], "");
  EXPECT_EQ(status["Threads"], "1");

  // The supervisor left outside holds no privileges either.
  auto supervisor = procStatus(child.supervisorPid());
  EXPECT_EQ(supervisor["CapEff"], "0000000000000000");
  EXPECT_EQ(supervisor["CapBnd"], "0000000000000000");
  EXPECT_EQ(supervisor["NoNewPrivs"], "1");
  EXPECT_EQ(supervisor["Uid"], "65534\t65534\t65534\t65534");

  child.release();
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0) << outcome.describe();
}

TEST(WorkerSandbox, ChildHasItsOwnMountPidIpcUtsAndNetworkNamespaces) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxedChild child(testConfig(), waitForParent);
  ASSERT_TRUE(child.waitUntilReady());
  const std::string worker = std::to_string(child.workerPid());

  for (const std::string name : {"mnt", "pid", "ipc", "uts", "net"}) {
    const std::string theirs = namespaceOf(worker, name);
    EXPECT_EQ(theirs.rfind(name + ":[", 0), 0u) << theirs;
    EXPECT_NE(theirs, namespaceOf("self", name)) << name;
  }
  // Started as root, the worker switches uid instead of entering a user namespace.
  EXPECT_EQ(namespaceOf(worker, "user"), namespaceOf("self", "user"));
  child.release();
}

TEST(WorkerSandbox, RootHoldsNoHostFiles) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxConfig config = testConfig();
  // Before the filter, the child can still look for itself; it reports over a pipe.
  int reportPipe[2];
  ASSERT_EQ(::pipe2(reportPipe, O_CLOEXEC), 0);
  UniqueFd reportRead(reportPipe[0]);
  UniqueFd reportWrite(reportPipe[1]);
  config.keepFds.push_back(reportWrite.get());
  config.testHookBeforeSeccomp = [fd = reportWrite.get()] {
    std::string report = std::to_string(entriesOf("/").size()) + " entries in /, ";
    report += ::open("/etc/passwd", O_RDONLY) < 0 ? "no /etc/passwd" : "/etc/passwd opens";
    [[maybe_unused]] const ssize_t ignored = ::write(fd, report.data(), report.size());
  };

  SandboxedChild child(config, waitForParent);
  reportWrite.reset();
  ASSERT_TRUE(child.waitUntilReady());
  char report[128] = {};
  ASSERT_GT(::read(reportRead.get(), report, sizeof report - 1), 0);
  EXPECT_STREQ(report, "0 entries in /, no /etc/passwd");

  // And from the parent's side, the child's root directory is the empty tmpfs.
  const pid_t worker = child.workerPid();
  EXPECT_TRUE(entriesOf("/proc/" + std::to_string(worker) + "/root").empty());
  EXPECT_FALSE(entriesOf("/").empty());  // while ours is not
  child.release();
}

TEST(WorkerSandbox, OnlyTheKeptFdsStayOpen) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  // Inherited without close-on-exec, as a careless parent would hand it down.
  UniqueFd inherited(::open("/etc/hostname", O_RDONLY));
  ASSERT_TRUE(inherited);
  SandboxedChild child(testConfig(), waitForParent);
  ASSERT_TRUE(child.waitUntilReady());
  const std::string fds = "/proc/" + std::to_string(child.workerPid()) + "/fd/";
  auto open = entriesOf(fds);
  std::sort(open.begin(), open.end());
  // 0 and 1 point at /dev/null; 2 (the log) and the control socket were kept.
  ASSERT_EQ(open.size(), 4u) << ::testing::PrintToString(open);
  char target[64] = {};
  ASSERT_GT(::readlink((fds + "0").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/dev/null");
  child.release();
}

TEST(WorkerSandbox, WorkerIsPidOneAndItsExitCodeReachesTheStarter) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  const auto outcome = runSandboxed(testConfig(), [](int) { return ::getpid() == 1 ? 42 : 1; });
  EXPECT_TRUE(outcome.exited) << outcome.describe();
  EXPECT_EQ(outcome.exitCode, 42);
}

TEST(WorkerSandbox, TerminationSignalIsForwardedToTheWorker) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  static volatile sig_atomic_t terminated = 0;
  SandboxedChild child(testConfig(), [](int control) {
    // As PID 1 the worker receives only the signals it has a handler for.
    struct sigaction action {};
    action.sa_handler = [](int) { terminated = 1; };
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);  // no SA_RESTART: the read below returns EINTR
    signalReady(control);
    char ignored = 0;
    while (!terminated && ::read(control, &ignored, 1) != 0) {
    }
    return terminated ? 15 : 1;
  });
  ASSERT_TRUE(child.waitUntilReady());
  ASSERT_EQ(::kill(child.supervisorPid(), SIGTERM), 0);
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 15) << outcome.describe();
}

TEST(WorkerSandbox, WorkerDiesWithItsSupervisor) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  // A subreaper in between adopts the orphaned worker, so its end can be observed.
  const pid_t reaper = ::fork();
  ASSERT_GE(reaper, 0);
  if (reaper == 0) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    SandboxedChild child(testConfig(), waitForParent);
    if (!child.waitUntilReady()) ::_exit(2);
    const pid_t worker = child.workerPid();
    ::kill(child.supervisorPid(), SIGKILL);
    child.wait();
    int status = 0;
    if (::waitpid(worker, &status, 0) != worker) ::_exit(3);
    ::_exit(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(reaper, &status, 0), reaper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "reaper status " << status << " (2: never ready, 3: not adopted, 4: other death)";
}

TEST(WorkerSandbox, UnprivilegedStartUsesAUserNamespace) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  // Stands in for a worker started by an ordinary user: drop to 65534 first, then enter.
  constexpr int kNoUserNamespaces = 77;
  const pid_t starter = ::fork();
  ASSERT_GE(starter, 0);
  if (starter == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(3);
    }
    // A freshly exec'd program is dumpable; without it /proc/self/uid_map belongs to root.
    ::prctl(PR_SET_DUMPABLE, 1);
    if (sandboxUnavailableReason()) ::_exit(kNoUserNamespaces);
    SandboxConfig config;
    // getuid() is not in the allowlist: ask before the filter goes in.
    config.testHookBeforeSeccomp = [] {
      if (::getuid() != 65534) ::_exit(5);
    };
    const auto outcome = runSandboxed(config, [](int) { return ::getpid() == 1 ? 0 : 1; });
    ::_exit(outcome.exited ? outcome.exitCode : 128 + outcome.signal);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(starter, &status, 0), starter);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  if (WEXITSTATUS(status) == kNoUserNamespaces) {
    GTEST_SKIP() << "unprivileged user namespaces are not allowed on this kernel";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerSandbox, InsecureFlagConfinesNothing) {
  // In a child so that the test process stays as it is (here the flag means no fork at all).
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SandboxConfig config = testConfig();
    config.insecureNoSandbox = true;
    enterSandbox(config);
    ::_exit(::prctl(PR_GET_SECCOMP) == 0 && ::getpid() != 1 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(WorkerSandbox, RejectsConfigsThatWouldWeakenIt) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  // Root as the worker identity.
  SandboxConfig root = testConfig();
  root.uid = 0;
  const auto rootOutcome = runSandboxed(root, [](int) { return 0; });
  EXPECT_EQ(rootOutcome.exitCode, kEnterSandboxThrew) << rootOutcome.describe();

  // A directory among the kept fds would lead back to the host file system.
  UniqueFd directory(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(directory);
  SandboxConfig keepsDirectory = testConfig();
  keepsDirectory.keepFds.push_back(directory.get());
  const auto directoryOutcome = runSandboxed(keepsDirectory, [](int) { return 0; });
  EXPECT_EQ(directoryOutcome.exitCode, kEnterSandboxThrew) << directoryOutcome.describe();

  // A kept fd at or above the fd cap.
  SandboxConfig lowCap = testConfig();
  lowCap.fdCap = 2;
  const auto capOutcome = runSandboxed(lowCap, [](int) { return 0; });
  EXPECT_EQ(capOutcome.exitCode, kEnterSandboxThrew) << capOutcome.describe();
}

// Starts the sandbox from inside a chroot, as the test VM runs everything, and returns how the
// sandboxed child ended (exit 3: the chroot could not be built). The chroot holds what the
// sandbox needs before it confines: /proc, /dev/null and /tmp.
int enterFromChroot(bool rootIsMountPoint) {
  char directory[] = "/tmp/sandbox-chroot-test-XXXXXX";
  if (::mkdtemp(directory) == nullptr) return -1;
  const std::string root = directory;
  const pid_t starter = ::fork();
  if (starter < 0) return -1;
  if (starter == 0) {
    const bool built =
        ::unshare(CLONE_NEWNS) == 0 &&
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        (!rootIsMountPoint ||
         ::mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) == 0) &&
        ::mkdir((root + "/tmp").c_str(), 0755) == 0 &&
        ::mkdir((root + "/proc").c_str(), 0755) == 0 &&
        ::mkdir((root + "/dev").c_str(), 0755) == 0 &&
        UniqueFd(::open((root + "/dev/null").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) &&
        ::mount("proc", (root + "/proc").c_str(), "proc", 0, nullptr) == 0 &&
        ::mount("/dev/null", (root + "/dev/null").c_str(), nullptr, MS_BIND, nullptr) == 0 &&
        ::chroot(root.c_str()) == 0 && ::chdir("/") == 0;
    if (!built) ::_exit(3);
    const auto outcome = runSandboxed(testConfig(), [](int) { return 0; });
    ::_exit(outcome.exited ? outcome.exitCode : 128 + outcome.signal);
  }
  int status = 0;
  ::waitpid(starter, &status, 0);
  std::filesystem::remove_all(root);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(WorkerSandbox, WorksInAChrootAtAMountPoint) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  if (::geteuid() != 0) GTEST_SKIP() << "building the chroot takes root";
  EXPECT_EQ(enterFromChroot(/*rootIsMountPoint=*/true), 0);
}

// There the mount holding the root is out of reach, so the sandbox could not keep its mounts
// from propagating to the host: it refuses instead.
TEST(WorkerSandbox, RefusesAChrootIntoAPlainDirectory) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  if (::geteuid() != 0) GTEST_SKIP() << "building the chroot takes root";
  EXPECT_EQ(enterFromChroot(/*rootIsMountPoint=*/false), kEnterSandboxThrew);
}

// The self-check must tell an unconfined process from a confined one: run outside the sandbox,
// it exits with its own code instead of returning.
TEST(WorkerSandbox, SelfCheckRefusesAnUnconfinedProcess) {
  const sandbox::Identity identity{.uid = 65534, .gid = 65534, .inUserNamespace = false};
  const sandbox::ResourceCaps caps{.memoryBytes = 1u << 20, .fds = 16};
  for (const bool afterSeccomp : {false, true}) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      if (afterSeccomp) {
        sandbox::checkSeccompActive();
      } else {
        sandbox::checkConfinementBeforeSeccomp(identity, caps);
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kSandboxSelfCheckFailedExitCode)
        << (afterSeccomp ? "seccomp check" : "pre-seccomp checks") << ": status " << status;
  }
}

}  // namespace
}  // namespace usbip::worker::testing
