// ServerUrbDecoder (client side, after import) against F3, F6, F9, I1, I2 and I4.
#include <gtest/gtest.h>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

std::optional<ServerUrbMessage> decodeOne(const Bytes& bytes) {
  ServerUrbDecoder decoder(Limits{}, testPending);
  decoder.feed(bytes);
  return decoder.next();
}

::testing::AssertionResult rejects(const Bytes& bytes, Rule rule, const std::string& field) {
  return violates([&] { decodeOne(bytes); }, rule, field);
}

// Reply to the iso IN request (seqnum 8: 2 packets, 384-byte buffer), data packed.
Bytes isoInReply(int32_t actualLength, std::vector<IsoPacket> packets) {
  Bytes bytes(kRetSubmitIsoInBytes.begin(), kRetSubmitIsoInBytes.begin() + kUrbHeaderSize);
  bytes = patch32(bytes, offset::kTransferBufferLength, static_cast<uint32_t>(actualLength));
  bytes = patch32(bytes, offset::kNumberOfPackets, static_cast<uint32_t>(packets.size()));
  bytes.resize(bytes.size() + static_cast<size_t>(std::max(actualLength, 0)), 0x33);
  for (const IsoPacket& packet : packets) {
    for (uint32_t word : {packet.offset, packet.length, packet.actual_length,
                          static_cast<uint32_t>(packet.status)}) {
      bytes = bytes + patch32(zeros(4), 0, word);
    }
  }
  return bytes;
}

TEST(ServerUrbDecoder, F3_RejectsRequestsFromTheServer) {
  EXPECT_TRUE(rejects(kCmdSubmitControlInBytes, Rule::F3, "command"));
  EXPECT_TRUE(rejects(kCmdUnlinkBytes, Rule::F3, "command"));
  EXPECT_TRUE(rejects(patch32(kRetUnlinkBytes, offset::kCommand, 5), Rule::F3, "command"));
}

TEST(ServerUrbDecoder, F3_RejectsReplyToNoPendingRequest) {
  EXPECT_TRUE(rejects(patch32(kRetSubmitControlInBytes, offset::kSeqnum, 99), Rule::F3, "seqnum"));
}

TEST(ServerUrbDecoder, F6_RejectsDirectionOtherThanZeroOrOne) {
  EXPECT_TRUE(rejects(patch32(kRetUnlinkBytes, offset::kDirection, 7), Rule::F6, "direction"));
}

TEST(ServerUrbDecoder, F9_RejectsMoreDataThanTheRequestAllocated) {
  Bytes reply = patch32(kRetSubmitControlInBytes, offset::kTransferBufferLength, 19) + Bytes{0};
  EXPECT_TRUE(rejects(reply, Rule::F9, "actual_length"));
}

TEST(ServerUrbDecoder, F9_RejectsNegativeActualLength) {
  EXPECT_TRUE(rejects(patch32(kRetSubmitControlInBytes, offset::kTransferBufferLength, 0xfffffff0),
                      Rule::F9, "actual_length"));
}

TEST(ServerUrbDecoder, F9_OutReplyCarriesNoData) {
  // RET_SUBMIT for the bulk OUT request: actual_length 4 but no data follows; the next header does.
  Bytes reply = patch32(patch32(kRetSubmitControlInBytes, offset::kSeqnum, 6),
                        offset::kTransferBufferLength, 4);
  reply.resize(kUrbHeaderSize);
  ServerUrbDecoder decoder(Limits{}, testPending);
  decoder.feed(reply + kRetUnlinkBytes);
  auto submit = std::get<RetSubmit>(decoder.next().value());
  EXPECT_EQ(submit.actual_length, 4);
  EXPECT_TRUE(submit.payload.empty());
  EXPECT_EQ(std::get<RetUnlink>(decoder.next().value()), retUnlink());
}

TEST(ServerUrbDecoder, I1_IgnoresNumberOfPacketsOfNonIsoReplies) {
  ServerUrbDecoder decoder(Limits{}, testPending);
  decoder.feed(patch32(kRetSubmitControlInBytes, offset::kNumberOfPackets, 0xffffffff) +
               kRetUnlinkBytes);
  EXPECT_EQ(std::get<RetSubmit>(decoder.next().value()), retSubmitControlIn());
  EXPECT_EQ(std::get<RetUnlink>(decoder.next().value()), retUnlink());
}

TEST(ServerUrbDecoder, I4_RejectsPacketCountOtherThanRequested) {
  EXPECT_TRUE(rejects(isoInReply(3, {{0, 192, 3, 0}}), Rule::I4, "number_of_packets"));
  EXPECT_TRUE(rejects(patch32(kRetSubmitIsoInBytes, offset::kNumberOfPackets, 0x7fffffff), Rule::I4,
                      "number_of_packets"));
}

TEST(ServerUrbDecoder, I4_RejectsActualLengthsNotAddingUpToTheHeader) {
  EXPECT_TRUE(
      rejects(isoInReply(6, {{0, 192, 3, 0}, {192, 192, 2, 0}}), Rule::I4, "actual_length"));
  EXPECT_TRUE(
      rejects(isoInReply(4, {{0, 192, 3, 0}, {192, 192, 2, 0}}), Rule::I4, "actual_length"));
}

TEST(ServerUrbDecoder, I4_RejectsPacketActualLengthAboveItsLength) {
  EXPECT_TRUE(rejects(isoInReply(200, {{0, 192, 193, 0}, {192, 192, 7, 0}}), Rule::I4,
                      "iso_packet.actual_length"));
}

TEST(ServerUrbDecoder, I4_RejectsActualLengthsThatWrapAround) {
  // 0xfffffffe + 7 is 5 in 32-bit arithmetic; the check must not be fooled.
  EXPECT_TRUE(violates(
      [] {
        decodeOne(isoInReply(5, {{0, 192, 0xfffffffe, 0}, {192, 192, 7, 0}}));
      },
      Rule::I4, "iso_packet.actual_length"));
}

TEST(ServerUrbDecoder, I4_RejectsDescriptorOutsideTheRequestBuffer) {
  EXPECT_TRUE(rejects(isoInReply(5, {{0, 192, 3, 0}, {0xffffff00, 0x100, 2, 0}}), Rule::I4,
                      "iso_packet.offset"));
}

TEST(ServerUrbDecoder, I4_ReadsEveryDescriptorAfterThePackedData) {
  auto reply = std::get<RetSubmit>(decodeOne(kRetSubmitIsoInBytes).value());
  ASSERT_EQ(reply.iso.size(), 2u);
  EXPECT_EQ(reply.payload.size(), 5u);
  EXPECT_EQ(unpackIsoInData(reply.payload, reply.iso, 384)[192], 0xdd);
}

}  // namespace
}  // namespace usbip::proto::test
