#include "client-helper/commands/device_format.h"

#include <fmt/format.h>

#include "client-helper/speed.h"
#include "protocol/speed_name.h"

namespace usbip::client {

std::string vidPid(const proto::DeviceRecord& device) {
  return fmt::format("{:04x}:{:04x}", device.idVendor, device.idProduct);
}

std::string classTriple(uint8_t cls, uint8_t subclass, uint8_t protocol) {
  return fmt::format("{:02x}/{:02x}/{:02x}", cls, subclass, protocol);
}

std::string busDev(uint32_t busnum, uint32_t devnum) {
  return fmt::format("{:03}/{:03}", busnum, devnum);
}

JsonObject deviceJson(const proto::DeviceRecord& device) {
  JsonObject json;
  json.text("busid", device.busid)
      .text("path", device.path)
      .number("busnum", device.busnum)
      .number("devnum", device.devnum)
      .number("devid", device.devid())
      .text("speed", proto::speedName(static_cast<uint32_t>(device.speed)))
      .text("vendor", fmt::format("{:04x}", device.idVendor))
      .text("product", fmt::format("{:04x}", device.idProduct))
      .text("bcdDevice", fmt::format("{:04x}", device.bcdDevice))
      .text("class",
            classTriple(device.bDeviceClass, device.bDeviceSubClass, device.bDeviceProtocol))
      .number("configuration", device.bConfigurationValue)
      .number("configurations", device.bNumConfigurations);
  return json;
}

}  // namespace usbip::client
