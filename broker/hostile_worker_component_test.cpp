// Component test: a worker taken over by its client. usbip-worker-test-hooks (never installed;
// docs/security.md, "Test-only worker hook") attempts a forbidden operation when its client asks,
// from inside the URB loop of a device it is serving, under the real sandbox and seccomp filter.
// Meanwhile an honest client keeps using another device of the same broker. For each operation:
// it is denied (errno) or kills only that worker; the broker reaps and logs why; the honest
// session keeps working; the victim device can be imported again. Needs root, as CI runs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "broker/component_test_client.h"
#include "worker/test_hooks/hook_request.h"

namespace usbip {
namespace {

using namespace component_test;
using worker::test_hooks::ForbiddenOperation;
using worker::test_hooks::hookSetup;

constexpr const char* kVictimBusid = "0-1";  // sim:hid
constexpr const char* kHonestBusid = "0-2";  // sim:cdc

// The honest client: echo round trips through sim:cdc until stopped, counting them.
class HonestClient {
 public:
  HonestClient(UniqueFd connection, uint32_t devid)
      : cdc_(std::move(connection), devid), thread_([this] { run(); }) {}
  ~HonestClient() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int rounds() const { return rounds_; }
  std::string failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  // Waits until `more` further round trips have been made; false if none came in time.
  bool keepsGoing(int more = 3) const {
    const int target = rounds_ + more;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (rounds_ < target && failure().empty()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return rounds_ >= target;
  }

 private:
  void run() {
    try {
      while (!stopping_) {
        const std::string error = echoThroughCdc(cdc_, "round " + std::to_string(rounds_.load()));
        if (!error.empty()) {
          std::lock_guard lock(mutex_);
          failure_ = "round " + std::to_string(rounds_.load()) + ": " + error;
          return;
        }
        ++rounds_;
        std::this_thread::sleep_for(5ms);
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      failure_ = e.what();
    }
  }

  UrbClient cdc_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> rounds_{0};
  mutable std::mutex mutex_;
  std::string failure_;
  std::thread thread_;
};

struct Attempt {
  ForbiddenOperation operation;
  const char* name;
  // How the broker reports the victim's end ("worker " + this), and the errno when the worker
  // is expected to survive the attempt (0: it must die).
  const char* end;
  int refusedWith;
};

constexpr Attempt kAttempts[] = {
    {ForbiddenOperation::kOpenFile, "open a file", "killed by signal 31 (Bad system call)", 0},
    {ForbiddenOperation::kCreateSocket, "create a socket", "killed by signal 31 (Bad system call)",
     0},
    {ForbiddenOperation::kExec, "exec", "killed by signal 31 (Bad system call)", 0},
    {ForbiddenOperation::kPtrace, "ptrace", "killed by signal 31 (Bad system call)", 0},
    {ForbiddenOperation::kMount, "mount", "killed by signal 31 (Bad system call)", 0},
// AddressSanitizer builds catch SIGSEGV themselves (and their report needs files) and do not
// apply the memory cap (the sandbox logs that), so these two are for the ordinary build.
#if !defined(__SANITIZE_ADDRESS__)
    {ForbiddenOperation::kCrash, "crash (SIGSEGV)", "killed by signal 11 (Segmentation fault)", 0},
    {ForbiddenOperation::kExhaustMemory, "exhaust the memory cap", "exited with status 1", 0},
#endif
    {ForbiddenOperation::kReadlink, "readlink", "exited with status 0", ENOENT},
};

// Imports the victim device, retrying while the broker still holds it for a worker that is
// going away.
std::pair<UniqueFd, Record> importVictim(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto fd = dial(path);
    const auto reply = import(fd, kVictimBusid);
    if (reply && reply->status == 0 && reply->device) return {std::move(fd), *reply->device};
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(std::string("the victim device ") + kVictimBusid +
                               " was never importable again");
    }
    std::this_thread::sleep_for(50ms);
  }
}

TEST(HostileWorker, ForbiddenOperationsAreDeniedOrKillOnlyThatWorker) {
  if (::geteuid() != 0) GTEST_SKIP() << "the worker sandbox as CI runs it needs root";
  const auto path = socketPath("usbip-host-hostile");
  // The hook answers a vendor request, which the default policy stalls before it reaches the
  // device: the victim's policy file (which governs sim:hid, named below) lets it through, as a
  // policy would for a device that needs such a request.
  PolicyDir policy;
  policy.write("victim.toml",
               fmt::format(R"([match]
vid_pid = "1209:0001"
[export]
mode = "listen"
allowed_peers = ["unix"]
[requests]
extra_control_requests = [{{ request_type = {:#04x}, request = {:#04x} }}]
)",
                           worker::test_hooks::kHookRequestType, worker::test_hooks::kHookRequest));
  HostProcess host({"listen", "unix:" + path, "sim:hid", "sim:cdc", "--policy-dir", policy.path(),
                    "--worker", USBIP_WORKER_TEST_HOOKS_PATH, "--log-level", "info"},
                   true);

  auto honestFd = dial(path);
  const auto honestImport = import(honestFd, kHonestBusid);
  ASSERT_TRUE(honestImport && honestImport->device);
  ASSERT_EQ(honestImport->status, 0u);
  HonestClient honest(std::move(honestFd), honestImport->device->devid());
  ASSERT_TRUE(honest.keepsGoing()) << honest.failure();

  size_t victimImports = 0;
  for (const auto& attempt : kAttempts) {
    SCOPED_TRACE(attempt.name);
    auto [victimFd, record] = importVictim(path);
    const pid_t victimPid = importingWorkerPid(host, kVictimBusid, ++victimImports);
    ASSERT_GT(victimPid, 0);
    {
      UrbClient victim(std::move(victimFd), record.devid());
      // Serving: the URB loop answers before the hook is asked for.
      const auto descriptor = victim.transfer(controlIn(kGetDeviceDescriptor, 18));
      ASSERT_TRUE(descriptor.has_value());
      ASSERT_EQ(descriptor->status, 0);

      const auto answer = victim.transfer(controlOut(hookSetup(attempt.operation)));
      if (attempt.refusedWith != 0) {
        ASSERT_TRUE(answer.has_value()) << "the worker died of a refused call";
        EXPECT_EQ(answer->status, -attempt.refusedWith);
        const auto after = victim.transfer(controlIn(kGetDeviceDescriptor, 18));
        ASSERT_TRUE(after.has_value()) << "the worker stopped serving after the refusal";
        EXPECT_EQ(after->status, 0);
      } else {
        EXPECT_FALSE(answer.has_value())
            << "the worker survived and answered status " << (answer ? answer->status : 0);
      }
    }  // the victim's client goes away
    const std::string reaped = "(worker " + std::to_string(victimPid) + "): worker " + attempt.end;
    EXPECT_TRUE(host.waitForLog(reaped)) << "expected '" << reaped << "' in:\n" << host.log();
    EXPECT_TRUE(honest.keepsGoing()) << honest.failure();
  }

  EXPECT_EQ(occurrences(host.log(), "test hook: attempting forbidden operation"),
            std::size(kAttempts))
      << "every attempt ran inside a serving worker";
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_TRUE(host.waitForLog("test hook: memory cap reached after")) << host.log();
#endif

  // The victim device is served again, and the honest session never missed a round trip.
  auto [againFd, again] = importVictim(path);
  UrbClient victim(std::move(againFd), again.devid());
  const auto descriptor = victim.transfer(controlIn(kGetDeviceDescriptor, 18));
  ASSERT_TRUE(descriptor.has_value());
  EXPECT_EQ(descriptor->status, 0);
  honest.stop();
  EXPECT_EQ(honest.failure(), "");
  std::cout << "honest client: " << honest.rounds() << " echo round trips, none lost\n";
  // The evidence, for the test log: what each hooked worker did and how the broker saw it end.
  std::istringstream lines(host.log());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("test hook:") != std::string::npos ||
        line.find("): worker ") != std::string::npos)
      std::cout << line << "\n";
  }
}

}  // namespace
}  // namespace usbip
