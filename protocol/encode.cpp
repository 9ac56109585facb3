// Encoders. They check that the value is consistent with itself (payload size, packet count,
// string lengths) and throw std::invalid_argument otherwise: a malformed message from our own
// side is a bug to report, not something to put on the wire.
#include <stdexcept>
#include <string>

#include "protocol/byte_writer.h"
#include "protocol/codec.h"
#include "protocol/device_record_codec.h"
#include "protocol/iso_descriptor_codec.h"
#include "protocol/urb_header.h"

namespace usbip::proto {
namespace {

void writeOpHeader(ByteWriter& out, OpCode code, uint32_t status) {
  out.u16(kVersion);
  out.u16(static_cast<uint16_t>(code));
  out.u32(status);
}

void requirePacketCount(int32_t numberOfPackets, const std::vector<IsoPacket>& iso,
                        const char* message) {
  if (static_cast<int64_t>(numberOfPackets) != static_cast<int64_t>(iso.size())) {
    throw std::invalid_argument(std::string(message) + ": number_of_packets " +
                                std::to_string(numberOfPackets) + " but " +
                                std::to_string(iso.size()) + " iso descriptors");
  }
}

}  // namespace

void encode(const OpReqDevlist&, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  writeOpHeader(writer, OpCode::kReqDevlist, 0);
}

void encode(const OpRepDevlist& reply, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  writeOpHeader(writer, OpCode::kRepDevlist, reply.status);
  // A failed reply is only the header, the way usbip's client reads it.
  if (reply.status != 0) return;
  writer.u32(static_cast<uint32_t>(reply.devices.size()));
  for (const ExportedDevice& exported : reply.devices) {
    if (exported.interfaces.size() != exported.device.bNumInterfaces) {
      throw std::invalid_argument("OP_REP_DEVLIST: device " + exported.device.busid +
                                  " has bNumInterfaces " +
                                  std::to_string(exported.device.bNumInterfaces) + " but " +
                                  std::to_string(exported.interfaces.size()) + " interfaces");
    }
    writeDeviceRecord(writer, exported.device);
    for (const InterfaceRecord& interface : exported.interfaces) {
      writeInterfaceRecord(writer, interface);
    }
  }
}

void encode(const OpReqImport& request, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  writeOpHeader(writer, OpCode::kReqImport, 0);
  writer.fixedString(request.busid, kBusidFieldSize, "OP_REQ_IMPORT busid");
}

void encode(const OpRepImport& reply, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  writeOpHeader(writer, OpCode::kRepImport, reply.status);
  if (reply.status == 0) writeDeviceRecord(writer, reply.device);
}

void encode(const CmdSubmit& submit, std::vector<uint8_t>& out) {
  bool isOut = submit.base.direction == Direction::kOut;
  if (submit.transfer_buffer_length < 0) {
    throw std::invalid_argument("CMD_SUBMIT: negative transfer_buffer_length");
  }
  size_t expectedPayload = isOut ? static_cast<size_t>(submit.transfer_buffer_length) : 0;
  if (submit.payload.size() != expectedPayload) {
    throw std::invalid_argument("CMD_SUBMIT: payload of " + std::to_string(submit.payload.size()) +
                                " bytes, expected " + std::to_string(expectedPayload));
  }
  // Without descriptors the count is written as given: peers send 0 or 0xffffffff (rule I1).
  if (!submit.iso.empty()) requirePacketCount(submit.number_of_packets, submit.iso, "CMD_SUBMIT");

  ByteWriter writer(out);
  RawUrbHeader header;
  header.command = static_cast<uint32_t>(Command::kCmdSubmit);
  header.seqnum = submit.base.seqnum;
  header.devid = submit.base.devid;
  header.direction = static_cast<uint32_t>(submit.base.direction);
  header.ep = submit.base.ep;
  header.words = {submit.transfer_flags, static_cast<uint32_t>(submit.transfer_buffer_length),
                  static_cast<uint32_t>(submit.start_frame),
                  static_cast<uint32_t>(submit.number_of_packets),
                  static_cast<uint32_t>(submit.interval)};
  header.setup = submit.setup;
  writeUrbHeader(writer, header);
  writer.bytes(submit.payload);
  writeIsoPackets(writer, submit.iso);
}

void encodeAroundPayload(const RetSubmit& reply, std::vector<uint8_t>& header,
                         std::vector<uint8_t>& trailer) {
  // Rule I1 on output: a non-isochronous reply says 0 packets, an isochronous one lists them all.
  requirePacketCount(reply.number_of_packets, reply.iso, "RET_SUBMIT");
  if (!reply.payload.empty() &&
      static_cast<int64_t>(reply.payload.size()) != static_cast<int64_t>(reply.actual_length)) {
    throw std::invalid_argument("RET_SUBMIT: payload of " + std::to_string(reply.payload.size()) +
                                " bytes but actual_length " + std::to_string(reply.actual_length));
  }

  ByteWriter headerWriter(header);
  RawUrbHeader raw;
  raw.command = static_cast<uint32_t>(Command::kRetSubmit);
  raw.seqnum = reply.base.seqnum;  // devid, direction and ep stay 0, as the kernel's stub
  raw.words = {static_cast<uint32_t>(reply.status), static_cast<uint32_t>(reply.actual_length),
               static_cast<uint32_t>(reply.start_frame),
               static_cast<uint32_t>(reply.number_of_packets),
               static_cast<uint32_t>(reply.error_count)};
  writeUrbHeader(headerWriter, raw);
  ByteWriter trailerWriter(trailer);
  writeIsoPackets(trailerWriter, reply.iso);
}

void encode(const RetSubmit& reply, std::vector<uint8_t>& out) {
  std::vector<uint8_t> trailer;
  encodeAroundPayload(reply, out, trailer);
  out.insert(out.end(), reply.payload.begin(), reply.payload.end());
  out.insert(out.end(), trailer.begin(), trailer.end());
}

void encode(const CmdUnlink& unlink, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  RawUrbHeader header;
  header.command = static_cast<uint32_t>(Command::kCmdUnlink);
  header.seqnum = unlink.base.seqnum;
  header.devid = unlink.base.devid;
  header.direction = static_cast<uint32_t>(unlink.base.direction);
  header.ep = unlink.base.ep;
  header.words[0] = unlink.unlink_seqnum;
  writeUrbHeader(writer, header);
}

void encode(const RetUnlink& reply, std::vector<uint8_t>& out) {
  ByteWriter writer(out);
  RawUrbHeader header;
  header.command = static_cast<uint32_t>(Command::kRetUnlink);
  header.seqnum = reply.base.seqnum;  // devid, direction and ep stay 0, as the kernel's stub
  header.words[0] = static_cast<uint32_t>(reply.status);
  writeUrbHeader(writer, header);
}

}  // namespace usbip::proto
