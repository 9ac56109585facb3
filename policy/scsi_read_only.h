// guards.read_only for mass storage: the SCSI commands a read-only export lets through. The
// worker looks at the command block of every Bulk-Only Transport CBW and refuses the rest (with a
// DATA PROTECT / WRITE PROTECTED sense, as a write-protected medium would).
#pragma once

#include <cstdint>
#include <span>

namespace usbip::policy {

// An allowlist, not a denylist: a command this table does not know is refused, because vendor
// and newer commands can write, format or change the medium in ways a denylist would miss.
bool scsiCommandAllowedReadOnly(std::span<const uint8_t> cdb);

}  // namespace usbip::policy
