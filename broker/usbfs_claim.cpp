#include "broker/usbfs_claim.h"

#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "common/syscall.h"

namespace usbip {
namespace {

UniqueFd openNode(const std::string& devnode) {
  return UniqueFd(
      retrySyscall("open " + devnode, [&] { return ::open(devnode.c_str(), O_RDWR | O_CLOEXEC); }));
}

// Reading a usbfs node yields the device descriptor first (drivers/usb/core/devio.c).
void checkIdentity(const UniqueFd& fd, const UsbDevice& device) {
  uint8_t descriptor[18] = {};
  const ssize_t n = retrySyscall("read device descriptor of " + device.devnode,
                                 [&] { return ::read(fd.get(), descriptor, sizeof descriptor); });
  const auto& r = device.candidate.exported.device;
  const uint16_t vendor = static_cast<uint16_t>(descriptor[8] | descriptor[9] << 8);
  const uint16_t product = static_cast<uint16_t>(descriptor[10] | descriptor[11] << 8);
  if (n != sizeof descriptor || vendor != r.idVendor || product != r.idProduct) {
    throw std::runtime_error(device.devnode + " is no longer device " + r.busid +
                             " (it was replugged or replaced)");
  }
}

}  // namespace

UsbfsClaim::UsbfsClaim(const UsbDevice& device, uint32_t claimableMask)
    : busid_(device.busid()),
      brokerFd_(openNode(device.devnode)),
      workerFd_(openNode(device.devnode)) {
  checkIdentity(workerFd_, device);
  try {
    claim(device, claimableMask);
  } catch (...) {
    reattach();
    throw;
  }
}

void UsbfsClaim::claim(const UsbDevice& device, uint32_t claimableMask) {
  for (const auto& intf : device.interfaces) {
    if (intf.number >= 32 || (claimableMask & (1u << intf.number)) == 0) {
      spdlog::info("{}: interface {} is not claimable under the policy; it stays with '{}'", busid_,
                   intf.number, intf.driver.empty() ? "no driver" : intf.driver);
      continue;
    }
    usbdevfs_disconnect_claim request{};
    request.interface = intf.number;
    // Detach whatever kernel driver has it, but never take it from another usbfs program.
    request.flags = USBDEVFS_DISCONNECT_CLAIM_EXCEPT_DRIVER;
    std::strncpy(request.driver, "usbfs", sizeof request.driver - 1);
    checkSyscall(::ioctl(workerFd_.get(), USBDEVFS_DISCONNECT_CLAIM, &request),
                 "detach and claim interface " + std::to_string(intf.number) + " of " + busid_ +
                     (intf.driver.empty() ? "" : " (driver " + intf.driver + ")"));
    interfaces_.push_back(intf.number);
    spdlog::debug("{}: interface {} detached from '{}' and claimed", busid_, intf.number,
                  intf.driver);
  }
  checkSyscall(::ioctl(workerFd_.get(), USBDEVFS_DROP_PRIVILEGES, &claimableMask),
               "drop usbfs privileges of the worker's descriptor for " + busid_);
}

UsbfsClaim::~UsbfsClaim() {
  reattach();
}

void UsbfsClaim::reattach() noexcept {
  workerFd_.reset();
  if (!brokerFd_) return;  // moved from
  for (const uint8_t number : interfaces_) {
    usbdevfs_ioctl request{};
    request.ifno = number;
    request.ioctl_code = USBDEVFS_CONNECT;
    if (::ioctl(brokerFd_.get(), USBDEVFS_IOCTL, &request) < 0 && errno != EBUSY) {
      // EBUSY: a driver is bound already. ENODEV: the device is gone; nothing to give back.
      spdlog::warn("{}: re-attaching the kernel driver of interface {} failed: {}", busid_, number,
                   std::strerror(errno));
    } else {
      spdlog::debug("{}: interface {} handed back to the kernel", busid_, number);
    }
  }
  interfaces_.clear();
}

UniqueFd UsbfsClaim::takeWorkerFd() {
  return std::move(workerFd_);
}

}  // namespace usbip
