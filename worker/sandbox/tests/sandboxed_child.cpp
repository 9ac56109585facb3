#include "worker/sandbox/tests/sandboxed_child.h"

#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <string_view>

#include "common/logging.h"
#include "common/syscall.h"

namespace usbip::worker::testing {

namespace {

constexpr char kReady = 'R';
constexpr char kGo = 'G';
constexpr int kBodyThrew = 91;

void reportToStderr(std::string_view what, const char* message) {
  const std::string line = std::string(what) + ": " + message + "\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

[[noreturn]] void runChild(SandboxConfig config, const SandboxedBody& body, const ChildSetup& setup,
                           int control) {
  config.keepFds.push_back(control);
  try {
    if (setup) setup(config);
    enterSandbox(config);
  } catch (const std::exception& e) {
    reportToStderr("enterSandbox threw", e.what());
    ::_exit(kEnterSandboxThrew);
  }
  int code = kBodyThrew;
  try {
    code = body(control);
  } catch (const std::exception& e) {
    reportToStderr("sandboxed body threw", e.what());
  }
  ::_exit(code);
}

}  // namespace

std::string ChildOutcome::describe() const {
  if (exited) return "exited with " + std::to_string(exitCode);
  return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

void logToStderrLikeTheWorker(SandboxConfig&) {
  setupLogging("info", "usbip-worker");
}

SandboxedChild::SandboxedChild(SandboxConfig config, SandboxedBody body, ChildSetup setup) {
  int ends[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), "socketpair");
  control_.reset(ends[0]);
  UniqueFd childEnd(ends[1]);
  supervisor_ = checkSyscall(::fork(), "fork");
  if (supervisor_ == 0) {
    control_.reset();
    runChild(std::move(config), body, setup, childEnd.get());
  }
}

SandboxedChild::~SandboxedChild() {
  if (reaped_ || supervisor_ <= 0) return;
  ::kill(supervisor_, SIGKILL);  // the worker follows through its parent-death signal
  int status = 0;
  ::waitpid(supervisor_, &status, 0);
}

pid_t SandboxedChild::workerPid() const {
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), &::closedir);
  if (!proc) return -1;
  while (const dirent* entry = ::readdir(proc.get())) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto status = procStatus(std::stoi(name));
    const auto parent = status.find("PPid");
    if (parent != status.end() && parent->second == std::to_string(supervisor_)) {
      return std::stoi(name);
    }
  }
  return -1;
}

bool SandboxedChild::waitUntilReady() {
  char message = 0;
  const ssize_t got =
      retrySyscall("read(control)", [&] { return ::read(control_.get(), &message, 1); });
  return got == 1 && message == kReady;
}

void SandboxedChild::release() {
  retrySyscall("write(control)", [&] { return ::write(control_.get(), &kGo, 1); });
}

ChildOutcome SandboxedChild::wait() {
  int status = 0;
  retrySyscall("waitpid", [&] { return ::waitpid(supervisor_, &status, 0); });
  reaped_ = true;
  ChildOutcome outcome;
  outcome.exited = WIFEXITED(status);
  outcome.exitCode = outcome.exited ? WEXITSTATUS(status) : -1;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return outcome;
}

ChildOutcome runSandboxed(SandboxConfig config, SandboxedBody body, ChildSetup setup) {
  SandboxedChild child(std::move(config), std::move(body), std::move(setup));
  return child.wait();
}

void signalReady(int control) {
  retrySyscall("write(ready)", [&] { return ::write(control, &kReady, 1); });
}

void awaitParent(int control) {
  char message = 0;
  retrySyscall("read(go)", [&] { return ::read(control, &message, 1); });
}

std::map<std::string, std::string> procStatus(pid_t pid) {
  std::map<std::string, std::string> fields;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

std::string namespaceOf(const std::string& pid, const std::string& name) {
  char target[128] = {};
  const std::string link = "/proc/" + pid + "/ns/" + name;
  const ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
  return length < 0 ? "unreadable: " + std::string(std::strerror(errno)) : std::string(target);
}

SandboxConfig testConfig() {
  SandboxConfig config;
  config.uid = 65534;
  config.gid = 65534;
  return config;
}

}  // namespace usbip::worker::testing
