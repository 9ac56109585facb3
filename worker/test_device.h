// Test-only: the device the engine's tests serve. High speed, bus 3 address 7.
//   configuration 1: interface 0 alt 0: bulk OUT 0x01, bulk IN 0x82, interrupt IN 0x83
//                    interface 1 alt 0: no endpoints; alt 1: iso IN 0x84 (3 x 1024), iso OUT 0x05
//   configuration 2: interface 0 alt 0: bulk IN 0x86
#pragma once

#include "worker/descriptor_fixtures.h"
#include "worker/device_backend.h"

namespace usbip::worker::testing {

inline constexpr uint32_t kTestDevid = (3u << 16) | 7u;

inline DeviceDescription testDeviceDescription() {
  DeviceDescription description;
  proto::DeviceRecord& record = description.exported.device;
  record.path = "/sys/devices/pci0000:00/0000:00:14.0/usb3/3-1";
  record.busid = "3-1";
  record.busnum = 3;
  record.devnum = 7;
  record.speed = proto::Speed::kHigh;
  record.idVendor = 0x1234;
  record.idProduct = 0x5678;
  record.bConfigurationValue = 1;
  record.bNumConfigurations = 2;
  record.bNumInterfaces = 2;
  description.exported.interfaces = {{0xff, 0, 0}, {0x01, 0x02, 0}};
  description.deviceDescriptor = deviceDescriptorBytes(0x1234, 0x5678, 2);
  description.configurations.push_back(ConfigBytes(1)
                                           .interface(0, 0, 3)
                                           .endpoint(0x01, attributes::kBulk, 512)
                                           .endpoint(0x82, attributes::kBulk, 512)
                                           .endpoint(0x83, attributes::kInterrupt, 8, 4)
                                           .interface(1, 0, 0, 0x01, 0x02)
                                           .interface(1, 1, 2, 0x01, 0x02)
                                           .endpoint(0x84, attributes::kIsochronous, 0x1400)
                                           .endpoint(0x05, attributes::kIsochronous, 1024)
                                           .bytes());
  description.configurations.push_back(
      ConfigBytes(2).interface(0, 0, 1).endpoint(0x86, attributes::kBulk, 512).bytes());
  description.activeConfiguration = 1;
  return description;
}

}  // namespace usbip::worker::testing
