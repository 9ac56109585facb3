// HandshakeDecoder (server side, before import) against rules F1 and F2.
#include <gtest/gtest.h>

#include <array>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

std::optional<ClientHandshake> decodeOne(const Bytes& bytes) {
  HandshakeDecoder decoder;
  decoder.feed(bytes);
  return decoder.next();
}

TEST(HandshakeDecoder, F1_RejectsWrongVersion) {
  EXPECT_TRUE(violates([] { decodeOne(patch8(kReqDevlistBytes, 1, 0x06)); }, Rule::F1, "version"));
  EXPECT_TRUE(violates([] { decodeOne(patch8(kReqImportBytes, 0, 0x00)); }, Rule::F1, "version"));
}

TEST(HandshakeDecoder, F1_RejectsCodesOtherThanDevlistAndImport) {
  // Two reply codes, an unknown request, and the old OP_REQ_DEVINFO.
  for (std::array<uint8_t, 2> code :
       {std::array<uint8_t, 2>{0x00, 0x05}, {0x00, 0x03}, {0x80, 0x06}, {0x80, 0x02}}) {
    Bytes request = patch8(patch8(kReqDevlistBytes, 2, code[0]), 3, code[1]) + zeros(32);
    EXPECT_TRUE(violates([&] { decodeOne(request); }, Rule::F1, "code"));
  }
}

TEST(HandshakeDecoder, F1_ChecksTheHeaderBeforeWaitingForTheBusid) {
  // The wrong code is rejected from the header alone.
  EXPECT_TRUE(violates([] { decodeOne(patch8(kReqDevlistBytes, 3, 0x07)); }, Rule::F1, "code"));
}

TEST(HandshakeDecoder, F2_RejectsBusidWithoutNul) {
  Bytes request = Bytes{0x01, 0x11, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00} + Bytes(32, '1');
  EXPECT_TRUE(violates([&] { decodeOne(request); }, Rule::F2, "busid"));
}

TEST(HandshakeDecoder, F2_ReadsBusidUpToTheFirstNul) {
  Bytes request = Bytes{0x01, 0x11, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00} +
                  Bytes{'2', '-', '1', 0, 'x', 'y'} + Bytes(26, 'z');
  EXPECT_EQ(decodeOne(request), ClientHandshake{OpReqImport{"2-1"}});
  // NUL in the last byte of the field is still a terminated string.
  Bytes longest = Bytes{0x01, 0x11, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00} + Bytes(31, '7') + zeros(1);
  EXPECT_EQ(decodeOne(longest), ClientHandshake{OpReqImport{std::string(31, '7')}});
}

TEST(HandshakeDecoder, F2_WaitsForAllBusidBytes) {
  HandshakeDecoder decoder;
  decoder.feed(Bytes(kReqImportBytes.begin(), kReqImportBytes.end() - 1));
  EXPECT_FALSE(decoder.next().has_value());
  decoder.feed(Bytes{0});
  EXPECT_TRUE(decoder.next().has_value());
}

TEST(HandshakeDecoder, NeverConsumesPastTheRequest) {
  HandshakeDecoder decoder;
  decoder.feed(kReqDevlistBytes + kReqImportBytes);
  EXPECT_EQ(decoder.next(), ClientHandshake{OpReqDevlist{}});
  EXPECT_EQ(decoder.takeRemainder(), kReqImportBytes);
}

}  // namespace
}  // namespace usbip::proto::test
