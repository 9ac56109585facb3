// sim:uac: the sampling-rate requests snd-usb-audio sends, playback looped back to capture, and
// the pacing of iso transfers.
#include "worker/sim/uac_audio.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "worker/sim/sim_test_support.h"

namespace usbip::worker::sim {
namespace {

using testing::Engine;

constexpr uint8_t kPlayback = 0x01;
constexpr uint8_t kCapture = 0x82;

std::vector<uint8_t> pattern(size_t length, uint8_t seed) {
  std::vector<uint8_t> bytes(length);
  for (size_t i = 0; i < length; ++i)
    bytes[i] = static_cast<uint8_t>(seed + i * 13);
  return bytes;
}

// Both streaming interfaces on their streaming alternate setting, as snd-usb-audio does before
// it starts a stream.
Engine streamingEngine(SimOptions options = Engine::manualOptions()) {
  Engine engine("uac", options);
  EXPECT_EQ(engine.device().setInterface(1, 1), 0);
  EXPECT_EQ(engine.device().setInterface(2, 1), 0);
  return engine;
}

TEST(SimUacAudio, SamplingFrequencyEndpointRequests) {
  Engine engine("uac");
  const std::vector<uint8_t> rate48k{0x80, 0xbb, 0x00};
  // SET_CUR before the streaming setting is selected is allowed: the endpoint is in the
  // configuration.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x22, 0x01, 0x0100, kPlayback, 3, rate48k)).status,
            0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa2, 0x81, 0x0100, kCapture, 3)).data, rate48k);
  const std::vector<uint8_t> rate44k1{0x44, 0xac, 0x00};
  EXPECT_EQ(engine.run(testing::controlTransfer(0x22, 0x01, 0x0100, kCapture, 3, rate44k1)).status,
            -EPIPE);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x22, 0x01, 0x0100, 0x03, 3, rate48k)).status,
            -EPIPE);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x22, 0x01, 0x0200, kPlayback, 1, {0})).status,
            -EPIPE)
      << "pitch control is not supported";
}

TEST(SimUacAudio, IsoNeedsTheStreamingSetting) {
  Engine engine("uac");
  EXPECT_EQ(engine.run(testing::isoTransfer(kCapture, 1, 192)).status, -ENOENT);
  ASSERT_EQ(engine.device().setInterface(2, 1), 0);
  EXPECT_EQ(engine.run(testing::isoTransfer(kCapture, 1, 192)).status, 0);
}

TEST(SimUacAudio, CaptureIsSilentWithoutPlayback) {
  Engine engine = streamingEngine();
  const auto capture = engine.run(testing::isoTransfer(kCapture, 4, 192));
  EXPECT_EQ(capture.status, 0);
  EXPECT_EQ(capture.actualLength, 4u * 192);
  ASSERT_EQ(capture.iso.size(), 4u);
  for (const auto& packet : capture.iso) {
    EXPECT_EQ(packet.actual_length, 192u);
    EXPECT_EQ(packet.status, 0);
  }
  EXPECT_EQ(capture.data, std::vector<uint8_t>(4 * 192, 0));
}

TEST(SimUacAudio, PlaybackComesBackOnCaptureThenSilence) {
  Engine engine = streamingEngine();
  const auto played = pattern(8 * 192, 5);
  const auto playback = engine.run(testing::isoTransfer(kPlayback, 8, 192, played));
  EXPECT_EQ(playback.status, 0);
  EXPECT_EQ(playback.actualLength, played.size());
  for (const auto& packet : playback.iso)
    EXPECT_EQ(packet.actual_length, 192u);

  const auto first = engine.run(testing::isoTransfer(kCapture, 4, 192));
  const auto second = engine.run(testing::isoTransfer(kCapture, 4, 192));
  std::vector<uint8_t> captured(first.data.begin(), first.data.end());
  captured.insert(captured.end(), second.data.begin(), second.data.end());
  EXPECT_EQ(captured, played);
  EXPECT_EQ(engine.run(testing::isoTransfer(kCapture, 1, 192)).data, std::vector<uint8_t>(192, 0));
}

TEST(SimUacAudio, LoopbackKeepsOnlyTheNewestAudio) {
  Engine engine = streamingEngine();
  const size_t packets = UacAudio::kLoopbackCapacity / 192;
  engine.run(testing::isoTransfer(kPlayback, 10, 192, pattern(10 * 192, 1)));
  const auto newest = pattern(packets * 192, 99);
  engine.run(testing::isoTransfer(kPlayback, packets, 192, newest));
  const auto captured = engine.run(testing::isoTransfer(kCapture, packets, 192));
  EXPECT_EQ(captured.data, newest);
}

TEST(SimUacAudio, BadIsoPacketsAreRefused) {
  Engine engine = streamingEngine();
  auto outside = testing::isoTransfer(kCapture, 2, 192);
  outside.iso[1].offset = 300;
  EXPECT_EQ(engine.run(std::move(outside)).status, -EINVAL);
  EXPECT_EQ(engine.run(testing::isoTransfer(kCapture, 1, 256)).status, -EMSGSIZE);
}

TEST(SimUacAudio, LeavingTheStreamingSettingShutsPendingTransfersDown) {
  Engine engine = streamingEngine();
  const uint64_t id = engine.submit(testing::isoTransfer(kPlayback, 8, 192, pattern(8 * 192, 0)));
  ASSERT_EQ(engine.device().setInterface(1, 0), 0);
  EXPECT_EQ(engine.wait(id)->status, -ESHUTDOWN);
  for (int i = 0; i < 5; ++i)
    engine.turn();
  EXPECT_EQ(engine.completions(id), 1);
}

TEST(SimUacAudio, CancelledIsoDoesNotCompleteALaterTransferWithTheSameId) {
  // Real time, so that the cancelled transfer's completion time comes while the new one waits.
  Engine engine = streamingEngine(SimOptions{});
  int calls = 0;
  TransferResult last;
  const auto record = [&](uint64_t, TransferResult r) {
    last = std::move(r);
    ++calls;
  };
  Transfer first = testing::isoTransfer(kCapture, 30, 192);
  first.id = 42;
  engine.device().submit(first, record);
  ASSERT_TRUE(engine.device().cancel(42));
  engine.device().handleEvents();
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(last.status, -ECONNRESET);

  const auto start = std::chrono::steady_clock::now();
  Transfer second = testing::isoTransfer(kCapture, 100, 192);
  second.id = 42;
  engine.device().submit(second, record);
  // Past the first transfer's completion time (30 ms), well before the second's (130 ms).
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(40)) {
    engine.turn(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(calls, 1) << "the stale completion time finished the new transfer";
  for (int i = 0; i < 100 && calls < 2; ++i)
    engine.turn(std::chrono::milliseconds(100));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(last.status, 0);
  EXPECT_EQ(last.iso.size(), 100u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));
}

TEST(SimUacAudio, RealTimeIsoTakesOneMillisecondPerPacket) {
  Engine engine = streamingEngine(SimOptions{});
  const auto start = std::chrono::steady_clock::now();
  const uint64_t first = engine.submit(testing::isoTransfer(kCapture, 20, 192));
  const uint64_t second = engine.submit(testing::isoTransfer(kCapture, 50, 192));
  const auto firstResult = engine.wait(first, 100, std::chrono::milliseconds(100));
  ASSERT_TRUE(firstResult);
  const auto firstDone = std::chrono::steady_clock::now() - start;
  EXPECT_GE(firstDone, std::chrono::milliseconds(20));
  EXPECT_FALSE(engine.done(second)) << "queued behind the first";
  const auto secondResult = engine.wait(second, 100, std::chrono::milliseconds(100));
  ASSERT_TRUE(secondResult);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(70));
  EXPECT_EQ((secondResult->startFrame - firstResult->startFrame) & 0x7ff, 20);
}

}  // namespace
}  // namespace usbip::worker::sim
