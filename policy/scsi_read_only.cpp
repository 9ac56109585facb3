#include "policy/scsi_read_only.h"

#include <algorithm>
#include <array>

namespace usbip::policy {
namespace {

// Opcodes allowed whatever their parameters (SPC-4, SBC-3, MMC-6).
constexpr std::array<uint8_t, 22> kReadOnlyOpcodes = {
    0x00,  // TEST UNIT READY
    0x03,  // REQUEST SENSE
    0x08,  // READ(6)
    0x12,  // INQUIRY
    0x1a,  // MODE SENSE(6)
    0x1e,  // PREVENT ALLOW MEDIUM REMOVAL: locks the tray, changes no data
    0x23,  // READ FORMAT CAPACITIES
    0x25,  // READ CAPACITY(10)
    0x28,  // READ(10)
    0x2f,  // VERIFY(10): compares or checks readability, never writes
    0x35,  // SYNCHRONIZE CACHE(10): nothing to flush, since no write got through
    0x43,  // READ TOC/PMA/ATIP
    0x46,  // GET CONFIGURATION
    0x4a,  // GET EVENT STATUS NOTIFICATION
    0x51,  // READ DISC INFORMATION
    0x5a,  // MODE SENSE(10)
    0x88,  // READ(16)
    0x8f,  // VERIFY(16)
    0x91,  // SYNCHRONIZE CACHE(16)
    0xa0,  // REPORT LUNS
    0xa8,  // READ(12)
    0xaf,  // VERIFY(12)
};

constexpr uint8_t kStartStopUnit = 0x1b;
constexpr uint8_t kLoadEjectBit = 0x02;  // byte 4: LOEJ, loads or ejects the medium
constexpr uint8_t kServiceActionIn16 = 0x9e;
constexpr uint8_t kReadCapacity16 = 0x10;  // byte 1, low 5 bits: the service action

}  // namespace

bool scsiCommandAllowedReadOnly(std::span<const uint8_t> cdb) {
  if (cdb.empty()) return false;
  const uint8_t opcode = cdb[0];
  if (std::find(kReadOnlyOpcodes.begin(), kReadOnlyOpcodes.end(), opcode) !=
      kReadOnlyOpcodes.end()) {
    return true;
  }
  // Spinning a disk up or down is harmless; loading or ejecting changes the medium.
  if (opcode == kStartStopUnit) return cdb.size() >= 5 && (cdb[4] & kLoadEjectBit) == 0;
  // SERVICE ACTION IN(16) also carries GET LBA STATUS and others; only READ CAPACITY(16) is needed.
  if (opcode == kServiceActionIn16) return cdb.size() >= 2 && (cdb[1] & 0x1f) == kReadCapacity16;
  return false;
}

}  // namespace usbip::policy
