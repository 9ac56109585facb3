// Wire bytes written out by hand from the USB/IP protocol document (all integers big-endian,
// the setup packet little-endian as USB defines it), with the values they stand for.
#pragma once

#include <optional>

#include "protocol/codec.h"
#include "protocol/messages.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {

// --- Handshake -----------------------------------------------------------------------------

inline const Bytes kReqDevlistBytes = {0x01, 0x11, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00};

inline const Bytes kReqImportBytes =
    Bytes{0x01, 0x11, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00} + Bytes{'1', '-', '1'} + zeros(29);

inline const Bytes kMouseRecordBytes = text("/sys/devices/pci0000:00/0000:00:01.2/usb1/1-1", 256) +
                                       text("1-1", 32) +
                                       Bytes{
                                           0x00, 0x00, 0x00, 0x01,  // busnum 1
                                           0x00, 0x00, 0x00, 0x02,  // devnum 2
                                           0x00, 0x00, 0x00, 0x02,  // speed: full
                                           0x06, 0x27,              // idVendor
                                           0x00, 0x01,              // idProduct
                                           0x01, 0x00,              // bcdDevice
                                           0x00, 0x00, 0x00,        // class, subclass, protocol
                                           0x01,                    // bConfigurationValue
                                           0x01,                    // bNumConfigurations
                                           0x01,                    // bNumInterfaces
                                       };

inline DeviceRecord mouseRecord() {
  DeviceRecord device;
  device.path = "/sys/devices/pci0000:00/0000:00:01.2/usb1/1-1";
  device.busid = "1-1";
  device.busnum = 1;
  device.devnum = 2;
  device.speed = Speed::kFull;
  device.idVendor = 0x0627;
  device.idProduct = 0x0001;
  device.bcdDevice = 0x0100;
  device.bConfigurationValue = 1;
  device.bNumConfigurations = 1;
  device.bNumInterfaces = 1;
  return device;
}

inline const Bytes kRepImportBytes =
    Bytes{0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00} + kMouseRecordBytes;

inline const Bytes kRepImportFailedBytes = {0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01};

// Two devices: the mouse (one HID boot-mouse interface) and a hub-less storage stick with two
// interfaces, then nothing else.
inline const Bytes kStickRecordBytes = text("/sys/devices/platform/dummy_hcd.0/usb3/3-1", 256) +
                                       text("3-1", 32) +
                                       Bytes{
                                           0x00, 0x00, 0x00, 0x03,  // busnum 3
                                           0x00, 0x00, 0x00, 0x7f,  // devnum 127
                                           0x00, 0x00, 0x00, 0x05,  // speed: super
                                           0x09, 0x51,              // idVendor
                                           0x16, 0x66,              // idProduct
                                           0x01, 0x10,              // bcdDevice
                                           0x00, 0x00, 0x00,        // class per interface
                                           0x01,                    // bConfigurationValue
                                           0x01,                    // bNumConfigurations
                                           0x02,                    // bNumInterfaces
                                       };

inline DeviceRecord stickRecord() {
  DeviceRecord device;
  device.path = "/sys/devices/platform/dummy_hcd.0/usb3/3-1";
  device.busid = "3-1";
  device.busnum = 3;
  device.devnum = 127;
  device.speed = Speed::kSuper;
  device.idVendor = 0x0951;
  device.idProduct = 0x1666;
  device.bcdDevice = 0x0110;
  device.bConfigurationValue = 1;
  device.bNumConfigurations = 1;
  device.bNumInterfaces = 2;
  return device;
}

inline const Bytes kRepDevlistBytes =
    Bytes{0x01, 0x11, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00} +  // header, status 0
    Bytes{0x00, 0x00, 0x00, 0x02} +                          // two devices
    kMouseRecordBytes + Bytes{0x03, 0x01, 0x02, 0x00} +      // HID, boot, mouse
    kStickRecordBytes + Bytes{0x08, 0x06, 0x50, 0x00} +      // mass storage, SCSI, bulk-only
    Bytes{0xff, 0x42, 0x01, 0x00};                           // vendor specific

inline OpRepDevlist repDevlist() {
  OpRepDevlist reply;
  reply.devices.push_back({mouseRecord(), {{0x03, 0x01, 0x02}}});
  reply.devices.push_back({stickRecord(), {{0x08, 0x06, 0x50}, {0xff, 0x42, 0x01}}});
  return reply;
}

inline const Bytes kRepDevlistEmptyBytes = {0x01, 0x11, 0x00, 0x05, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

// --- URB stream ------------------------------------------------------------------------------

// GET_DESCRIPTOR(DEVICE, 18) on ep 0, as vhci sends it (URB_DIR_IN | URB_SHORT_NOT_OK set).
inline const Bytes kCmdSubmitControlInBytes = {
    0x00, 0x00, 0x00, 0x01,                          // CMD_SUBMIT
    0x00, 0x00, 0x00, 0x05,                          // seqnum 5
    0x00, 0x01, 0x00, 0x02,                          // devid 1-2
    0x00, 0x00, 0x00, 0x01,                          // IN
    0x00, 0x00, 0x00, 0x00,                          // ep 0
    0x00, 0x00, 0x02, 0x01,                          // transfer_flags
    0x00, 0x00, 0x00, 0x12,                          // transfer_buffer_length 18
    0x00, 0x00, 0x00, 0x00,                          // start_frame
    0x00, 0x00, 0x00, 0x00,                          // number_of_packets
    0x00, 0x00, 0x00, 0x00,                          // interval
    0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00,  // setup
};

inline CmdSubmit cmdSubmitControlIn() {
  CmdSubmit submit;
  submit.base = {5, 0x00010002, Direction::kIn, 0};
  submit.transfer_flags = flags::kShortNotOk;  // URB_DIR_IN is masked away (T1)
  submit.transfer_buffer_length = 18;
  submit.setup = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00};
  return submit;
}

// Bulk OUT of four bytes on ep 2 with URB_ZERO_PACKET, number_of_packets as the spec writes it.
inline const Bytes kCmdSubmitBulkOutBytes = {
    0x00, 0x00, 0x00, 0x01,                          // CMD_SUBMIT
    0x00, 0x00, 0x00, 0x06,                          // seqnum 6
    0x00, 0x01, 0x00, 0x02,                          // devid
    0x00, 0x00, 0x00, 0x00,                          // OUT
    0x00, 0x00, 0x00, 0x02,                          // ep 2
    0x00, 0x00, 0x00, 0x40,                          // URB_ZERO_PACKET
    0x00, 0x00, 0x00, 0x04,                          // transfer_buffer_length 4
    0x00, 0x00, 0x00, 0x00,                          // start_frame
    0xff, 0xff, 0xff, 0xff,                          // number_of_packets (ignored, I1)
    0x00, 0x00, 0x00, 0x00,                          // interval
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // setup unused
    0xde, 0xad, 0xbe, 0xef,                          // payload
};

inline CmdSubmit cmdSubmitBulkOut() {
  CmdSubmit submit;
  submit.base = {6, 0x00010002, Direction::kOut, 2};
  submit.transfer_flags = flags::kZeroPacket;
  submit.transfer_buffer_length = 4;
  submit.payload = {0xde, 0xad, 0xbe, 0xef};
  return submit;
}

// Isochronous OUT on ep 3: six bytes in two packets of 4 and 2; data first, then descriptors.
inline const Bytes kCmdSubmitIsoOutBytes = {
    0x00, 0x00, 0x00, 0x01,                          // CMD_SUBMIT
    0x00, 0x00, 0x00, 0x07,                          // seqnum 7
    0x00, 0x01, 0x00, 0x02,                          // devid
    0x00, 0x00, 0x00, 0x00,                          // OUT
    0x00, 0x00, 0x00, 0x03,                          // ep 3
    0x00, 0x00, 0x00, 0x02,                          // URB_ISO_ASAP
    0x00, 0x00, 0x00, 0x06,                          // transfer_buffer_length 6
    0x00, 0x00, 0x00, 0x00,                          // start_frame
    0x00, 0x00, 0x00, 0x02,                          // number_of_packets 2
    0x00, 0x00, 0x00, 0x01,                          // interval 1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // setup unused
    0x10, 0x11, 0x12, 0x13, 0x20, 0x21,              // payload
    0x00, 0x00, 0x00, 0x00,                          // packet 0: offset 0
    0x00, 0x00, 0x00, 0x04,                          //   length 4
    0x00, 0x00, 0x00, 0x00,                          //   actual_length
    0x00, 0x00, 0x00, 0x00,                          //   status
    0x00, 0x00, 0x00, 0x04,                          // packet 1: offset 4
    0x00, 0x00, 0x00, 0x02,                          //   length 2
    0x00, 0x00, 0x00, 0x00,                          //   actual_length
    0x00, 0x00, 0x00, 0x00,                          //   status
};

inline CmdSubmit cmdSubmitIsoOut() {
  CmdSubmit submit;
  submit.base = {7, 0x00010002, Direction::kOut, 3};
  submit.transfer_flags = flags::kIsoAsap;
  submit.transfer_buffer_length = 6;
  submit.number_of_packets = 2;
  submit.interval = 1;
  submit.payload = {0x10, 0x11, 0x12, 0x13, 0x20, 0x21};
  submit.iso = {{0, 4, 0, 0}, {4, 2, 0, 0}};
  return submit;
}

// Isochronous IN on ep 1: two packets of 192 bytes; only descriptors follow the header.
inline const Bytes kCmdSubmitIsoInBytes = {
    0x00, 0x00, 0x00, 0x01,                          // CMD_SUBMIT
    0x00, 0x00, 0x00, 0x08,                          // seqnum 8
    0x00, 0x01, 0x00, 0x02,                          // devid
    0x00, 0x00, 0x00, 0x01,                          // IN
    0x00, 0x00, 0x00, 0x01,                          // ep 1
    0x00, 0x00, 0x02, 0x02,                          // URB_DIR_IN | URB_ISO_ASAP
    0x00, 0x00, 0x01, 0x80,                          // transfer_buffer_length 384
    0x00, 0x00, 0x00, 0x00,                          // start_frame
    0x00, 0x00, 0x00, 0x02,                          // number_of_packets 2
    0x00, 0x00, 0x00, 0x01,                          // interval 1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // setup unused
    0x00, 0x00, 0x00, 0x00,                          // packet 0: offset 0
    0x00, 0x00, 0x00, 0xc0,                          //   length 192
    0x00, 0x00, 0x00, 0x00,                          //   actual_length
    0x00, 0x00, 0x00, 0x00,                          //   status
    0x00, 0x00, 0x00, 0xc0,                          // packet 1: offset 192
    0x00, 0x00, 0x00, 0xc0,                          //   length 192
    0x00, 0x00, 0x00, 0x00,                          //   actual_length
    0x00, 0x00, 0x00, 0x00,                          //   status
};

inline CmdSubmit cmdSubmitIsoIn() {
  CmdSubmit submit;
  submit.base = {8, 0x00010002, Direction::kIn, 1};
  submit.transfer_flags = flags::kIsoAsap;
  submit.transfer_buffer_length = 384;
  submit.number_of_packets = 2;
  submit.interval = 1;
  submit.iso = {{0, 192, 0, 0}, {192, 192, 0, 0}};
  return submit;
}

inline const Bytes kCmdUnlinkBytes =
    Bytes{
        0x00, 0x00, 0x00, 0x02,  // CMD_UNLINK
        0x00, 0x00, 0x00, 0x09,  // seqnum 9
        0x00, 0x01, 0x00, 0x02,  // devid
        0x00, 0x00, 0x00, 0x00,  // direction
        0x00, 0x00, 0x00, 0x00,  // ep
        0x00, 0x00, 0x00, 0x05,  // unlink_seqnum 5
    } +
    zeros(24);  // padding of the union

inline CmdUnlink cmdUnlink() {
  CmdUnlink unlink;
  unlink.base = {9, 0x00010002, Direction::kOut, 0};
  unlink.unlink_seqnum = 5;
  return unlink;
}

// The device descriptor returned for kCmdSubmitControlInBytes.
inline const Bytes kRetSubmitControlInBytes = Bytes{
    0x00, 0x00, 0x00, 0x03,                          // RET_SUBMIT
    0x00, 0x00, 0x00, 0x05,                          // seqnum 5
    0x00, 0x00, 0x00, 0x00,                          // devid 0, as the stub sends it
    0x00, 0x00, 0x00, 0x00,                          // direction 0
    0x00, 0x00, 0x00, 0x00,                          // ep 0
    0x00, 0x00, 0x00, 0x00,                          // status
    0x00, 0x00, 0x00, 0x12,                          // actual_length 18
    0x00, 0x00, 0x00, 0x00,                          // start_frame
    0x00, 0x00, 0x00, 0x00,                          // number_of_packets
    0x00, 0x00, 0x00, 0x00,                          // error_count
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // padding
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x27,
    0x06, 0x01, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01,  // device descriptor
};

inline RetSubmit retSubmitControlIn() {
  RetSubmit reply;
  reply.base.seqnum = 5;
  reply.actual_length = 18;
  reply.payload = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x27,
                   0x06, 0x01, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01};
  return reply;
}

// Reply to kCmdSubmitIsoInBytes: packet 0 got 3 bytes, packet 1 got 2; the data is packed.
inline const Bytes kRetSubmitIsoInBytes = {
    0x00, 0x00, 0x00, 0x03,                          // RET_SUBMIT
    0x00, 0x00, 0x00, 0x08,                          // seqnum 8
    0x00, 0x00, 0x00, 0x00,                          // devid
    0x00, 0x00, 0x00, 0x00,                          // direction
    0x00, 0x00, 0x00, 0x00,                          // ep
    0x00, 0x00, 0x00, 0x00,                          // status
    0x00, 0x00, 0x00, 0x05,                          // actual_length 5
    0x00, 0x00, 0x01, 0x00,                          // start_frame 256
    0x00, 0x00, 0x00, 0x02,                          // number_of_packets 2
    0x00, 0x00, 0x00, 0x00,                          // error_count
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // padding
    0xaa, 0xbb, 0xcc, 0xdd, 0xee,                    // packed data
    0x00, 0x00, 0x00, 0x00,                          // packet 0: offset 0
    0x00, 0x00, 0x00, 0xc0,                          //   length 192
    0x00, 0x00, 0x00, 0x03,                          //   actual_length 3
    0x00, 0x00, 0x00, 0x00,                          //   status
    0x00, 0x00, 0x00, 0xc0,                          // packet 1: offset 192
    0x00, 0x00, 0x00, 0xc0,                          //   length 192
    0x00, 0x00, 0x00, 0x02,                          //   actual_length 2
    0xff, 0xff, 0xff, 0xee,                          //   status -18 (-EXDEV)
};

inline RetSubmit retSubmitIsoIn() {
  RetSubmit reply;
  reply.base.seqnum = 8;
  reply.actual_length = 5;
  reply.start_frame = 256;
  reply.number_of_packets = 2;
  reply.payload = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  reply.iso = {{0, 192, 3, 0}, {192, 192, 2, -18}};
  return reply;
}

inline const Bytes kRetUnlinkBytes =
    Bytes{
        0x00, 0x00, 0x00, 0x04,  // RET_UNLINK
        0x00, 0x00, 0x00, 0x09,  // seqnum 9
        0x00, 0x00, 0x00, 0x00,  // devid
        0x00, 0x00, 0x00, 0x00,  // direction
        0x00, 0x00, 0x00, 0x00,  // ep
        0xff, 0xff, 0xff, 0x98,  // status -104 (-ECONNRESET)
    } +
    zeros(24);

inline RetUnlink retUnlink() {
  RetUnlink reply;
  reply.base.seqnum = 9;
  reply.status = -104;
  return reply;
}

// What the client remembers of the requests above (for ServerUrbDecoder).
inline std::optional<PendingSubmit> testPending(uint32_t seqnum) {
  switch (seqnum) {
    case 5:
      return PendingSubmit{Direction::kIn, false, 18, 0};
    case 6:
      return PendingSubmit{Direction::kOut, false, 4, 0};
    case 7:
      return PendingSubmit{Direction::kOut, true, 6, 2};
    case 8:
      return PendingSubmit{Direction::kIn, true, 384, 2};
    default:
      return std::nullopt;
  }
}

}  // namespace usbip::proto::test
