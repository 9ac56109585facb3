// UrbStreamDecoder against every input rule it enforces, one rejecting case at least per rule.
#include <gtest/gtest.h>

#include <limits>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

std::optional<ClientUrbMessage> decodeOne(const Bytes& bytes, Limits limits = Limits{}) {
  UrbStreamDecoder decoder(limits, testEndpoints);
  decoder.feed(bytes);
  return decoder.next();
}

CmdSubmit decodeSubmit(const Bytes& bytes) {
  auto message = decodeOne(bytes);
  if (!message) throw std::runtime_error("incomplete message");
  return std::get<CmdSubmit>(*message);
}

::testing::AssertionResult rejects(const Bytes& bytes, Rule rule, const std::string& field,
                                   Limits limits = Limits{}) {
  return violates([&] { decodeOne(bytes, limits); }, rule, field);
}

// A control transfer on ep 0: header only for IN, header + `length` bytes for OUT.
Bytes controlSubmit(Direction direction, std::array<uint8_t, 8> setup, int32_t length) {
  CmdSubmit submit;
  submit.base = {1, 0x00010002, direction, 0};
  submit.transfer_buffer_length = length;
  submit.setup = setup;
  if (direction == Direction::kOut) submit.payload.assign(static_cast<size_t>(length), 0x11);
  return encoded(submit);
}

// Isochronous OUT on ep 3 (512 bytes per interval) with the given descriptors and data length.
Bytes isoOutSubmit(int32_t length, std::vector<IsoPacket> packets) {
  CmdSubmit submit;
  submit.base = {1, 0x00010002, Direction::kOut, 3};
  submit.transfer_buffer_length = length;
  submit.number_of_packets = static_cast<int32_t>(packets.size());
  submit.payload.assign(static_cast<size_t>(length), 0x22);
  submit.iso = std::move(packets);
  return encoded(submit);
}

// Isochronous IN on ep 1 (192 bytes per interval).
Bytes isoInSubmit(int32_t length, std::vector<IsoPacket> packets) {
  CmdSubmit submit;
  submit.base = {1, 0x00010002, Direction::kIn, 1};
  submit.transfer_buffer_length = length;
  submit.number_of_packets = static_cast<int32_t>(packets.size());
  submit.iso = std::move(packets);
  return encoded(submit);
}

// --- Framing ---------------------------------------------------------------------------------

TEST(UrbStreamDecoder, F3_RejectsRetSubmitFromClient) {
  EXPECT_TRUE(rejects(kRetSubmitControlInBytes, Rule::F3, "command"));
}

TEST(UrbStreamDecoder, F3_RejectsRetUnlinkFromClient) {
  EXPECT_TRUE(rejects(kRetUnlinkBytes, Rule::F3, "command"));
}

TEST(UrbStreamDecoder, F3_RejectsUnknownCommand) {
  EXPECT_TRUE(rejects(patch32(kCmdUnlinkBytes, offset::kCommand, 0), Rule::F3, "command"));
  EXPECT_TRUE(rejects(patch32(kCmdUnlinkBytes, offset::kCommand, 0x01000000), Rule::F3, "command"));
}

TEST(UrbStreamDecoder, F3_RejectsHandshakeBytesAfterImport) {
  EXPECT_TRUE(rejects(kReqDevlistBytes + zeros(40), Rule::F3, "command"));
}

TEST(UrbStreamDecoder, F6_RejectsDirectionOtherThanZeroOrOne) {
  EXPECT_TRUE(
      rejects(patch32(kCmdSubmitControlInBytes, offset::kDirection, 2), Rule::F6, "direction"));
  EXPECT_TRUE(rejects(patch32(kCmdSubmitControlInBytes, offset::kDirection, 0xffffffff), Rule::F6,
                      "direction"));
  EXPECT_TRUE(rejects(patch32(kCmdUnlinkBytes, offset::kDirection, 2), Rule::F6, "direction"));
}

TEST(UrbStreamDecoder, F7_RejectsEndpointAbove15) {
  EXPECT_TRUE(rejects(patch32(kCmdSubmitBulkOutBytes, offset::kEp, 16), Rule::F7, "ep"));
  EXPECT_TRUE(rejects(patch32(kCmdSubmitBulkOutBytes, offset::kEp, 0x80000002), Rule::F7, "ep"));
}

TEST(UrbStreamDecoder, F7_RejectsEndpointMissingInTheConfiguration) {
  EXPECT_TRUE(rejects(patch32(kCmdSubmitBulkOutBytes, offset::kEp, 5), Rule::F7, "ep"));
}

TEST(UrbStreamDecoder, F7_RejectsEndpointThatExistsOnlyForTheOtherDirection) {
  // ep 3 is isochronous OUT only; asking it for IN must fail.
  Bytes in = patch32(kCmdSubmitIsoInBytes, offset::kEp, 3);
  EXPECT_TRUE(rejects(in, Rule::F7, "ep"));
}

TEST(UrbStreamDecoder, F7_TransferTypeComesFromTheEndpointNotThePeer) {
  // The iso OUT fixture sent to bulk ep 2: the descriptors are not read as such, number_of_packets
  // is ignored and the ISO_ASAP flag is dropped; the decoder stops after the payload.
  Bytes bytes = patch32(kCmdSubmitIsoOutBytes, offset::kEp, 2);
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  decoder.feed(bytes);
  auto submit = std::get<CmdSubmit>(decoder.next().value());
  EXPECT_TRUE(submit.iso.empty());
  EXPECT_EQ(submit.number_of_packets, 0);
  EXPECT_EQ(submit.transfer_flags, 0u);
  EXPECT_EQ(decoder.buffered(), 2 * kIsoPacketSize);
}

TEST(UrbStreamDecoder, F8_RejectsNegativeTransferLength) {
  EXPECT_TRUE(rejects(patch32(kCmdSubmitBulkOutBytes, offset::kTransferBufferLength, 0x80000000),
                      Rule::F8, "transfer_buffer_length"));
  EXPECT_TRUE(rejects(patch32(kCmdSubmitBulkOutBytes, offset::kTransferBufferLength, 0xffffffff),
                      Rule::F8, "transfer_buffer_length"));
}

TEST(UrbStreamDecoder, F8_RejectsTransferLengthAboveTheCap) {
  Limits limits;
  limits.maxTransferLength = 3;
  EXPECT_TRUE(rejects(kCmdSubmitBulkOutBytes, Rule::F8, "transfer_buffer_length", limits));
  limits.maxTransferLength = 4;
  EXPECT_TRUE(decodeOne(kCmdSubmitBulkOutBytes, limits).has_value());
}

TEST(UrbStreamDecoder, F8_DefaultCapIs16MiB) {
  Bytes header(kCmdSubmitBulkOutBytes.begin(), kCmdSubmitBulkOutBytes.begin() + kUrbHeaderSize);
  EXPECT_TRUE(rejects(patch32(header, offset::kTransferBufferLength, (16u << 20) + 1), Rule::F8,
                      "transfer_buffer_length"));
  // At the cap the header is accepted and the decoder waits for the payload.
  EXPECT_FALSE(decodeOne(patch32(header, offset::kTransferBufferLength, 16u << 20)).has_value());
}

TEST(UrbStreamDecoder, F8_RejectsBeforeWaitingForThePayload) {
  // Only the header has arrived: the violation is reported now, not after 2 GiB are buffered.
  Bytes header(kCmdSubmitBulkOutBytes.begin(), kCmdSubmitBulkOutBytes.begin() + kUrbHeaderSize);
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  decoder.feed(patch32(header, offset::kTransferBufferLength, 0x7fffffff));
  EXPECT_TRUE(violates([&] { decoder.next(); }, Rule::F8, "transfer_buffer_length"));
}

TEST(UrbStreamDecoder, F9_OutWaitsForExactlyTransferLengthBytes) {
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  Bytes withoutLastByte(kCmdSubmitBulkOutBytes.begin(), kCmdSubmitBulkOutBytes.end() - 1);
  decoder.feed(withoutLastByte);
  EXPECT_FALSE(decoder.next().has_value());
  decoder.feed(Bytes{0xef} + kCmdUnlinkBytes);
  EXPECT_EQ(std::get<CmdSubmit>(decoder.next().value()).payload, (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(std::get<CmdUnlink>(decoder.next().value()), cmdUnlink());
}

TEST(UrbStreamDecoder, F9_InCarriesNoPayload) {
  // Bytes after an IN request are the next header, not its data; here they are garbage.
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  decoder.feed(kCmdSubmitControlInBytes + Bytes(kUrbHeaderSize, 0x12));
  auto submit = std::get<CmdSubmit>(decoder.next().value());
  EXPECT_TRUE(submit.payload.empty());
  EXPECT_EQ(decoder.buffered(), kUrbHeaderSize);
  EXPECT_TRUE(violates([&] { decoder.next(); }, Rule::F3, "command"));
}

// --- Isochronous -----------------------------------------------------------------------------

TEST(UrbStreamDecoder, I1_IgnoresNumberOfPacketsOfNonIsoRequests) {
  // 0xffffffff as the spec writes it, 0 as Linux sends it, and a stray 3: all mean nothing.
  for (uint32_t packets : {0xffffffffu, 0u, 3u}) {
    UrbStreamDecoder decoder(Limits{}, testEndpoints);
    decoder.feed(patch32(kCmdSubmitBulkOutBytes, offset::kNumberOfPackets, packets) +
                 kCmdUnlinkBytes);
    EXPECT_EQ(std::get<CmdSubmit>(decoder.next().value()), cmdSubmitBulkOut());
    EXPECT_EQ(std::get<CmdUnlink>(decoder.next().value()), cmdUnlink());
  }
}

TEST(UrbStreamDecoder, I2_RejectsZeroPacketsOnIsoEndpoint) {
  EXPECT_TRUE(rejects(patch32(kCmdSubmitIsoInBytes, offset::kNumberOfPackets, 0), Rule::I2,
                      "number_of_packets"));
}

TEST(UrbStreamDecoder, I2_RejectsNegativePacketCount) {
  EXPECT_TRUE(rejects(patch32(kCmdSubmitIsoInBytes, offset::kNumberOfPackets, 0xffffffff), Rule::I2,
                      "number_of_packets"));
}

TEST(UrbStreamDecoder, I2_RejectsMoreThan1024Packets) {
  Bytes header(kCmdSubmitIsoInBytes.begin(), kCmdSubmitIsoInBytes.begin() + kUrbHeaderSize);
  EXPECT_TRUE(
      rejects(patch32(header, offset::kNumberOfPackets, 1025), Rule::I2, "number_of_packets"));
}

TEST(UrbStreamDecoder, I2_Accepts1024Packets) {
  std::vector<IsoPacket> packets;
  for (uint32_t i = 0; i < 1024; ++i)
    packets.push_back({i * 8, 8, 0, 0});
  auto submit = decodeSubmit(isoInSubmit(1024 * 8, packets));
  EXPECT_EQ(submit.iso.size(), 1024u);
}

TEST(UrbStreamDecoder, I2_DescriptorSizeDoesNotOverflow) {
  // With a (misconfigured) unlimited packet count, n * 16 must still be computed without wrapping
  // to a small size that would let the next header be read as descriptors.
  Limits limits;
  limits.maxIsoPackets = std::numeric_limits<uint32_t>::max();
  Bytes header(kCmdSubmitIsoInBytes.begin(), kCmdSubmitIsoInBytes.begin() + kUrbHeaderSize);
  UrbStreamDecoder decoder(limits, testEndpoints);
  decoder.feed(patch32(header, offset::kNumberOfPackets, 0x10000000) + zeros(64));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.buffered(), kUrbHeaderSize + 64);
}

TEST(UrbStreamDecoder, I3_RejectsPacketBeyondTheBuffer) {
  EXPECT_TRUE(
      rejects(isoInSubmit(384, {{0, 192, 0, 0}, {193, 192, 0, 0}}), Rule::I3, "iso_packet.offset"));
}

TEST(UrbStreamDecoder, I3_RejectsOffsetPlusLengthThatWraps) {
  // 0xffffff80 + 0x80 wraps to 0 in 32 bits.
  EXPECT_TRUE(rejects(isoInSubmit(384, {{0xffffff80, 0x80, 0, 0}}), Rule::I3, "iso_packet.offset"));
}

TEST(UrbStreamDecoder, I3_RejectsPacketAboveTheEndpointIntervalPayload) {
  EXPECT_TRUE(
      rejects(isoInSubmit(386, {{0, 193, 0, 0}, {193, 193, 0, 0}}), Rule::I3, "iso_packet.length"));
  EXPECT_TRUE(rejects(isoOutSubmit(513, {{0, 513, 0, 0}}), Rule::I3, "iso_packet.length"));
}

TEST(UrbStreamDecoder, I3_RejectsOutLengthsThatDoNotAddUpToTheBuffer) {
  EXPECT_TRUE(
      rejects(isoOutSubmit(6, {{0, 4, 0, 0}, {4, 1, 0, 0}}), Rule::I3, "iso_packet.length"));
  // IN packets may leave room unused.
  EXPECT_EQ(decodeSubmit(isoInSubmit(384, {{0, 100, 0, 0}})).iso.size(), 1u);
}

// --- Control ---------------------------------------------------------------------------------

TEST(UrbStreamDecoder, C1_RejectsWLengthOtherThanTransferLength) {
  // GET_DESCRIPTOR asking for 18 bytes with a 64-byte buffer.
  EXPECT_TRUE(rejects(patch32(kCmdSubmitControlInBytes, offset::kTransferBufferLength, 64),
                      Rule::C1, "setup.wLength"));
  // wLength is little-endian: 0x1200 is not 18.
  EXPECT_TRUE(rejects(controlSubmit(Direction::kIn, {0x80, 0x06, 0x00, 0x01, 0, 0, 0x00, 0x12}, 18),
                      Rule::C1, "setup.wLength"));
}

TEST(UrbStreamDecoder, C1_RejectsSetupDirectionOtherThanHeaderDirection) {
  EXPECT_TRUE(rejects(patch8(kCmdSubmitControlInBytes, offset::kSetup, 0x00), Rule::C1,
                      "setup.bmRequestType"));
  // SET_CONFIGURATION sent as IN.
  EXPECT_TRUE(rejects(controlSubmit(Direction::kIn, {0x00, 0x09, 0x01, 0, 0, 0, 0, 0}, 0), Rule::C1,
                      "setup.bmRequestType"));
}

TEST(UrbStreamDecoder, C1_AcceptsConsistentControlOut) {
  auto submit =
      decodeSubmit(controlSubmit(Direction::kOut, {0x21, 0x09, 0x00, 0x02, 0, 0, 0x03, 0}, 3));
  EXPECT_EQ(submit.payload.size(), 3u);
}

TEST(UrbStreamDecoder, C3_RejectsSetAddress) {
  EXPECT_TRUE(rejects(controlSubmit(Direction::kOut, {0x00, 0x05, 0x07, 0, 0, 0, 0, 0}, 0),
                      Rule::C3, "setup.bRequest"));
}

TEST(UrbStreamDecoder, C3_AllowsClassAndVendorRequestNumberFive) {
  EXPECT_NO_THROW(decodeSubmit(controlSubmit(Direction::kOut, {0x40, 0x05, 0, 0, 0, 0, 0, 0}, 0)));
  EXPECT_NO_THROW(decodeSubmit(controlSubmit(Direction::kOut, {0x21, 0x05, 0, 0, 0, 0, 0, 0}, 0)));
}

// --- Transfer flags --------------------------------------------------------------------------

uint32_t maskedFlags(const Bytes& bytes, uint32_t wireFlags) {
  return decodeSubmit(patch32(bytes, offset::kTransferFlags, wireFlags)).transfer_flags;
}

TEST(UrbStreamDecoder, T1_KeepsOnlyShortNotOkOnNonIsoIn) {
  EXPECT_EQ(maskedFlags(kCmdSubmitControlInBytes, 0xffffffff), flags::kShortNotOk);
  Bytes interruptIn =
      patch32(patch32(kCmdSubmitControlInBytes, offset::kEp, 4), offset::kTransferBufferLength, 8);
  EXPECT_EQ(maskedFlags(interruptIn, 0xffffffff), flags::kShortNotOk);
}

TEST(UrbStreamDecoder, T1_KeepsOnlyZeroPacketOnBulkOut) {
  EXPECT_EQ(maskedFlags(kCmdSubmitBulkOutBytes, 0xffffffff), flags::kZeroPacket);
  Bytes controlOut = controlSubmit(Direction::kOut, {0x21, 0x09, 0, 0, 0, 0, 0, 0}, 0);
  EXPECT_EQ(maskedFlags(controlOut, flags::kZeroPacket | flags::kShortNotOk), 0u);
}

TEST(UrbStreamDecoder, T1_KeepsOnlyIsoAsapOnIso) {
  EXPECT_EQ(maskedFlags(kCmdSubmitIsoOutBytes, 0xffffffff), flags::kIsoAsap);
  EXPECT_EQ(maskedFlags(kCmdSubmitIsoInBytes, 0xffffffff), flags::kIsoAsap);
  EXPECT_EQ(maskedFlags(kCmdSubmitBulkOutBytes, flags::kIsoAsap), 0u);
}

TEST(UrbStreamDecoder, T1_DropsDmaScatterGatherAndOwnershipFlags) {
  uint32_t peerChosen = flags::kNoTransferDmaMap | flags::kFreeBuffer | flags::kNoInterrupt |
                        flags::kDirIn |
                        0x00ff0000 /* the HCD's DMA and scatter-gather mapping bits */;
  EXPECT_EQ(maskedFlags(kCmdSubmitControlInBytes, peerChosen), 0u);
  EXPECT_EQ(maskedFlags(kCmdSubmitBulkOutBytes, peerChosen), 0u);
  EXPECT_EQ(maskedFlags(kCmdSubmitIsoInBytes, peerChosen), 0u);
}

}  // namespace
}  // namespace usbip::proto::test
