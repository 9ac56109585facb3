#include "client-helper/vhci.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "client-helper/errors.h"
#include "client-helper/sysfs_file.h"
#include "common/syscall.h"

namespace usbip::client {
namespace {

size_t countPorts(const std::vector<VhciPort>& ports, HubSpeed hub) {
  return static_cast<size_t>(
      std::count_if(ports.begin(), ports.end(), [&](const VhciPort& p) { return p.hub == hub; }));
}

std::string deviceKind(HubSpeed hub) {
  return hub == HubSpeed::kSuper ? "a USB 3 (super-speed) device"
                                 : "a USB 1.x/2.0 (low/full/high-speed) device";
}

}  // namespace

Vhci::Vhci(const std::filesystem::path& platformDir) : dir_(platformDir / "vhci_hcd.0") {}

void Vhci::requireLoaded() const {
  std::error_code ec;
  if (!std::filesystem::exists(dir_ / "status", ec)) {
    throw VhciNotLoaded("vhci_hcd is not loaded (" + (dir_ / "status").string() +
                        " does not exist): run 'modprobe vhci-hcd' as root");
  }
}

void Vhci::requireWriteAccess() const {
  requireLoaded();
  const auto attach = dir_ / "attach";
  if (::access(attach.c_str(), W_OK) != 0) {
    if (errno == EACCES || errno == EPERM || errno == EROFS) {
      throw NeedsRoot("attaching a device needs root: " + attach.string() + " is not writable");
    }
    throwErrno(errno, "access " + attach.string());
  }
}

std::vector<VhciPort> Vhci::ports() const {
  requireLoaded();
  // Controller 0's ports are in "status", controller N's in "status.N".
  std::vector<VhciPort> ports;
  for (unsigned controller = 0;; ++controller) {
    const auto file =
        dir_ / (controller == 0 ? std::string("status") : "status." + std::to_string(controller));
    std::error_code ec;
    if (controller > 0 && !std::filesystem::exists(file, ec)) break;
    auto some = parseVhciStatus(readTextFile(file), file.string());
    ports.insert(ports.end(), some.begin(), some.end());
  }
  return ports;
}

uint32_t Vhci::attach(const UniqueFd& socket, uint32_t devid, proto::Speed speed) const {
  const HubSpeed hub = hubSpeedFor(speed);
  std::set<uint32_t> takenMeanwhile;
  for (;;) {
    auto ports = this->ports();
    for (auto& port : ports) {
      if (takenMeanwhile.contains(port.port)) port.status = kPortUsed;
    }
    const auto chosen = chooseFreePort(ports, hub);
    if (!chosen) {
      throw NoFreePort("no free vhci_hcd port for " + deviceKind(hub) + ": all " +
                       std::to_string(countPorts(ports, hub)) + " " +
                       std::string(hubSpeedName(hub)) +
                       " ports are in use (see 'usbip-client-helper port'; detach one, or reload "
                       "vhci_hcd with more controllers: modprobe vhci-hcd nr_hcs=N)");
    }
    try {
      writeAttribute(dir_ / "attach", attachLine(*chosen, socket.get(), devid, speed),
                     "attaching a device");
      return *chosen;
    } catch (const std::system_error& e) {
      // Another attach took the port between our reading of the status and our write.
      if (e.code() != std::errc::device_or_resource_busy) throw;
      spdlog::debug("vhci port {} was taken meanwhile; trying the next free one", *chosen);
      takenMeanwhile.insert(*chosen);
    }
  }
}

void Vhci::detach(uint32_t port) const {
  const auto ports = this->ports();
  const auto found =
      std::find_if(ports.begin(), ports.end(), [&](const VhciPort& p) { return p.port == port; });
  if (found == ports.end()) {
    throw std::runtime_error("vhci_hcd has no port " + std::to_string(port) + " (it has " +
                             std::to_string(ports.size()) +
                             " ports, see 'usbip-client-helper port')");
  }
  if (found->isFree()) throw std::runtime_error("port " + std::to_string(port) + " is not in use");
  writeAttribute(dir_ / "detach", std::to_string(port), "detaching a device");
}

}  // namespace usbip::client
