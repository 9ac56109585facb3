// UrbStreamDecoder's receiving side: bytes written where receiveBuffer() says, large OUT payloads
// straight into their own buffer, and the same messages as feed() would give.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

constexpr size_t kChunk = 64 * 1024;

Bytes bulkOut(uint32_t seqnum, size_t length) {
  CmdSubmit submit;
  submit.base = {seqnum, 0x00010002, Direction::kOut, 2};
  submit.transfer_buffer_length = static_cast<int32_t>(length);
  submit.payload.resize(length);
  std::iota(submit.payload.begin(), submit.payload.end(), static_cast<uint8_t>(seqnum));
  return encoded(submit);
}

Bytes isoOut(size_t packets, uint32_t packetLength) {
  CmdSubmit submit;
  submit.base = {9, 0x00010002, Direction::kOut, 3};
  submit.transfer_buffer_length = static_cast<int32_t>(packets * packetLength);
  submit.number_of_packets = static_cast<int32_t>(packets);
  submit.payload.assign(packets * packetLength, 0x5a);
  for (size_t i = 0; i < packets; ++i)
    submit.iso.push_back({static_cast<uint32_t>(i * packetLength), packetLength, 0, 0});
  return encoded(submit);
}

// Writes up to `most` bytes of `stream` from `at` where the decoder asks; returns how many.
size_t receiveInto(UrbStreamDecoder& decoder, const Bytes& stream, size_t& at, size_t most) {
  std::span<uint8_t> space = decoder.receiveBuffer(most);
  size_t count = std::min(space.size(), stream.size() - at);
  std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), count, space.begin());
  decoder.received(count);
  at += count;
  return count;
}

// Drives the decoder as the worker does: receive, decode what is complete, repeat.
std::vector<ClientUrbMessage> receiveAll(const Bytes& stream, size_t chunk,
                                         std::vector<size_t>* readSizes = nullptr) {
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  std::vector<ClientUrbMessage> messages;
  size_t at = 0;
  while (at < stream.size()) {
    size_t count = receiveInto(decoder, stream, at, chunk);
    if (readSizes) readSizes->push_back(count);
    while (auto message = decoder.next())
      messages.push_back(std::move(*message));
  }
  EXPECT_EQ(decoder.buffered(), 0u);
  return messages;
}

std::vector<ClientUrbMessage> fedAtOnce(const Bytes& stream) {
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  decoder.feed(stream);
  std::vector<ClientUrbMessage> messages;
  while (auto message = decoder.next())
    messages.push_back(std::move(*message));
  return messages;
}

TEST(UrbStreamReceive, LargeOutPayloadIsReceivedIntoItsOwnBufferInOneRead) {
  Bytes stream = bulkOut(1, 16384);
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  size_t at = 0;
  // The header and the first 100 payload bytes arrive together.
  std::span<uint8_t> first = decoder.receiveBuffer(kUrbHeaderSize + 100);
  ASSERT_EQ(first.size(), kUrbHeaderSize + 100);
  std::copy_n(stream.begin(), first.size(), first.begin());
  decoder.received(first.size());
  at = first.size();
  EXPECT_FALSE(decoder.next().has_value());  // framed, waiting for the payload
  EXPECT_EQ(decoder.buffered(), kUrbHeaderSize + 100);

  // What is left of the payload, exactly, even though a larger chunk was offered.
  EXPECT_EQ(receiveInto(decoder, stream, at, kChunk), 16384u - 100);
  EXPECT_EQ(decoder.buffered(), kUrbHeaderSize + 16384);
  auto message = decoder.next();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(std::get<CmdSubmit>(*message), std::get<CmdSubmit>(fedAtOnce(stream).at(0)));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(UrbStreamReceive, AfterADirectPayloadTheNextReadIsOneHeader) {
  Bytes stream = bulkOut(1, 4096) + bulkOut(2, 4096) + bulkOut(3, 4096);
  std::vector<size_t> reads;
  // Nothing framed yet: the first chunk takes all there is.
  EXPECT_EQ(receiveAll(stream, kChunk, &reads), fedAtOnce(stream));
  EXPECT_EQ(reads, (std::vector<size_t>{stream.size()}));

  // The first chunk ends inside the second payload: the rest of it goes into its own buffer,
  // then one header, then the third payload.
  reads.clear();
  EXPECT_EQ(receiveAll(stream, 8192, &reads), fedAtOnce(stream));
  size_t first = 8192;
  size_t secondRest = 2 * (kUrbHeaderSize + 4096) - first;
  EXPECT_EQ(reads, (std::vector<size_t>{first, secondRest, kUrbHeaderSize, 4096}));
}

TEST(UrbStreamReceive, SmallOutPayloadsShareTheBuffer) {
  Bytes stream = bulkOut(1, 100) + bulkOut(2, 100);
  std::vector<size_t> reads;
  auto messages = receiveAll(stream, kUrbHeaderSize + 10, &reads);
  EXPECT_EQ(messages, fedAtOnce(stream));
  // Full chunks every time: a payload below the threshold is not read separately.
  for (size_t i = 0; i + 1 < reads.size(); ++i)
    EXPECT_EQ(reads[i], kUrbHeaderSize + 10) << "read " << i;
}

TEST(UrbStreamReceive, IsoOutDescriptorsFollowADirectPayload) {
  Bytes stream = isoOut(8, 512) + bulkOut(4, 64);
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  size_t at = 0;
  EXPECT_EQ(receiveInto(decoder, stream, at, kUrbHeaderSize), kUrbHeaderSize);
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(receiveInto(decoder, stream, at, kChunk), 8u * 512);  // the payload, on its own
  EXPECT_FALSE(decoder.next().has_value());                       // descriptors still missing
  EXPECT_EQ(decoder.buffered(), kUrbHeaderSize + 8 * 512);
  size_t rest = stream.size() - at;
  EXPECT_EQ(receiveInto(decoder, stream, at, kChunk), rest);
  std::vector<ClientUrbMessage> messages;
  while (auto message = decoder.next())
    messages.push_back(std::move(*message));
  EXPECT_EQ(messages, fedAtOnce(stream));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(std::get<CmdSubmit>(messages[0]).iso.size(), 8u);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(UrbStreamReceive, AnyChunkSizeGivesTheMessagesFeedGives) {
  Bytes stream = bulkOut(1, 3000) + kCmdUnlinkBytes + isoOut(4, 300) + bulkOut(2, 1024) +
                 kCmdSubmitControlInBytes + bulkOut(3, 1023) + bulkOut(5, 20000);
  std::vector<ClientUrbMessage> expected = fedAtOnce(stream);
  ASSERT_EQ(expected.size(), 7u);
  for (size_t chunk : std::vector<size_t>{1, 7, 48, 49, 1000, 4096, 65536}) {
    EXPECT_EQ(receiveAll(stream, chunk), expected) << "chunk " << chunk;
  }
}

TEST(UrbStreamReceive, FeedDuringADirectPayloadCompletesIt) {
  Bytes stream = bulkOut(1, 8192) + kCmdUnlinkBytes;
  UrbStreamDecoder decoder(Limits{}, testEndpoints);
  decoder.feed(std::span<const uint8_t>(stream).first(kUrbHeaderSize + 5));
  EXPECT_FALSE(decoder.next().has_value());
  size_t at = kUrbHeaderSize + 5;
  EXPECT_EQ(receiveInto(decoder, stream, at, 1000), 1000u);  // now direct
  decoder.feed(std::span<const uint8_t>(stream).subspan(at));
  auto messages = std::vector<ClientUrbMessage>{};
  while (auto message = decoder.next())
    messages.push_back(std::move(*message));
  EXPECT_EQ(messages, fedAtOnce(stream));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(UrbStreamReceive, HeaderViolationIsReportedBeforeAnyPayloadBuffer) {
  Bytes header = bulkOut(1, 16384);
  header.resize(kUrbHeaderSize);
  Limits limits;
  limits.maxTransferLength = 4096;
  UrbStreamDecoder decoder(limits, testEndpoints);
  decoder.feed(header);
  EXPECT_TRUE(violates([&] { decoder.next(); }, Rule::F8, "transfer_buffer_length"));
}

}  // namespace
}  // namespace usbip::proto::test
