// vhci_hcd's sysfs interface: which ports exist and are free, attach a socket to a port, detach a
// port. Everything lives under one platform directory, so that tests run it against a fake tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "client-helper/vhci_status.h"
#include "common/unique_fd.h"
#include "protocol/messages.h"

namespace usbip::client {

inline constexpr const char* kDefaultPlatformDir = "/sys/devices/platform";

class Vhci {
 public:
  // `platformDir` holds vhci_hcd.0, vhci_hcd.1, ...; every attribute (attach, detach, status,
  // status.1, ...) is on vhci_hcd.0, whatever the number of controllers.
  explicit Vhci(const std::filesystem::path& platformDir);

  // Throws VhciNotLoaded, saying to run `modprobe vhci-hcd`, when vhci_hcd is not there.
  void requireLoaded() const;
  // Throws NeedsRoot when this process may not write the attach file. Checked before a remote
  // device is imported, so that the server does not hand over a device for nothing.
  void requireWriteAccess() const;

  // Every port of every controller, in the order of the status files.
  std::vector<VhciPort> ports() const;

  // Hands `socket` to the lowest free port of the root hub `speed` needs and returns that port.
  // A port taken by someone else between reading the status and writing attach (EBUSY) is
  // skipped for the next free one. Throws NoFreePort, NeedsRoot or std::system_error. The kernel
  // takes its own reference to the socket: the caller may close its fd afterwards.
  uint32_t attach(const UniqueFd& socket, uint32_t devid, proto::Speed speed) const;

  // Detaches the device on `port`. Throws std::runtime_error when the port does not exist or is
  // free, NeedsRoot or std::system_error otherwise.
  void detach(uint32_t port) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace usbip::client
