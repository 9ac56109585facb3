// What the broker learns about a USB device (from udev and sysfs) and hands to the policy: the
// identity the [match] table compares against and the descriptors the guards inspect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbip::policy {

// USB class codes the policy itself has an opinion about.
inline constexpr uint8_t kClassPerInterface = 0x00;  // bDeviceClass: "see each interface"
inline constexpr uint8_t kClassHid = 0x03;
inline constexpr uint8_t kClassMassStorage = 0x08;
inline constexpr uint8_t kClassHub = 0x09;
inline constexpr uint8_t kMassStorageSubclassScsi = 0x06;  // SCSI transparent command set
inline constexpr uint8_t kMassStorageProtocolBulkOnly = 0x50;

// One interface descriptor (one alternate setting of one interface of one configuration).
struct InterfaceInfo {
  uint8_t number = 0;  // bInterfaceNumber
  uint8_t interfaceClass = 0;
  uint8_t subclass = 0;
  uint8_t protocol = 0;

  bool operator==(const InterfaceInfo&) const = default;
};

struct DeviceAttributes {
  std::string busid;     // "1-2.3", as in /sys/bus/usb/devices
  std::string portPath;  // udev ID_PATH, stable across reboots: "pci-0000:00:14.0-usb-0:2.3"
  uint16_t vid = 0;
  uint16_t pid = 0;
  std::string serial;  // iSerialNumber string; empty when the device has none
  uint8_t deviceClass = kClassPerInterface;
  // Every interface descriptor of every configuration, alternate settings included: a device can
  // look harmless in its active configuration and switch to another one on request.
  std::vector<InterfaceInfo> interfaces;
  bool attachedThroughVhci =
      false;  // rule E1: a device imported from elsewhere is never re-exported

  bool operator==(const DeviceAttributes&) const = default;
};

}  // namespace usbip::policy
