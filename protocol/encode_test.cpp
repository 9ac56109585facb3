// Encoders against byte fixtures written out from the protocol document.
#include <gtest/gtest.h>

#include <stdexcept>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

TEST(Encode, OpReqDevlist) {
  EXPECT_EQ(encoded(OpReqDevlist{}), kReqDevlistBytes);
}

TEST(Encode, OpReqImport) {
  EXPECT_EQ(encoded(OpReqImport{"1-1"}), kReqImportBytes);
}

TEST(Encode, OpRepImportCarriesTheRecordOnSuccess) {
  EXPECT_EQ(encoded(OpRepImport{0, mouseRecord()}), kRepImportBytes);
  EXPECT_EQ(kRepImportBytes.size(), kOpHeaderSize + kDeviceRecordSize);
}

TEST(Encode, OpRepImportIsOnlyTheHeaderOnFailure) {
  EXPECT_EQ(encoded(OpRepImport{1, mouseRecord()}), kRepImportFailedBytes);
}

TEST(Encode, OpRepDevlistPutsInterfacesAfterEachDevice) {
  EXPECT_EQ(encoded(repDevlist()), kRepDevlistBytes);
  EXPECT_EQ(kRepDevlistBytes.size(), 8u + 4u + 312u + 4u + 312u + 8u);
}

TEST(Encode, OpRepDevlistWithoutDevices) {
  EXPECT_EQ(encoded(OpRepDevlist{}), kRepDevlistEmptyBytes);
}

TEST(Encode, CmdSubmitControlIn) {
  CmdSubmit submit = cmdSubmitControlIn();
  submit.transfer_flags = flags::kDirIn | flags::kShortNotOk;
  EXPECT_EQ(encoded(submit), kCmdSubmitControlInBytes);
}

TEST(Encode, CmdSubmitBulkOutFollowsHeaderWithPayload) {
  CmdSubmit submit = cmdSubmitBulkOut();
  submit.number_of_packets = -1;
  EXPECT_EQ(encoded(submit), kCmdSubmitBulkOutBytes);
}

TEST(Encode, CmdSubmitIsoOutPutsDescriptorsAfterPayload) {
  EXPECT_EQ(encoded(cmdSubmitIsoOut()), kCmdSubmitIsoOutBytes);
}

TEST(Encode, CmdSubmitIsoInCarriesOnlyDescriptors) {
  CmdSubmit submit = cmdSubmitIsoIn();
  submit.transfer_flags = flags::kDirIn | flags::kIsoAsap;
  EXPECT_EQ(encoded(submit), kCmdSubmitIsoInBytes);
}

TEST(Encode, CmdUnlink) {
  EXPECT_EQ(encoded(cmdUnlink()), kCmdUnlinkBytes);
}

TEST(Encode, RetSubmitControlIn) {
  EXPECT_EQ(encoded(retSubmitControlIn()), kRetSubmitControlInBytes);
}

TEST(Encode, RetSubmitIsoInPacksDataThenDescriptors) {
  EXPECT_EQ(encoded(retSubmitIsoIn()), kRetSubmitIsoInBytes);
}

// The worker writes a reply as header, payload and trailer without joining them: the three
// pieces laid end to end must be the very bytes encode() produces.
TEST(Encode, RetSubmitAroundPayloadJoinsToTheSameBytes) {
  for (const RetSubmit& reply : {retSubmitControlIn(), retSubmitIsoIn()}) {
    Bytes header;
    Bytes trailer;
    encodeAroundPayload(reply, header, trailer);
    EXPECT_EQ(header.size(), kUrbHeaderSize);
    EXPECT_EQ(trailer.size(), reply.iso.size() * kIsoPacketSize);
    Bytes joined = header;
    joined.insert(joined.end(), reply.payload.begin(), reply.payload.end());
    joined.insert(joined.end(), trailer.begin(), trailer.end());
    EXPECT_EQ(joined, encoded(reply));
  }
}

TEST(Encode, RetSubmitAroundPayloadChecksLikeEncode) {
  RetSubmit reply = retSubmitControlIn();
  reply.actual_length += 1;
  Bytes header;
  Bytes trailer;
  EXPECT_THROW(encodeAroundPayload(reply, header, trailer), std::invalid_argument);
}

TEST(Encode, RetUnlink) {
  EXPECT_EQ(encoded(retUnlink()), kRetUnlinkBytes);
}

TEST(Encode, RepliesZeroDevidDirectionAndEpAsTheKernelStub) {
  RetSubmit submitReply = retSubmitControlIn();
  submitReply.base = {5, 0x00010002, Direction::kIn, 3};
  EXPECT_EQ(encoded(submitReply), kRetSubmitControlInBytes);
  RetUnlink unlinkReply = retUnlink();
  unlinkReply.base = {9, 0x00010002, Direction::kIn, 3};
  EXPECT_EQ(encoded(unlinkReply), kRetUnlinkBytes);
}

TEST(Encode, I1_RetSubmitOfNonIsoSaysZeroPackets) {
  RetSubmit reply = retSubmitControlIn();
  Bytes bytes = encoded(reply);
  EXPECT_EQ(Bytes(bytes.begin() + 32, bytes.begin() + 36), (Bytes{0, 0, 0, 0}));
  reply.number_of_packets = -1;
  EXPECT_THROW(encoded(reply), std::invalid_argument);
}

TEST(Encode, RejectsInconsistentValues) {
  EXPECT_THROW(encoded(OpReqImport{std::string(32, 'x')}), std::invalid_argument);
  EXPECT_NO_THROW(encoded(OpReqImport{std::string(31, 'x')}));

  OpRepImport import{0, mouseRecord()};
  import.device.path = std::string(256, 'p');
  EXPECT_THROW(encoded(import), std::invalid_argument);

  OpRepDevlist devlist = repDevlist();
  devlist.devices[0].interfaces.clear();
  EXPECT_THROW(encoded(devlist), std::invalid_argument);

  CmdSubmit out = cmdSubmitBulkOut();
  out.payload.pop_back();
  EXPECT_THROW(encoded(out), std::invalid_argument);

  CmdSubmit in = cmdSubmitControlIn();
  in.payload = {1};
  EXPECT_THROW(encoded(in), std::invalid_argument);

  CmdSubmit iso = cmdSubmitIsoOut();
  iso.number_of_packets = 3;
  EXPECT_THROW(encoded(iso), std::invalid_argument);

  RetSubmit reply = retSubmitControlIn();
  reply.actual_length = 17;
  EXPECT_THROW(encoded(reply), std::invalid_argument);
}

}  // namespace
}  // namespace usbip::proto::test
