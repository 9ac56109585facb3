#include "worker/device_description.h"

#include <stdexcept>
#include <string>

#include "worker/descriptors.h"

namespace usbip::worker {
namespace {

constexpr size_t kMaxInterfaces = 32;

}  // namespace

DeviceDescription describeDevice(const DeviceIdentity& identity, RawDescriptors raw,
                                 uint8_t activeConfiguration) {
  DeviceDescriptor device = parseDeviceDescriptor(raw.device);
  DeviceDescription description;
  proto::DeviceRecord& record = description.exported.device;
  record.path = identity.path;
  record.busid = identity.busid;
  record.busnum = identity.busnum;
  record.devnum = identity.devnum;
  record.speed = identity.speed;
  record.idVendor = device.idVendor;
  record.idProduct = device.idProduct;
  record.bcdDevice = device.bcdDevice;
  record.bDeviceClass = device.bDeviceClass;
  record.bDeviceSubClass = device.bDeviceSubClass;
  record.bDeviceProtocol = device.bDeviceProtocol;
  record.bNumConfigurations = device.bNumConfigurations;
  record.bConfigurationValue = activeConfiguration;

  if (activeConfiguration != 0) {
    bool found = false;
    for (const std::vector<uint8_t>& bytes : raw.configurations) {
      if (bytes.size() < 9 || bytes[5] != activeConfiguration) continue;
      ConfigurationDescriptors config = parseConfiguration(bytes);
      for (const InterfaceDescriptors& interface : config.interfaces) {
        // The kernel keeps at most USB_MAXINTERFACES (32) interfaces of a configuration.
        if (description.exported.interfaces.size() == kMaxInterfaces) break;
        const AltSetting& alt =
            interface.findAlt(0) != nullptr ? *interface.findAlt(0) : interface.altSettings.front();
        description.exported.interfaces.push_back(proto::InterfaceRecord{
            alt.bInterfaceClass, alt.bInterfaceSubClass, alt.bInterfaceProtocol});
      }
      record.bNumInterfaces = static_cast<uint8_t>(description.exported.interfaces.size());
      found = true;
      break;
    }
    if (!found) {
      throw std::invalid_argument("active configuration " + std::to_string(activeConfiguration) +
                                  " has no configuration descriptor");
    }
  }
  description.deviceDescriptor = std::move(raw.device);
  description.configurations = std::move(raw.configurations);
  description.activeConfiguration = activeConfiguration;
  return description;
}

}  // namespace usbip::worker
