#include "tests/vm/tools/usbtest_ioctl.h"

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace usbip::vmtest {
namespace {

// Layout of usbtest's `struct usbtest_param_64` (drivers/usb/misc/usbtest.c): five inputs, then
// the duration the driver measured. The 64-bit variant matches this process's native layout.
struct UsbtestParam64 {
  uint32_t testNum;
  uint32_t iterations;
  uint32_t length;
  uint32_t vary;
  uint32_t sglen;
  int64_t durationSec;
  int64_t durationUsec;
};
static_assert(sizeof(UsbtestParam64) == 40, "must match the kernel's struct usbtest_param_64");

// USBTEST_REQUEST_64 in usbtest.c: _IOWR('U', 100, struct usbtest_param_64).
constexpr unsigned long kUsbtestRequest64 = _IOWR('U', 100, UsbtestParam64);

}  // namespace

UsbtestOutcome runUsbtest(int deviceFd, const UsbtestParams& params) {
  UsbtestParam64 param{};
  param.testNum = params.test;
  param.iterations = params.iterations;
  param.length = params.length;
  param.vary = params.vary;
  param.sglen = params.sglen;

  usbdevfs_ioctl request{};
  request.ifno = static_cast<int>(params.interfaceNumber);
  request.ioctl_code = static_cast<int>(kUsbtestRequest64);
  request.data = &param;

  UsbtestOutcome outcome;
  int rc;
  do {
    rc = ::ioctl(deviceFd, USBDEVFS_IOCTL, &request);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    outcome.error = errno;
    outcome.kind = outcome.error == EOPNOTSUPP ? UsbtestOutcome::Kind::kNotApplicable
                                               : UsbtestOutcome::Kind::kFailed;
    return outcome;
  }
  outcome.kind = UsbtestOutcome::Kind::kPassed;
  outcome.duration =
      std::chrono::seconds(param.durationSec) + std::chrono::microseconds(param.durationUsec);
  return outcome;
}

std::string describe(const UsbtestOutcome& outcome) {
  switch (outcome.kind) {
    case UsbtestOutcome::Kind::kPassed:
      return "pass duration_us=" + std::to_string(outcome.duration.count());
    case UsbtestOutcome::Kind::kNotApplicable:
      return "n/a (the device lacks what this test needs)";
    case UsbtestOutcome::Kind::kFailed:
      break;
  }
  return "fail errno=" + std::to_string(outcome.error) + " (" + std::strerror(outcome.error) + ")";
}

}  // namespace usbip::vmtest
