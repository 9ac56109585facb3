// USB/IP messages as plain values, independent of their byte layout (see codec.h for that).
// Field names follow Documentation/usb/usbip_protocol.rst and drivers/usb/usbip/usbip_common.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "protocol/transfer_bytes.h"

namespace usbip::proto {

inline constexpr uint16_t kVersion = 0x0111;

// Operation codes of the handshake (OP_*), sent before a device is imported.
enum class OpCode : uint16_t {
  kReqDevlist = 0x8005,
  kRepDevlist = 0x0005,
  kReqImport = 0x8003,
  kRepImport = 0x0003,
};

// Commands of the URB stream, sent after import.
enum class Command : uint32_t {
  kCmdSubmit = 0x00000001,
  kCmdUnlink = 0x00000002,
  kRetSubmit = 0x00000003,
  kRetUnlink = 0x00000004,
};

enum class Direction : uint32_t { kOut = 0, kIn = 1 };

// The kernel's enum usb_device_speed values, as they travel on the wire.
enum class Speed : uint32_t {
  kUnknown = 0,
  kLow = 1,
  kFull = 2,
  kHigh = 3,
  kWireless = 4,
  kSuper = 5,
  kSuperPlus = 6,
};

// URB transfer_flags bits (include/linux/usb.h) that may appear on the wire.
namespace flags {
inline constexpr uint32_t kShortNotOk = 0x0001;
inline constexpr uint32_t kIsoAsap = 0x0002;
inline constexpr uint32_t kNoTransferDmaMap = 0x0004;
inline constexpr uint32_t kZeroPacket = 0x0040;
inline constexpr uint32_t kNoInterrupt = 0x0080;
inline constexpr uint32_t kFreeBuffer = 0x0100;
inline constexpr uint32_t kDirIn = 0x0200;
}  // namespace flags

// struct usbip_usb_device (312 bytes on the wire).
struct DeviceRecord {
  std::string path;   // at most 255 bytes on the wire, NUL-padded to 256
  std::string busid;  // at most 31 bytes on the wire, NUL-padded to 32
  uint32_t busnum = 0;
  uint32_t devnum = 0;
  Speed speed = Speed::kUnknown;
  uint16_t idVendor = 0;
  uint16_t idProduct = 0;
  uint16_t bcdDevice = 0;
  uint8_t bDeviceClass = 0;
  uint8_t bDeviceSubClass = 0;
  uint8_t bDeviceProtocol = 0;
  uint8_t bConfigurationValue = 0;
  uint8_t bNumConfigurations = 0;
  uint8_t bNumInterfaces = 0;

  uint32_t devid() const { return (busnum << 16) | devnum; }
  bool operator==(const DeviceRecord&) const = default;
};

// struct usbip_usb_interface (4 bytes on the wire; the 4th is padding).
struct InterfaceRecord {
  uint8_t bInterfaceClass = 0;
  uint8_t bInterfaceSubClass = 0;
  uint8_t bInterfaceProtocol = 0;
  bool operator==(const InterfaceRecord&) const = default;
};

struct ExportedDevice {
  DeviceRecord device;
  std::vector<InterfaceRecord> interfaces;  // bNumInterfaces entries, on the wire only in DEVLIST
  bool operator==(const ExportedDevice&) const = default;
};

struct OpReqDevlist {
  bool operator==(const OpReqDevlist&) const = default;
};
struct OpRepDevlist {
  uint32_t status = 0;
  std::vector<ExportedDevice> devices;
  bool operator==(const OpRepDevlist&) const = default;
};
struct OpReqImport {
  std::string busid;
  bool operator==(const OpReqImport&) const = default;
};
struct OpRepImport {
  uint32_t status = 0;  // 0 = OK; on error no device record follows
  DeviceRecord device;  // only meaningful when status == 0
  bool operator==(const OpRepImport&) const = default;
};

// One isochronous packet descriptor (struct usbip_iso_packet_descriptor, 16 bytes).
struct IsoPacket {
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t actual_length = 0;
  int32_t status = 0;
  bool operator==(const IsoPacket&) const = default;
};

// usbip_header_basic, common to the four URB-stream commands.
struct BasicHeader {
  uint32_t seqnum = 0;
  uint32_t devid = 0;
  Direction direction = Direction::kOut;
  uint32_t ep = 0;
  bool operator==(const BasicHeader&) const = default;
};

struct CmdSubmit {
  BasicHeader base;
  uint32_t transfer_flags = 0;
  int32_t transfer_buffer_length = 0;
  int32_t start_frame = 0;
  int32_t number_of_packets = 0;  // 0 for non-isochronous after decoding (rule I1)
  int32_t interval = 0;
  std::array<uint8_t, 8> setup{};
  TransferBytes payload;       // OUT data: exactly transfer_buffer_length bytes; IN: empty
  std::vector<IsoPacket> iso;  // number_of_packets descriptors for isochronous URBs
  bool operator==(const CmdSubmit&) const = default;
};

struct RetSubmit {
  BasicHeader base;
  int32_t status = 0;
  int32_t actual_length = 0;
  int32_t start_frame = 0;
  int32_t number_of_packets = 0;
  int32_t error_count = 0;
  TransferBytes payload;  // IN data (actual_length bytes); empty for OUT
  std::vector<IsoPacket> iso;
  bool operator==(const RetSubmit&) const = default;
};

struct CmdUnlink {
  BasicHeader base;
  uint32_t unlink_seqnum = 0;
  bool operator==(const CmdUnlink&) const = default;
};

struct RetUnlink {
  BasicHeader base;
  int32_t status = 0;
  bool operator==(const RetUnlink&) const = default;
};

// What a client sends to a server.
using ClientHandshake = std::variant<OpReqDevlist, OpReqImport>;
using ClientUrbMessage = std::variant<CmdSubmit, CmdUnlink>;
// What a server sends to a client.
using ServerUrbMessage = std::variant<RetSubmit, RetUnlink>;

}  // namespace usbip::proto
