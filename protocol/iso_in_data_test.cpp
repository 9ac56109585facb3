// The packed layout of isochronous IN data (stub_tx.c packs, usbip_pad_iso unpacks).
#include <gtest/gtest.h>

#include <stdexcept>

#include "protocol/codec.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

const std::vector<IsoPacket> kPackets = {{0, 4, 2, 0}, {4, 4, 0, 0}, {8, 4, 3, 0}};

TEST(IsoInData, PacksActualLengthsWithoutGaps) {
  Bytes buffer = {1, 2, 0, 0, 9, 9, 9, 9, 5, 6, 7, 0};
  EXPECT_EQ(packIsoInData(buffer, kPackets), (Bytes{1, 2, 5, 6, 7}));
}

TEST(IsoInData, UnpacksToTheDescriptorOffsets) {
  EXPECT_EQ(unpackIsoInData(Bytes{1, 2, 5, 6, 7}, kPackets, 12),
            (Bytes{1, 2, 0, 0, 0, 0, 0, 0, 5, 6, 7, 0}));
}

TEST(IsoInData, RejectsInconsistentDescriptors) {
  EXPECT_THROW(packIsoInData(Bytes(8, 0), kPackets), std::invalid_argument);
  EXPECT_THROW(unpackIsoInData(Bytes{1, 2, 5, 6}, kPackets, 12), std::invalid_argument);
  EXPECT_THROW(unpackIsoInData(Bytes{1, 2, 5, 6, 7, 8}, kPackets, 12), std::invalid_argument);
  std::vector<IsoPacket> overLong = {{0, 4, 5, 0}};
  EXPECT_THROW(packIsoInData(Bytes(8, 0), overLong), std::invalid_argument);
}

}  // namespace
}  // namespace usbip::proto::test
