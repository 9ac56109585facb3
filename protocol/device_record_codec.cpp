#include "protocol/device_record_codec.h"

#include <string>

#include "protocol/errors.h"
#include "protocol/fixed_string.h"

namespace usbip::proto {
namespace {

bool isKnownSpeed(uint32_t speed) {
  return speed >= static_cast<uint32_t>(Speed::kLow) &&
         speed <= static_cast<uint32_t>(Speed::kSuperPlus);
}

}  // namespace

void writeDeviceRecord(ByteWriter& out, const DeviceRecord& device) {
  out.fixedString(device.path, kPathFieldSize, "device path");
  out.fixedString(device.busid, kBusidFieldSize, "device busid");
  out.u32(device.busnum);
  out.u32(device.devnum);
  out.u32(static_cast<uint32_t>(device.speed));
  out.u16(device.idVendor);
  out.u16(device.idProduct);
  out.u16(device.bcdDevice);
  out.u8(device.bDeviceClass);
  out.u8(device.bDeviceSubClass);
  out.u8(device.bDeviceProtocol);
  out.u8(device.bConfigurationValue);
  out.u8(device.bNumConfigurations);
  out.u8(device.bNumInterfaces);
}

void writeInterfaceRecord(ByteWriter& out, const InterfaceRecord& interface) {
  out.u8(interface.bInterfaceClass);
  out.u8(interface.bInterfaceSubClass);
  out.u8(interface.bInterfaceProtocol);
  out.u8(0);  // padding
}

DeviceRecord readDeviceRecord(ByteReader& in, const Limits& limits) {
  DeviceRecord device;
  device.path = readNulTerminated(in.bytes(kPathFieldSize), Rule::R1, "path");
  device.busid = readNulTerminated(in.bytes(kBusidFieldSize), Rule::R1, "busid");
  device.busnum = in.u32();
  device.devnum = in.u32();
  uint32_t speed = in.u32();
  device.idVendor = in.u16();
  device.idProduct = in.u16();
  device.bcdDevice = in.u16();
  device.bDeviceClass = in.u8();
  device.bDeviceSubClass = in.u8();
  device.bDeviceProtocol = in.u8();
  device.bConfigurationValue = in.u8();
  device.bNumConfigurations = in.u8();
  device.bNumInterfaces = in.u8();

  // devid packs busnum and devnum into 16 bits each; USB addresses are 1..127. Bus 0 is
  // allowed: no kernel bus has it, but the project's simulated devices live there (busid 0-N).
  if (device.busnum > 0xffff) {
    throw ProtocolError(Rule::R1, "busnum",
                        "out of range 0..65535: " + std::to_string(device.busnum));
  }
  if (device.devnum == 0 || device.devnum > 127) {
    throw ProtocolError(Rule::R1, "devnum",
                        "out of range 1..127: " + std::to_string(device.devnum));
  }
  if (!isKnownSpeed(speed)) {
    throw ProtocolError(Rule::R1, "speed", "unknown speed value " + std::to_string(speed));
  }
  device.speed = static_cast<Speed>(speed);
  if (device.bNumInterfaces > limits.maxInterfaces) {
    throw ProtocolError(Rule::R1, "bNumInterfaces",
                        std::to_string(device.bNumInterfaces) + " exceeds the limit of " +
                            std::to_string(limits.maxInterfaces));
  }
  return device;
}

InterfaceRecord readInterfaceRecord(ByteReader& in) {
  InterfaceRecord interface;
  interface.bInterfaceClass = in.u8();
  interface.bInterfaceSubClass = in.u8();
  interface.bInterfaceProtocol = in.u8();
  in.skip(1);  // padding
  return interface;
}

}  // namespace usbip::proto
