// guards.read_only on SCSI Bulk-Only Transport (USB Mass Storage Class, Bulk-Only Transport 1.0).
// Every bulk OUT transfer to a Bulk-Only interface must be one Command Block Wrapper of a command
// policy::scsiCommandAllowedReadOnly lets through, without a data-OUT stage; nothing else reaches
// the device. A refused command is answered here as a write-protected medium answers it: the CBW
// is taken, its data stage is taken (OUT, discarded) or ends short (IN), the CSW says "command
// failed" (bCSWStatus 1) with the whole length as residue, and the REQUEST SENSE that the client's
// usb-storage sends next gets DATA PROTECT / WRITE PROTECTED (sense key 7h, ASC 27h). The kernel
// then fails the write with a target error and resets nothing. MODE SENSE replies get their WP
// bit set, so the client marks the disk read-only in the first place.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "worker/device_state.h"

namespace usbip::worker {

// What the engine does with one bulk transfer on an endpoint the guard watches.
struct StorageVerdict {
  struct Answer {
    int32_t status = 0;
    uint32_t actualLength = 0;
    std::vector<uint8_t> data;  // IN only
  };
  // Set: the client gets this answer and the device never sees the transfer.
  std::optional<Answer> answer;
  // Passed to the device: the offset in this IN transfer of a MODE SENSE reply's
  // device-specific parameter byte, whose bit 7 (WP) the engine sets (setWriteProtect).
  std::optional<uint32_t> writeProtectByte;
  // Set when a command or transfer was refused: which kind of refusal and what it was, for the
  // log.
  const char* refusalKind = nullptr;
  std::string refusal;
};

class ReadOnlyStorageGuard {
 public:
  // The Bulk-Only interfaces of the current alternate settings; every one starts afresh, waiting
  // for a CBW (a new configuration or alternate setting resets the device's transport too).
  void setInterfaces(const std::vector<BulkOnlyInterface>& interfaces);
  bool watches(uint8_t endpointAddress) const;

  // A transfer on a watched endpoint: `outData` is an OUT transfer's data, `length` its
  // transfer_buffer_length.
  StorageVerdict onTransfer(uint8_t endpointAddress, std::span<const uint8_t> outData,
                            uint32_t length, bool shortNotOk);

  // Bulk-Only Mass Storage Reset (class request FFh) to that interface, or a port reset to all.
  void resetInterface(uint8_t number);
  void resetAll();

 private:
  enum class Stage {
    kCommand,     // waiting for a CBW; an IN transfer (a CSW) goes to the device
    kDeviceData,  // a passed command's data-IN stage
    kDiscardOut,  // a refused command's data-OUT stage: taken, never sent
    kOwnDataIn,   // a refused command's (empty) or REQUEST SENSE's data-IN stage, answered here
    kOwnStatus,   // the CSW answered here
  };
  struct Transport {
    explicit Transport(BulkOnlyInterface of) : interface(of) {}

    BulkOnlyInterface interface;
    Stage stage = Stage::kCommand;
    uint32_t tag = 0;
    uint32_t dataLength = 0;  // dCBWDataTransferLength
    uint64_t dataDone = 0;    // bytes of the data stage taken or answered so far
    std::optional<uint32_t> writeProtectOffset;
    std::vector<uint8_t> ownData;
    uint8_t ownStatus = 0;
    std::optional<uint8_t> senseDueLun;  // a refused command's sense is waiting for this LUN
  };

  StorageVerdict onCommand(Transport& transport, std::span<const uint8_t> outData, uint32_t length);
  static StorageVerdict onDataOrStatus(Transport& transport, uint32_t length, bool shortNotOk);

  std::vector<Transport> transports_;
};

// Sets the WP bit of a passed MODE SENSE reply at `offset`, when the reply reaches that far and
// is not a CSW (which a device sends instead of data when it has none).
void setWriteProtect(std::span<uint8_t> data, uint32_t offset);

}  // namespace usbip::worker
