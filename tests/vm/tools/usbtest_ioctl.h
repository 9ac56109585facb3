// The kernel's usbtest driver, driven from userspace: one numbered test per call, issued
// through usbfs (USBDEVFS_IOCTL) on the device node of a device usbtest is bound to.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace usbip::vmtest {

// Inputs of one test, as drivers/usb/misc/usbtest.c reads them. What each means depends on the
// test: `length` is a transfer size, `sglen` a queue depth or scatter-gather length, and
// `vary` the step by which transfer sizes change.
struct UsbtestParams {
  uint32_t test = 0;
  uint32_t iterations = 1;
  uint32_t length = 0;
  uint32_t vary = 0;
  uint32_t sglen = 0;
  unsigned interfaceNumber = 0;
};

struct UsbtestOutcome {
  enum class Kind { kPassed, kFailed, kNotApplicable };
  Kind kind = Kind::kFailed;
  int error = 0;                          // errno when the test failed or does not apply
  std::chrono::microseconds duration{0};  // as the driver measured it, when it passed
};

// Runs one test on an already opened usbfs device fd. A test the driver rejects with
// EOPNOTSUPP (the device lacks the endpoints it needs) is reported as not applicable; every
// other failure of the ioctl is the test's failure, which is a result here, not an exception.
UsbtestOutcome runUsbtest(int deviceFd, const UsbtestParams& params);

std::string describe(const UsbtestOutcome& outcome);

}  // namespace usbip::vmtest
