// usbtest-runner: runs tests of the kernel's usbtest driver on one USB device, in the order
// given, and prints one result line per test.
//
//   usbtest-runner [--timeout SECONDS] [--interface N] DEVICE TEST:ITERATIONS:LENGTH:VARY:SGLEN...
//
// DEVICE is the usbfs node (/dev/bus/usb/BBB/DDD) of a device usbtest is bound to. Lines:
//   usbtest N: pass duration_us=D | n/a (...) | fail errno=E (...) | timeout after S s
// Exit status: 0 when no test failed, 1 when one did, 124 when one ran out of time (the
// runner stops there: the device is stuck, and so is the child process that ran the test),
// 64 on bad arguments. Each test runs in a child process of its own (see runWithDeadline).
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/syscall.h"
#include "common/unique_fd.h"
#include "tests/vm/tools/usbtest_ioctl.h"
#include "tests/vm/tools/usbtest_spec.h"

namespace {

using usbip::vmtest::UsbtestOutcome;
using usbip::vmtest::UsbtestParams;

constexpr int kExitFailed = 1;
constexpr int kExitTimeout = 124;
constexpr int kExitUsage = 64;

struct Options {
  std::chrono::seconds timeout{30};
  unsigned interfaceNumber = 0;
  std::string device;
  std::vector<UsbtestParams> tests;
};

unsigned parseOptionValue(std::string_view option, const char* value) {
  if (value == nullptr) throw std::invalid_argument(std::string(option) + " needs a value");
  const std::string_view text(value);
  unsigned number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(std::string(option) + " must be a number, not '" +
                                std::string(text) + "'");
  }
  return number;
}

Options parseOptions(int argc, char** argv) {
  Options options;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--timeout") {
      options.timeout = std::chrono::seconds(parseOptionValue(arg, argv[++i]));
    } else if (arg == "--interface") {
      options.interfaceNumber = parseOptionValue(arg, argv[++i]);
    } else {
      break;
    }
  }
  if (argc - i < 2) {
    throw std::invalid_argument(
        "usage: usbtest-runner [--timeout SECONDS] [--interface N] DEVICE "
        "TEST:ITERATIONS:LENGTH:VARY:SGLEN...");
  }
  options.device = argv[i++];
  for (; i < argc; ++i) {
    options.tests.push_back(usbip::vmtest::parseUsbtestSpec(argv[i]));
    options.tests.back().interfaceNumber = options.interfaceNumber;
  }
  return options;
}

// What a test's child process reports to the runner through a pipe.
struct ChildReport {
  UsbtestOutcome::Kind kind;
  int error;
  int64_t durationUs;
};

// Runs one test in a child process and waits for its report until the deadline. The driver
// waits for URBs uninterruptibly, so a test that never ends cannot be cancelled, and the
// process running it could not even exit: keeping it a child lets the runner report the
// timeout and exit while the stuck child stays behind.
std::optional<UsbtestOutcome> runWithDeadline(int deviceFd, const UsbtestParams& params,
                                              std::chrono::seconds timeout) {
  int ends[2];
  usbip::checkSyscall(::pipe2(ends, O_CLOEXEC), "pipe2 for a usbtest child");
  usbip::UniqueFd readEnd(ends[0]);
  usbip::UniqueFd writeEnd(ends[1]);
  std::fflush(stdout);
  const pid_t child =
      usbip::checkSyscall(::fork(), "fork for usbtest " + std::to_string(params.test));
  if (child == 0) {
    const auto outcome = usbip::vmtest::runUsbtest(deviceFd, params);
    const ChildReport report{outcome.kind, outcome.error, outcome.duration.count()};
    const bool written = ::write(writeEnd.get(), &report, sizeof report) == sizeof report;
    ::_exit(written ? 0 : 1);
  }
  writeEnd.reset();

  pollfd waitFor{readEnd.get(), POLLIN, 0};
  const auto ready = usbip::retrySyscall("poll for usbtest " + std::to_string(params.test), [&] {
    return ::poll(&waitFor, 1, static_cast<int>(timeout.count() * 1000));
  });
  if (ready == 0) return std::nullopt;  // the child is left behind, stuck in the kernel

  ChildReport report{};
  const auto got =
      usbip::retrySyscall("read usbtest " + std::to_string(params.test) + " report",
                          [&] { return ::read(readEnd.get(), &report, sizeof report); });
  usbip::retrySyscall("waitpid usbtest child", [&] { return ::waitpid(child, nullptr, 0); });
  if (got != sizeof report) {
    throw std::runtime_error("usbtest " + std::to_string(params.test) +
                             ": its process ended without reporting");
  }
  return UsbtestOutcome{report.kind, report.error, std::chrono::microseconds(report.durationUs)};
}

int run(const Options& options) {
  usbip::UniqueFd fd(usbip::retrySyscall("open " + options.device, [&] {
    return ::open(options.device.c_str(), O_RDWR | O_CLOEXEC);
  }));
  int status = 0;
  for (const auto& params : options.tests) {
    const auto outcome = runWithDeadline(fd.get(), params, options.timeout);
    if (!outcome) {
      std::printf("usbtest %u: timeout after %lld s\n", params.test,
                  static_cast<long long>(options.timeout.count()));
      std::fflush(stdout);
      // Closing the device would wait for the stuck test: leave without closing anything.
      ::_exit(kExitTimeout);
    }
    std::printf("usbtest %u: %s\n", params.test, usbip::vmtest::describe(*outcome).c_str());
    std::fflush(stdout);
    if (outcome->kind == UsbtestOutcome::Kind::kFailed) status = kExitFailed;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parseOptions(argc, argv));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "usbtest-runner: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "usbtest-runner: %s\n", e.what());
    return kExitFailed;
  }
}
