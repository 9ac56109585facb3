// Every decoder against the hand-written fixtures, fed at once, byte by byte and in random
// pieces, and against what the encoders produce.
#include <gtest/gtest.h>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

UrbStreamDecoder clientStreamDecoder() {
  return UrbStreamDecoder(Limits{}, testEndpoints);
}
ServerUrbDecoder serverStreamDecoder() {
  return ServerUrbDecoder(Limits{}, testPending);
}

// The three ways of feeding must agree with each other and with `expected`.
template <typename MakeDecoder, typename Expected>
void expectDecodesInAnyPieces(MakeDecoder makeDecoder, const Bytes& bytes,
                              const Expected& expected) {
  auto atOnce = makeDecoder();
  EXPECT_EQ(decodeAtOnce(atOnce, bytes), expected);
  auto byteByByte = makeDecoder();
  EXPECT_EQ(decodeByteByByte(byteByByte, bytes), expected);
  for (unsigned seed = 1; seed <= 20; ++seed) {
    auto randomPieces = makeDecoder();
    EXPECT_EQ(decodeInRandomPieces(randomPieces, bytes, seed), expected) << "seed " << seed;
  }
}

TEST(HandshakeDecoder, DecodesRequestFixtures) {
  expectDecodesInAnyPieces([] { return HandshakeDecoder(); }, kReqDevlistBytes,
                           std::vector<ClientHandshake>{OpReqDevlist{}});
  expectDecodesInAnyPieces([] { return HandshakeDecoder(); }, kReqImportBytes,
                           std::vector<ClientHandshake>{OpReqImport{"1-1"}});
}

TEST(HandshakeDecoder, TakeRemainderHandsOnTheUrbStream) {
  HandshakeDecoder decoder;
  decoder.feed(kReqImportBytes + kCmdSubmitControlInBytes);
  auto request = decoder.next();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(*request, ClientHandshake{OpReqImport{"1-1"}});
  EXPECT_EQ(decoder.takeRemainder(), kCmdSubmitControlInBytes);
}

TEST(HandshakeReplyDecoder, DecodesDevlistFixtures) {
  auto make = [] { return HandshakeReplyDecoder(OpCode::kRepDevlist, Limits{}); };
  using Replies = std::vector<std::variant<OpRepDevlist, OpRepImport>>;
  expectDecodesInAnyPieces(make, kRepDevlistBytes, Replies{repDevlist()});
  expectDecodesInAnyPieces(make, kRepDevlistEmptyBytes, Replies{OpRepDevlist{}});
  expectDecodesInAnyPieces(make, Bytes{0x01, 0x11, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01},
                           Replies{OpRepDevlist{1, {}}});
}

TEST(HandshakeReplyDecoder, DecodesImportFixtures) {
  auto make = [] { return HandshakeReplyDecoder(OpCode::kRepImport, Limits{}); };
  using Replies = std::vector<std::variant<OpRepDevlist, OpRepImport>>;
  expectDecodesInAnyPieces(make, kRepImportBytes, Replies{OpRepImport{0, mouseRecord()}});
  expectDecodesInAnyPieces(make, kRepImportFailedBytes, Replies{OpRepImport{1, {}}});
}

TEST(HandshakeReplyDecoder, TakeRemainderHandsOnTheUrbStream) {
  HandshakeReplyDecoder decoder(OpCode::kRepImport, Limits{});
  decoder.feed(kRepImportBytes + kRetUnlinkBytes);
  ASSERT_TRUE(decoder.next().has_value());
  EXPECT_EQ(decoder.takeRemainder(), kRetUnlinkBytes);
}

TEST(HandshakeReplyDecoder, DecodesWhatTheEncoderWrites) {
  HandshakeReplyDecoder devlistDecoder(OpCode::kRepDevlist, Limits{});
  devlistDecoder.feed(encoded(repDevlist()));
  auto devlist = devlistDecoder.next();
  ASSERT_TRUE(devlist.has_value());
  EXPECT_EQ(std::get<OpRepDevlist>(*devlist), repDevlist());
}

TEST(UrbStreamDecoder, DecodesEachFixture) {
  expectDecodesInAnyPieces(clientStreamDecoder, kCmdSubmitControlInBytes,
                           std::vector<ClientUrbMessage>{cmdSubmitControlIn()});
  expectDecodesInAnyPieces(clientStreamDecoder, kCmdSubmitBulkOutBytes,
                           std::vector<ClientUrbMessage>{cmdSubmitBulkOut()});
  expectDecodesInAnyPieces(clientStreamDecoder, kCmdSubmitIsoOutBytes,
                           std::vector<ClientUrbMessage>{cmdSubmitIsoOut()});
  expectDecodesInAnyPieces(clientStreamDecoder, kCmdSubmitIsoInBytes,
                           std::vector<ClientUrbMessage>{cmdSubmitIsoIn()});
  expectDecodesInAnyPieces(clientStreamDecoder, kCmdUnlinkBytes,
                           std::vector<ClientUrbMessage>{cmdUnlink()});
}

TEST(UrbStreamDecoder, DecodesAStreamOfMessagesInAnyPieces) {
  Bytes stream = kCmdSubmitControlInBytes + kCmdSubmitBulkOutBytes + kCmdSubmitIsoOutBytes +
                 kCmdSubmitIsoInBytes + kCmdUnlinkBytes + kCmdSubmitBulkOutBytes;
  expectDecodesInAnyPieces(
      clientStreamDecoder, stream,
      std::vector<ClientUrbMessage>{cmdSubmitControlIn(), cmdSubmitBulkOut(), cmdSubmitIsoOut(),
                                    cmdSubmitIsoIn(), cmdUnlink(), cmdSubmitBulkOut()});
}

TEST(UrbStreamDecoder, DecodesWhatTheEncoderWrites) {
  std::vector<ClientUrbMessage> messages = {cmdSubmitControlIn(), cmdSubmitBulkOut(),
                                            cmdSubmitIsoOut(), cmdSubmitIsoIn(), cmdUnlink()};
  Bytes stream;
  for (const auto& message : messages) {
    std::visit([&](const auto& value) { encode(value, stream); }, message);
  }
  expectDecodesInAnyPieces(clientStreamDecoder, stream, messages);
}

TEST(UrbStreamDecoder, DecodesALargePayloadFedByteByByte) {
  CmdSubmit submit = cmdSubmitBulkOut();
  submit.transfer_buffer_length = 1 << 20;
  submit.payload.assign(size_t{1} << 20, 0x5a);
  UrbStreamDecoder decoder = clientStreamDecoder();
  auto messages = decodeByteByByte(decoder, encoded(submit));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(std::get<CmdSubmit>(messages[0]), submit);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(ServerUrbDecoder, DecodesEachFixture) {
  expectDecodesInAnyPieces(serverStreamDecoder, kRetSubmitControlInBytes,
                           std::vector<ServerUrbMessage>{retSubmitControlIn()});
  expectDecodesInAnyPieces(serverStreamDecoder, kRetSubmitIsoInBytes,
                           std::vector<ServerUrbMessage>{retSubmitIsoIn()});
  expectDecodesInAnyPieces(serverStreamDecoder, kRetUnlinkBytes,
                           std::vector<ServerUrbMessage>{retUnlink()});
}

TEST(ServerUrbDecoder, DecodesWhatTheEncoderWrites) {
  RetSubmit bulkOut;  // OUT replies carry no data, only the count
  bulkOut.base.seqnum = 6;
  bulkOut.actual_length = 4;
  RetSubmit isoOut;
  isoOut.base.seqnum = 7;
  isoOut.actual_length = 6;
  isoOut.number_of_packets = 2;
  isoOut.iso = {{0, 4, 4, 0}, {4, 2, 2, 0}};
  std::vector<ServerUrbMessage> messages = {retSubmitControlIn(), bulkOut, isoOut, retSubmitIsoIn(),
                                            retUnlink()};
  Bytes stream;
  for (const auto& message : messages) {
    std::visit([&](const auto& value) { encode(value, stream); }, message);
  }
  expectDecodesInAnyPieces(serverStreamDecoder, stream, messages);
}

}  // namespace
}  // namespace usbip::proto::test
