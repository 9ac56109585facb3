#include "policy/scsi_read_only.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace usbip::policy {
namespace {

bool allowed(std::vector<uint8_t> cdb) {
  return scsiCommandAllowedReadOnly(cdb);
}

TEST(ScsiReadOnly, ReadsAndQueriesPass) {
  for (const uint8_t opcode : std::initializer_list<uint8_t>{
           0x00, 0x03, 0x08, 0x12, 0x1a, 0x1e, 0x23, 0x25, 0x28, 0x2f, 0x35,
           0x43, 0x46, 0x4a, 0x51, 0x5a, 0x88, 0x8f, 0x91, 0xa0, 0xa8, 0xaf}) {
    std::vector<uint8_t> cdb(16, 0);
    cdb[0] = opcode;
    EXPECT_TRUE(allowed(cdb)) << std::hex << int{opcode};
  }
}

TEST(ScsiReadOnly, WritesFormatsAndMediumChangesAreRefused) {
  for (const uint8_t opcode : std::initializer_list<uint8_t>{
           0x04,  // FORMAT UNIT
           0x0a,  // WRITE(6)
           0x15,  // MODE SELECT(6)
           0x2a,  // WRITE(10)
           0x2e,  // WRITE AND VERIFY(10)
           0x3b,  // WRITE BUFFER: firmware download
           0x41,  // WRITE SAME(10)
           0x42,  // UNMAP
           0x55,  // MODE SELECT(10)
           0x85,  // ATA PASS-THROUGH(16)
           0x8a,  // WRITE(16)
           0x93,  // WRITE SAME(16)
           0xa1,  // ATA PASS-THROUGH(12)
           0xa6,  // LOAD/UNLOAD MEDIUM
           0xaa,  // WRITE(12)
           0xb6,  // SET STREAMING
           0xc0,  // vendor specific
           0xff,
       }) {
    std::vector<uint8_t> cdb(16, 0);
    cdb[0] = opcode;
    EXPECT_FALSE(allowed(cdb)) << std::hex << int{opcode};
  }
}

TEST(ScsiReadOnly, StartStopUnitOnlyWithoutLoadEject) {
  EXPECT_TRUE(allowed({0x1b, 0, 0, 0, 0x01, 0}));   // START
  EXPECT_TRUE(allowed({0x1b, 0, 0, 0, 0x00, 0}));   // STOP
  EXPECT_FALSE(allowed({0x1b, 0, 0, 0, 0x02, 0}));  // eject
  EXPECT_FALSE(allowed({0x1b, 0, 0, 0, 0x03, 0}));  // load
  EXPECT_FALSE(allowed({0x1b, 0, 0, 0}));           // too short to tell
}

TEST(ScsiReadOnly, ServiceActionInOnlyReadCapacity16) {
  EXPECT_TRUE(allowed({0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0}));
  EXPECT_TRUE(allowed({0x9e, 0xf0}));   // upper bits are not part of the service action
  EXPECT_FALSE(allowed({0x9e, 0x12}));  // GET LBA STATUS
  EXPECT_FALSE(allowed({0x9e}));
}

TEST(ScsiReadOnly, EmptyCommandIsRefused) {
  EXPECT_FALSE(allowed({}));
}

}  // namespace
}  // namespace usbip::policy
