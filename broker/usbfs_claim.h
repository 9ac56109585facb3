// A real device while one worker has it: the broker opens its usbfs node, takes the claimable
// interfaces away from their kernel drivers, and gives them back when the worker is gone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/usb_device.h"
#include "common/unique_fd.h"

namespace usbip {

class UsbfsClaim {
 public:
  // Opens `device.devnode` twice. On the worker's descriptor: checks that the node still is the
  // device that was enumerated, detaches the kernel driver from every interface of the active
  // configuration whose bit is set in `claimableMask` (policy::claimableInterfaceMask) and claims
  // it (USBDEVFS_DISCONNECT_CLAIM, never taking an interface another usbfs program holds), then
  // drops usbfs privileges (USBDEVFS_DROP_PRIVILEGES) to that mask, so that the descriptor can
  // claim only those interfaces and detach no driver. The other interfaces keep their host
  // driver. The broker's own descriptor keeps the privilege to re-attach drivers later. Throws
  // std::system_error or std::runtime_error naming the device.
  UsbfsClaim(const UsbDevice& device, uint32_t claimableMask);
  UsbfsClaim(UsbfsClaim&&) = default;
  UsbfsClaim& operator=(UsbfsClaim&&) = delete;
  // Re-attaches the kernel drivers (USBDEVFS_CONNECT per interface). Must run only after every
  // copy of the worker's descriptor is closed, since the claims live as long as it does.
  ~UsbfsClaim();

  // The descriptor for the worker; empty after the first call.
  UniqueFd takeWorkerFd();

 private:
  void claim(const UsbDevice& device, uint32_t claimableMask);
  void reattach() noexcept;

  std::string busid_;
  std::vector<uint8_t> interfaces_;
  UniqueFd brokerFd_;
  UniqueFd workerFd_;
};

}  // namespace usbip
