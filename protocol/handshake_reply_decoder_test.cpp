// HandshakeReplyDecoder (client side) against rule R1: a server's reply is untrusted.
#include <gtest/gtest.h>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

// Offsets inside a 312-byte device record.
constexpr size_t kRecordPath = 0;
constexpr size_t kRecordBusid = 256;
constexpr size_t kRecordBusnum = 288;
constexpr size_t kRecordDevnum = 292;
constexpr size_t kRecordSpeed = 296;
constexpr size_t kRecordNumInterfaces = 311;
// Where the first record starts in each reply.
constexpr size_t kImportRecord = 8;
constexpr size_t kDevlistRecord = 12;

::testing::AssertionResult importRejects(const Bytes& bytes, const std::string& field,
                                         Limits limits = Limits{}) {
  return violates(
      [&] {
        HandshakeReplyDecoder decoder(OpCode::kRepImport, limits);
        decoder.feed(bytes);
        decoder.next();
      },
      Rule::R1, field);
}

::testing::AssertionResult devlistRejects(const Bytes& bytes, const std::string& field,
                                          Limits limits = Limits{}) {
  return violates(
      [&] {
        HandshakeReplyDecoder decoder(OpCode::kRepDevlist, limits);
        decoder.feed(bytes);
        decoder.next();
      },
      Rule::R1, field);
}

TEST(HandshakeReplyDecoder, R1_RejectsWrongVersion) {
  EXPECT_TRUE(importRejects(patch8(kRepImportBytes, 1, 0x10), "version"));
  EXPECT_TRUE(devlistRejects(patch8(kRepDevlistBytes, 0, 0x02), "version"));
}

TEST(HandshakeReplyDecoder, R1_RejectsReplyToAnotherRequest) {
  EXPECT_TRUE(importRejects(kRepDevlistBytes, "code"));
  EXPECT_TRUE(devlistRejects(kRepImportBytes, "code"));
  EXPECT_TRUE(importRejects(kReqImportBytes, "code"));
}

TEST(HandshakeReplyDecoder, R1_RejectsTooManyDevicesBeforeWaitingForThem) {
  Bytes header(kRepDevlistBytes.begin(), kRepDevlistBytes.begin() + 12);
  EXPECT_TRUE(devlistRejects(patch32(header, 8, 257), "ndev"));
  EXPECT_TRUE(devlistRejects(patch32(header, 8, 0xffffffff), "ndev"));
  Limits limits;
  limits.maxDevlistDevices = 1;
  EXPECT_TRUE(devlistRejects(kRepDevlistBytes, "ndev", limits));
}

TEST(HandshakeReplyDecoder, R1_RejectsPathWithoutNul) {
  Bytes reply = kRepImportBytes;
  std::fill(reply.begin() + kImportRecord + kRecordPath,
            reply.begin() + kImportRecord + kRecordBusid, 'p');
  EXPECT_TRUE(importRejects(reply, "path"));
}

TEST(HandshakeReplyDecoder, R1_RejectsBusidWithoutNul) {
  Bytes reply = kRepDevlistBytes;
  std::fill(reply.begin() + kDevlistRecord + kRecordBusid,
            reply.begin() + kDevlistRecord + kRecordBusnum, '9');
  EXPECT_TRUE(devlistRejects(reply, "busid"));
}

TEST(HandshakeReplyDecoder, R1_RejectsUnknownSpeed) {
  for (uint32_t speed : {0u, 7u, 0x80000003u}) {
    EXPECT_TRUE(
        importRejects(patch32(kRepImportBytes, kImportRecord + kRecordSpeed, speed), "speed"));
  }
}

TEST(HandshakeReplyDecoder, R1_RejectsBusnumOutOfRange) {
  EXPECT_TRUE(
      importRejects(patch32(kRepImportBytes, kImportRecord + kRecordBusnum, 0x10000), "busnum"));
}

TEST(HandshakeReplyDecoder, R1_RejectsDevnumOutOfRange) {
  for (uint32_t devnum : {0u, 128u, 0x10002u}) {
    EXPECT_TRUE(devlistRejects(patch32(kRepDevlistBytes, kDevlistRecord + kRecordDevnum, devnum),
                               "devnum"));
  }
}

TEST(HandshakeReplyDecoder, R1_RejectsTooManyInterfacesBeforeWaitingForThem) {
  // Only the record has arrived; 255 announced interfaces are refused without awaiting them.
  Bytes partial(kRepDevlistBytes.begin(), kRepDevlistBytes.begin() + kDevlistRecord + 312);
  EXPECT_TRUE(devlistRejects(patch8(partial, kDevlistRecord + kRecordNumInterfaces, 255),
                             "bNumInterfaces"));
  EXPECT_TRUE(importRejects(patch8(kRepImportBytes, kImportRecord + kRecordNumInterfaces, 33),
                            "bNumInterfaces"));
}

TEST(HandshakeReplyDecoder, R1_ChecksEveryDeviceOfTheList) {
  size_t second = kDevlistRecord + 312 + 4;
  EXPECT_TRUE(devlistRejects(patch32(kRepDevlistBytes, second + kRecordSpeed, 9), "speed"));
}

TEST(HandshakeReplyDecoder, NeverConsumesPastTheReply) {
  HandshakeReplyDecoder decoder(OpCode::kRepDevlist, Limits{});
  decoder.feed(kRepDevlistEmptyBytes + Bytes{1, 2, 3});
  EXPECT_TRUE(decoder.next().has_value());
  EXPECT_EQ(decoder.takeRemainder(), (Bytes{1, 2, 3}));
}

}  // namespace
}  // namespace usbip::proto::test
