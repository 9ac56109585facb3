// Development check, for the test VM only (it needs root and vhci_hcd): serves one local USB
// device through LibusbBackend and UrbEngine to the local vhci_hcd over a socketpair, with no
// broker, no sandbox and no handshake, so that the engine meets the kernel's own USB/IP client
// and a real device before the rest of the worker exists. See engine-vm-check.sh.
//
//   engine-attach SYSFS_DEVICE_DIR
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/syscall.h"
#include "common/unique_fd.h"
#include "worker/libusb_backend.h"
#include "worker/urb_engine.h"

namespace usbip::worker {
namespace {

constexpr const char* kVhci = "/sys/devices/platform/vhci_hcd.0";

std::string firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) throw std::invalid_argument("cannot read " + path);
  return line;
}

// sysfs "speed" is in Mbit/s.
proto::Speed speedFromSysfs(const std::string& mbits) {
  if (mbits == "1.5") return proto::Speed::kLow;
  if (mbits == "12") return proto::Speed::kFull;
  if (mbits == "480") return proto::Speed::kHigh;
  if (mbits == "5000") return proto::Speed::kSuper;
  if (mbits == "10000" || mbits == "20000") return proto::Speed::kSuperPlus;
  return proto::Speed::kUnknown;
}

DeviceIdentity identityOf(const std::string& dir) {
  DeviceIdentity identity;
  identity.path = dir;
  identity.busid = dir.substr(dir.rfind('/') + 1);
  identity.busnum = static_cast<uint32_t>(std::stoul(firstLine(dir + "/busnum")));
  identity.devnum = static_cast<uint32_t>(std::stoul(firstLine(dir + "/devnum")));
  identity.speed = speedFromSysfs(firstLine(dir + "/speed"));
  return identity;
}

// vhci's status lists "hub port sta ..." per port; 004 (VDEV_ST_NULL) is free. Super-speed
// devices go to the "ss" hub's ports, all others to the "hs" hub's.
int freeVhciPort(proto::Speed speed) {
  bool super = speed == proto::Speed::kSuper || speed == proto::Speed::kSuperPlus;
  std::ifstream status(std::string(kVhci) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string hub, port, state;
    fields >> hub >> port >> state;
    if (hub == (super ? "ss" : "hs") && state == "004") return std::stoi(port);
  }
  throw std::runtime_error("no free vhci_hcd port");
}

int run(const std::string& dir) {
  DeviceIdentity identity = identityOf(dir);
  char node[32];
  std::snprintf(node, sizeof node, "/dev/bus/usb/%03u/%03u", identity.busnum, identity.devnum);
  UniqueFd usbfs(checkSyscall(::open(node, O_RDWR | O_CLOEXEC), std::string("open ") + node));
  LibusbBackend backend(std::move(usbfs), identity);

  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  UniqueFd engineEnd(fds[0]);
  UniqueFd vhciEnd(fds[1]);

  // vhci looks the socket up in the writer's fd table, then holds its own reference.
  int port = freeVhciPort(identity.speed);
  std::string request = std::to_string(port) + " " + std::to_string(vhciEnd.get()) + " " +
                        std::to_string(backend.description().exported.device.devid()) + " " +
                        std::to_string(static_cast<uint32_t>(identity.speed));
  UniqueFd attach(
      checkSyscall(::open((std::string(kVhci) + "/attach").c_str(), O_WRONLY | O_CLOEXEC),
                   "open vhci_hcd attach"));
  retrySyscall("write vhci_hcd attach",
               [&] { return ::write(attach.get(), request.data(), request.size()); });
  vhciEnd.reset();
  spdlog::info("{} attached to vhci_hcd port {}", identity.busid, port);

  UrbEngine engine(std::move(engineEnd), {}, backend);
  EngineResult result = engine.run();
  std::cout << "engine ended: " << toString(result.end) << ": " << result.detail << "; submitted "
            << result.stats.submitted << ", completed " << result.stats.completed << ", unlinks "
            << result.stats.unlinked << std::endl;
  return result.end == EngineEnd::kClientClosed ? 0 : 1;
}

}  // namespace
}  // namespace usbip::worker

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: engine-attach SYSFS_DEVICE_DIR\n";
    return 2;
  }
  try {
    return usbip::worker::run(argv[1]);
  } catch (const std::exception& error) {
    std::cerr << "engine-attach: " << error.what() << "\n";
    return 1;
  }
}
