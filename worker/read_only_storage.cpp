#include "worker/read_only_storage.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "policy/scsi_read_only.h"
#include "worker/little_endian.h"

namespace usbip::worker {
namespace {

// Bulk-Only Transport 1.0, sections 5.1 and 5.2.
constexpr uint32_t kCbwLength = 31;
constexpr uint32_t kCswLength = 13;
constexpr uint32_t kCbwSignature = 0x43425355;  // "USBC"
constexpr uint32_t kCswSignature = 0x53425355;  // "USBS"
constexpr uint8_t kCbwFlagIn = 0x80;
constexpr uint8_t kCswFailed = 1;

// SCSI (SPC-4, SBC-3).
constexpr uint8_t kRequestSense = 0x03;
constexpr uint8_t kModeSense6 = 0x1a;
constexpr uint8_t kModeSense10 = 0x5a;
// The device-specific parameter byte of the mode parameter header, whose bit 7 is WP.
constexpr uint32_t kModeSense6DeviceSpecific = 2;
constexpr uint32_t kModeSense10DeviceSpecific = 3;
constexpr uint8_t kWriteProtectBit = 0x80;

// Fixed-format sense data (SPC-4 4.5.3): current error, DATA PROTECT, WRITE PROTECTED.
constexpr uint8_t kSenseFixedCurrent = 0x70;
constexpr uint8_t kSenseKeyDataProtect = 0x07;
constexpr uint8_t kAscWriteProtected = 0x27;
constexpr size_t kSenseLength = 18;

struct Cbw {
  uint32_t tag = 0;
  uint32_t dataLength = 0;
  bool in = false;
  uint8_t lun = 0;
  std::span<const uint8_t> command;
};

// A CBW is valid only as one transfer of exactly 31 bytes (section 6.2.1): anything else could be
// put together into a command by the device in ways this guard would not see.
std::optional<Cbw> parseCbw(std::span<const uint8_t> data, uint32_t length) {
  if (length != kCbwLength || data.size() != kCbwLength) return std::nullopt;
  if (le32(data, 0) != kCbwSignature) return std::nullopt;
  const uint8_t commandLength = data[14] & 0x1f;
  if (commandLength < 1 || commandLength > 16 || (data[13] & 0xf0) != 0) return std::nullopt;
  return Cbw{le32(data, 4), le32(data, 8), (data[12] & kCbwFlagIn) != 0,
             static_cast<uint8_t>(data[13] & 0x0f), data.subspan(15, commandLength)};
}

std::vector<uint8_t> writeProtectedSense(size_t length) {
  std::vector<uint8_t> sense(kSenseLength, 0);
  sense[0] = kSenseFixedCurrent;
  sense[2] = kSenseKeyDataProtect;
  sense[7] = kSenseLength - 8;  // additional sense length
  sense[12] = kAscWriteProtected;
  sense.resize(std::min(length, kSenseLength));
  return sense;
}

// The guard answers in the device's place.
StorageVerdict answered(int32_t status, uint32_t actualLength, std::vector<uint8_t> data = {}) {
  StorageVerdict verdict;
  verdict.answer = StorageVerdict::Answer{status, actualLength, std::move(data)};
  return verdict;
}

std::string describeCommand(const Cbw& cbw) {
  char text[96];
  std::snprintf(text, sizeof text, "SCSI command %#04x (LUN %u, %u bytes %s)", cbw.command[0],
                cbw.lun, cbw.dataLength, cbw.in ? "in" : "out");
  return text;
}

}  // namespace

void ReadOnlyStorageGuard::setInterfaces(const std::vector<BulkOnlyInterface>& interfaces) {
  transports_.clear();
  for (const BulkOnlyInterface& interface : interfaces)
    transports_.push_back(Transport{interface});
}

bool ReadOnlyStorageGuard::watches(uint8_t endpointAddress) const {
  return std::any_of(transports_.begin(), transports_.end(), [&](const Transport& transport) {
    return transport.interface.bulkIn == endpointAddress ||
           transport.interface.bulkOut == endpointAddress;
  });
}

void ReadOnlyStorageGuard::resetInterface(uint8_t number) {
  for (Transport& transport : transports_) {
    if (transport.interface.number == number) transport = Transport{transport.interface};
  }
}

void ReadOnlyStorageGuard::resetAll() {
  for (Transport& transport : transports_)
    transport = Transport{transport.interface};
}

StorageVerdict ReadOnlyStorageGuard::onTransfer(uint8_t endpointAddress,
                                                std::span<const uint8_t> outData, uint32_t length,
                                                bool shortNotOk) {
  for (Transport& transport : transports_) {
    if (transport.interface.bulkOut == endpointAddress) {
      if (transport.stage != Stage::kDiscardOut) return onCommand(transport, outData, length);
      // The refused command's data: taken as a device that accepts and discards it would.
      transport.dataDone += length;
      if (transport.dataDone >= transport.dataLength) transport.stage = Stage::kOwnStatus;
      return answered(0, length);
    }
    if (transport.interface.bulkIn == endpointAddress) {
      return onDataOrStatus(transport, length, shortNotOk);
    }
  }
  return {};
}

StorageVerdict ReadOnlyStorageGuard::onCommand(Transport& transport,
                                               std::span<const uint8_t> outData, uint32_t length) {
  const std::optional<Cbw> cbw = parseCbw(outData, length);
  if (!cbw) {
    // What a device does with an invalid CBW (section 6.6.1): stall. The client's usb-storage
    // answers that with reset recovery.
    transport = Transport{transport.interface};
    StorageVerdict stalled = answered(-EPIPE, 0);
    stalled.refusalKind = "read-only storage: a bulk OUT transfer that is not one valid CBW";
    stalled.refusal = std::to_string(length) + " bytes";
    return stalled;
  }
  const std::optional<uint8_t> senseDue = transport.senseDueLun;
  transport.senseDueLun.reset();
  transport.tag = cbw->tag;
  transport.dataLength = cbw->dataLength;
  transport.dataDone = 0;
  transport.writeProtectOffset.reset();
  transport.ownData.clear();
  transport.ownStatus = 0;
  const StorageVerdict taken = answered(0, length);

  const uint8_t opcode = cbw->command[0];
  if (senseDue == cbw->lun && opcode == kRequestSense && cbw->in) {
    // The sense of the command refused just before: the device never saw that command, so
    // only the guard can tell why it failed.
    const size_t allocation = cbw->command.size() > 4 ? cbw->command[4] : kSenseLength;
    transport.ownData = writeProtectedSense(std::min<size_t>(allocation, cbw->dataLength));
    transport.stage = cbw->dataLength > 0 ? Stage::kOwnDataIn : Stage::kOwnStatus;
    return taken;
  }
  // No allowed command needs a data-OUT stage (VERIFY with BYTCHK aside, which no client needs
  // on a read-only export), and data the device takes as a command is exactly what must not
  // reach it: so no data-OUT stage passes.
  const bool dataOut = cbw->dataLength > 0 && !cbw->in;
  if (policy::scsiCommandAllowedReadOnly(cbw->command) && !dataOut) {
    if (cbw->dataLength > 0) {
      transport.stage = Stage::kDeviceData;
      if (opcode == kModeSense6) transport.writeProtectOffset = kModeSense6DeviceSpecific;
      if (opcode == kModeSense10) transport.writeProtectOffset = kModeSense10DeviceSpecific;
    } else {
      transport.stage = Stage::kCommand;
    }
    return {};
  }
  transport.senseDueLun = cbw->lun;
  transport.ownStatus = kCswFailed;
  if (cbw->dataLength == 0) {
    transport.stage = Stage::kOwnStatus;
  } else {
    transport.stage = cbw->in ? Stage::kOwnDataIn : Stage::kDiscardOut;
  }
  StorageVerdict refused = taken;
  refused.refusalKind = "read-only storage: a SCSI command that is not a read or a query";
  refused.refusal = describeCommand(*cbw);
  return refused;
}

StorageVerdict ReadOnlyStorageGuard::onDataOrStatus(Transport& transport, uint32_t length,
                                                    bool shortNotOk) {
  switch (transport.stage) {
    case Stage::kDeviceData: {
      StorageVerdict pass;
      const uint64_t start = transport.dataDone;
      if (transport.writeProtectOffset && *transport.writeProtectOffset >= start &&
          *transport.writeProtectOffset < start + length) {
        pass.writeProtectByte = static_cast<uint32_t>(*transport.writeProtectOffset - start);
      }
      transport.dataDone += length;
      if (transport.dataDone >= transport.dataLength) transport.stage = Stage::kCommand;
      return pass;
    }
    case Stage::kOwnDataIn: {
      // A short packet ends the data stage; the residue in the CSW says how much is missing.
      std::vector<uint8_t> data = transport.ownData;
      if (data.size() > length) data.resize(length);
      transport.dataDone = data.size();
      transport.stage = Stage::kOwnStatus;
      const bool isShort = data.size() < length;
      const auto actual = static_cast<uint32_t>(data.size());
      return answered(isShort && shortNotOk ? -EREMOTEIO : 0, actual, std::move(data));
    }
    case Stage::kOwnStatus: {
      std::vector<uint8_t> csw;
      appendLe32(csw, kCswSignature);
      appendLe32(csw, transport.tag);
      // A failed command processed none of its data, whatever was taken (section 6.7).
      const uint64_t processed = transport.ownStatus == kCswFailed ? 0 : transport.dataDone;
      appendLe32(csw, static_cast<uint32_t>(transport.dataLength -
                                            std::min<uint64_t>(processed, transport.dataLength)));
      csw.push_back(transport.ownStatus);
      if (csw.size() > length) csw.resize(length);
      transport.stage = Stage::kCommand;
      const auto actual = static_cast<uint32_t>(csw.size());
      return answered(0, actual, std::move(csw));
    }
    case Stage::kCommand:
    case Stage::kDiscardOut:
      break;
  }
  return {};
}

void setWriteProtect(std::span<uint8_t> data, uint32_t offset) {
  if (offset >= data.size()) return;
  if (data.size() == kCswLength && le32(data, 0) == kCswSignature) return;
  data[offset] |= kWriteProtectBit;
}

}  // namespace usbip::worker
