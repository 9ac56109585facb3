// sim:hid: the requests usbhid sends while binding, and the line the keyboard types, decoded
// from its reports with a table written independently of the device's.
#include "worker/sim/hid_keyboard.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>

#include "worker/sim/sim_test_support.h"

namespace usbip::worker::sim {
namespace {

using proto::TransferType;
using testing::Engine;

// Usage ID -> character, unshifted and shifted (HID Usage Tables 1.12, page 0x07, US layout).
char decodeKey(uint8_t modifiers, uint8_t usage) {
  const bool shift = (modifiers & 0x22) != 0;  // left or right shift
  if (usage >= 0x04 && usage <= 0x1d) {
    return static_cast<char>((shift ? 'A' : 'a') + (usage - 0x04));
  }
  static const std::map<uint8_t, std::pair<char, char>> others{
      {0x1e, {'1', '!'}}, {0x1f, {'2', '@'}}, {0x27, {'0', ')'}}, {0x28, {'\n', '\n'}},
      {0x2c, {' ', ' '}}, {0x2d, {'-', '_'}}, {0x33, {';', ':'}}, {0x37, {'.', '>'}}};
  const auto it = others.find(usage);
  if (it == others.end()) return '?';
  return shift ? it->second.second : it->second.first;
}

struct Typed {
  std::string text;
  int reports = 0;
  uint64_t pendingPoll = 0;  // the poll left waiting when the keyboard fell silent
};

// Polls the interrupt endpoint like usbhid and turns key-down reports back into text; stops
// when a poll stays pending (the keyboard has nothing more to say) and leaves that poll pending.
Typed readTypedText(Engine& engine) {
  Typed typed;
  uint8_t previousKey = 0;
  for (;;) {
    const uint64_t poll = engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 8));
    const auto result = engine.wait(poll, 20);
    if (!result) {
      typed.pendingPoll = poll;
      return typed;
    }
    EXPECT_EQ(result->status, 0);
    EXPECT_EQ(result->actualLength, 8u);
    ++typed.reports;
    const uint8_t key = result->data[2];
    EXPECT_EQ(result->data[3], 0) << "one key at a time";
    if (key != 0 && key != previousKey) typed.text.push_back(decodeKey(result->data[0], key));
    previousKey = key;
  }
}

// Stops polling, as usbhid does when the last user closes the input device.
void stopPolling(Engine& engine, uint64_t poll) {
  EXPECT_TRUE(engine.device().cancel(poll));
  EXPECT_EQ(engine.wait(poll)->status, -ECONNRESET);
}

// What usbhid does while binding a boot keyboard: SET_IDLE, the report descriptor, the LEDs.
void bindLikeUsbhid(Engine& engine) {
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x0a, 0, 0, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::getDescriptor(0x22, 0, 63, 0x81, 0)).actualLength, 63u);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x09, 0x0200, 0, 1, {0x00})).status, 0);
}

TEST(SimHidKeyboard, TypesTheDocumentedLineOncePerOpen) {
  Engine engine("hid");
  bindLikeUsbhid(engine);
  const Typed typed = readTypedText(engine);
  EXPECT_EQ(typed.text, "usbip-sandbox sim:hid says hello\n");
  EXPECT_EQ(typed.reports, static_cast<int>(2 * HidKeyboard::kTypedLine.size()));
  // Still open: the line is not typed again, however long the host polls.
  for (int i = 0; i < 50; ++i)
    engine.turn();
  EXPECT_FALSE(engine.done(typed.pendingPoll));
  stopPolling(engine, typed.pendingPoll);
}

TEST(SimHidKeyboard, ReopeningTypesTheLineAgain) {
  Engine engine("hid");
  bindLikeUsbhid(engine);
  const Typed first = readTypedText(engine);
  EXPECT_EQ(first.text, HidKeyboard::kTypedLine);
  stopPolling(engine, first.pendingPoll);
  EXPECT_EQ(readTypedText(engine).text, HidKeyboard::kTypedLine);
}

TEST(SimHidKeyboard, ClosingMidLineAbandonsIt) {
  Engine engine("hid");
  const uint64_t first = engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 8));
  ASSERT_TRUE(engine.wait(first));
  stopPolling(engine, engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 8)));
  // GET_REPORT shows every key released after the close.
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x01, 0x0100, 0, 8)).data,
            std::vector<uint8_t>(8, 0));
  EXPECT_EQ(readTypedText(engine).text, HidKeyboard::kTypedLine);
}

TEST(SimHidKeyboard, ClassRequestsKeepState) {
  Engine engine("hid");
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x0a, 0x7d00, 0, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x02, 0, 0, 1)).data,
            std::vector<uint8_t>{0x7d});
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x0b, 0, 0, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x03, 0, 0, 1)).data,
            std::vector<uint8_t>{0});
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x0b, 2, 0, 0)).status, -EPIPE);
  // LEDs: caps lock on, read back as the output report.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x09, 0x0200, 0, 1, {0x02})).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x01, 0x0200, 0, 1)).data,
            std::vector<uint8_t>{0x02});
  // There is no feature report.
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x01, 0x0300, 0, 8)).status, -EPIPE);
  // SET_CONFIGURATION resets the class state.
  EXPECT_EQ(engine.device().setConfiguration(1), 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x03, 0, 0, 1)).data,
            std::vector<uint8_t>{1});
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x01, 0x0200, 0, 1)).data,
            std::vector<uint8_t>{0});
}

TEST(SimHidKeyboard, TooSmallABufferIsBabble) {
  Engine engine("hid");
  const auto result =
      engine.wait(engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 4)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, -EOVERFLOW);
  EXPECT_EQ(result->actualLength, 4u);
}

TEST(SimHidKeyboard, RealTimeTypingWaitsForTheDelayAndOneIntervalPerReport) {
  SimOptions options;
  options.typingDelay = std::chrono::milliseconds(50);
  Engine engine("hid", options);
  const auto start = std::chrono::steady_clock::now();
  const uint64_t down = engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 8));
  ASSERT_TRUE(engine.wait(down, 100, std::chrono::milliseconds(100)));
  const auto firstReport = std::chrono::steady_clock::now() - start;
  EXPECT_GE(firstReport, std::chrono::milliseconds(50));
  const uint64_t up = engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 8));
  ASSERT_TRUE(engine.wait(up, 100, std::chrono::milliseconds(100)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, firstReport + std::chrono::milliseconds(9));
}

}  // namespace
}  // namespace usbip::worker::sim
