#include "broker/simulated_exports.h"

#include <stdexcept>
#include <string>

namespace usbip {

// TODO(integration): take the record from makeSimulatedDevice(name, options)->description()
// once worker/sim lands, so that the broker's DEVLIST and the worker's device cannot disagree.
ExportCandidate simulatedCandidate(std::string_view name) {
  ExportCandidate c;
  auto& r = c.exported.device;
  r.busnum = 0;
  r.speed = proto::Speed::kFull;
  r.idVendor = 0x1d6b;  // Linux Foundation
  r.bcdDevice = 0x0100;
  r.bConfigurationValue = 1;
  r.bNumConfigurations = 1;
  r.bNumInterfaces = 1;
  if (name == "hid") {
    r.devnum = 1;
    r.idProduct = 0x0104;
    c.exported.interfaces = {{0x03, 0x01, 0x01}};
  } else if (name == "cdc") {
    r.devnum = 2;
    r.idProduct = 0x0105;
    r.bNumInterfaces = 2;
    c.exported.interfaces = {{0x02, 0x02, 0x01}, {0x0a, 0x00, 0x00}};
  } else if (name == "uac") {
    r.devnum = 3;
    r.idProduct = 0x0106;
    r.bNumInterfaces = 2;
    c.exported.interfaces = {{0x01, 0x01, 0x00}, {0x01, 0x02, 0x00}};
  } else {
    throw std::invalid_argument("unknown simulated device 'sim:" + std::string(name) + "'");
  }
  r.busid = "0-" + std::to_string(r.devnum);
  r.path = "/sys/devices/simulated/usb0/" + r.busid;
  return c;
}

}  // namespace usbip
