// The 312-byte struct usbip_usb_device and the 4-byte struct usbip_usb_interface, shared by the
// DEVLIST and IMPORT replies.
#pragma once

#include "protocol/byte_reader.h"
#include "protocol/byte_writer.h"
#include "protocol/limits.h"
#include "protocol/messages.h"

namespace usbip::proto {

inline constexpr size_t kPathFieldSize = 256;
inline constexpr size_t kBusidFieldSize = 32;
// Offset of bNumInterfaces, the record's last byte: a DEVLIST decoder needs it to know how many
// interface records follow before it parses the record.
inline constexpr size_t kNumInterfacesOffset = 311;

void writeDeviceRecord(ByteWriter& out, const DeviceRecord& device);
void writeInterfaceRecord(ByteWriter& out, const InterfaceRecord& interface);

// Parses and validates (rule R1) a device record from an untrusted server.
DeviceRecord readDeviceRecord(ByteReader& in, const Limits& limits);
InterfaceRecord readInterfaceRecord(ByteReader& in);

}  // namespace usbip::proto
