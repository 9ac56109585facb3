#include "worker/iso_split.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace usbip::worker {
namespace {

proto::CmdSubmit isoSubmit(proto::Direction direction, size_t packets, uint32_t length) {
  proto::CmdSubmit submit;
  submit.base.direction = direction;
  submit.base.ep = 4;
  submit.interval = 1;
  submit.number_of_packets = static_cast<int32_t>(packets);
  submit.transfer_buffer_length = static_cast<int32_t>(packets * length);
  for (size_t i = 0; i < packets; ++i) {
    submit.iso.push_back({static_cast<uint32_t>(i * length), length, 0, 0});
  }
  if (direction == proto::Direction::kOut) {
    for (size_t i = 0; i < packets * length; ++i) {
      submit.payload.push_back(static_cast<uint8_t>(i / length));
    }
  }
  return submit;
}

TEST(IsoSplit, SplitsAtTheUsbfsPacketLimit) {
  auto pieces = splitIsoSubmit(isoSubmit(proto::Direction::kIn, 300, 100), 0x84, 128);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].iso.size(), 128u);
  EXPECT_EQ(pieces[1].iso.size(), 128u);
  EXPECT_EQ(pieces[2].iso.size(), 44u);
  for (const Transfer& piece : pieces) {
    EXPECT_EQ(piece.endpoint, 0x84);
    EXPECT_EQ(piece.type, proto::TransferType::kIsochronous);
    EXPECT_EQ(piece.data.size(), piece.iso.size() * 100);
    EXPECT_EQ(piece.iso[1].offset, 100u);  // back to back within the piece
  }
  EXPECT_EQ(splitIsoSubmit(isoSubmit(proto::Direction::kIn, 128, 8), 0x84, 128).size(), 1u);
  EXPECT_EQ(splitIsoSubmit(isoSubmit(proto::Direction::kIn, 1024, 8), 0x84, 128).size(), 8u);
}

TEST(IsoSplit, OutDataIsGatheredFromEachPacketsOffset) {
  // Packets listed in reverse order of their place in the buffer.
  proto::CmdSubmit submit = isoSubmit(proto::Direction::kOut, 4, 3);
  std::reverse(submit.iso.begin(), submit.iso.end());
  auto pieces = splitIsoSubmit(submit, 0x05, 3);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].data, (std::vector<uint8_t>{3, 3, 3, 2, 2, 2, 1, 1, 1}));
  EXPECT_EQ(pieces[1].data, (std::vector<uint8_t>{0, 0, 0}));
}

TEST(IsoSplit, JoinPacksInDataAndKeepsTheRequestsDescriptors) {
  proto::CmdSubmit submit = isoSubmit(proto::Direction::kIn, 5, 4);
  auto pieces = splitIsoSubmit(submit, 0x84, 2);  // 2 + 2 + 1 packets
  std::vector<TransferResult> results;
  for (size_t p = 0; p < pieces.size(); ++p) {
    TransferResult result;
    result.data = pieces[p].data;
    result.startFrame = static_cast<int32_t>(100 + p);
    for (size_t j = 0; j < pieces[p].iso.size(); ++j) {
      proto::IsoPacket packet = pieces[p].iso[j];
      packet.actual_length = static_cast<uint32_t>(j + 1);  // 1 or 2 bytes
      for (uint32_t b = 0; b < packet.actual_length; ++b) {
        result.data[packet.offset + b] = static_cast<uint8_t>(10 * p + j);
      }
      result.iso.push_back(packet);
    }
    results.push_back(result);
  }
  results[1].iso[1].status = -EXDEV;
  results[1].errorCount = 1;

  proto::RetSubmit reply = joinIsoResults(submit.iso, proto::Direction::kIn, results, 2);
  EXPECT_EQ(reply.number_of_packets, 5);
  EXPECT_EQ(reply.start_frame, 100);
  EXPECT_EQ(reply.error_count, 1);
  EXPECT_EQ(reply.status, 0);
  ASSERT_EQ(reply.iso.size(), 5u);
  EXPECT_EQ(reply.iso[2].offset, 8u);  // the request's own offsets
  EXPECT_EQ(reply.iso[3].status, -EXDEV);
  EXPECT_EQ(reply.iso[4].actual_length, 1u);
  EXPECT_EQ(reply.actual_length, 1 + 2 + 1 + 2 + 1);
  EXPECT_EQ(reply.payload, (std::vector<uint8_t>{0, 1, 1, 10, 11, 11, 20}));
}

TEST(IsoSplit, JoinForOutReportsLengthsWithoutPayload) {
  proto::CmdSubmit submit = isoSubmit(proto::Direction::kOut, 3, 4);
  auto pieces = splitIsoSubmit(submit, 0x05, 128);
  TransferResult result;
  result.iso = pieces[0].iso;
  for (auto& packet : result.iso)
    packet.actual_length = packet.length;
  proto::RetSubmit reply = joinIsoResults(submit.iso, proto::Direction::kOut, {&result, 1}, 128);
  EXPECT_EQ(reply.actual_length, 12);
  EXPECT_TRUE(reply.payload.empty());
}

TEST(IsoSplit, ContradictoryPieceResultsFailTheirPackets) {
  proto::CmdSubmit submit = isoSubmit(proto::Direction::kIn, 4, 4);
  auto pieces = splitIsoSubmit(submit, 0x84, 2);
  std::vector<TransferResult> results(2);
  results[0].iso = pieces[0].iso;  // right count, but claims more than the data holds
  results[0].iso[0].actual_length = 4;
  results[0].iso[1].actual_length = 100;  // clamped to the packet's length first
  results[0].data.resize(6);
  results[1].iso.resize(1);  // wrong packet count
  proto::RetSubmit reply = joinIsoResults(submit.iso, proto::Direction::kIn, results, 2);
  EXPECT_EQ(reply.iso[0].actual_length, 4u);
  EXPECT_EQ(reply.iso[1].actual_length, 0u);
  EXPECT_EQ(reply.iso[1].status, -EPROTO);
  EXPECT_EQ(reply.iso[2].status, -EPROTO);
  EXPECT_EQ(reply.iso[3].status, -EPROTO);
  EXPECT_EQ(reply.status, -EPROTO);
  EXPECT_EQ(reply.actual_length, 4);
  EXPECT_EQ(reply.payload.size(), 4u);

  proto::RetSubmit missing = joinIsoResults(submit.iso, proto::Direction::kIn, {}, 2);
  EXPECT_EQ(missing.error_count, 4);
  EXPECT_EQ(missing.actual_length, 0);
}

}  // namespace
}  // namespace usbip::worker
