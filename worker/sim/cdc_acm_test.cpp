// sim:cdc: the requests cdc_acm sends, and the echo.
#include "worker/sim/cdc_acm.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "worker/sim/sim_test_support.h"

namespace usbip::worker::sim {
namespace {

using proto::TransferType;
using testing::Engine;

std::vector<uint8_t> bytesOf(std::string_view text) {
  return {text.begin(), text.end()};
}

TEST(SimCdcAcm, LineCodingAndControlLines) {
  Engine engine("cdc");
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x21, 0, 0, 7)).data,
            (std::vector<uint8_t>{0x80, 0x25, 0, 0, 0, 0, 8}));
  const std::vector<uint8_t> fast{0x00, 0xc2, 0x01, 0x00, 0, 0, 8};  // 115200 8N1
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x20, 0, 0, 7, fast)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x21, 0, 0, 7)).data, fast);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x22, 0x0003, 0, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x23, 0, 0, 0)).status, 0);
  // Wrong length, wrong interface, unknown request.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x20, 0, 0, 3, {1, 2, 3})).status, -EPIPE);
  EXPECT_EQ(engine.run(testing::controlTransfer(0xa1, 0x21, 0, 1, 7)).status, -EPIPE);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x21, 0x00, 0, 0, 0)).status, -EPIPE);
}

TEST(SimCdcAcm, EchoesWhatIsWritten) {
  Engine engine("cdc");
  const auto write = engine.run(testing::outTransfer(0x02, TransferType::kBulk, bytesOf("hello")));
  EXPECT_EQ(write.status, 0);
  EXPECT_EQ(write.actualLength, 5u);
  const auto read = engine.run(testing::inTransfer(0x82, TransferType::kBulk, 64));
  EXPECT_EQ(read.status, 0);
  EXPECT_EQ(read.data, bytesOf("hello"));
}

TEST(SimCdcAcm, AWaitingReadCompletesWhenDataArrivesInOrder) {
  Engine engine("cdc");
  const uint64_t first = engine.submit(testing::inTransfer(0x82, TransferType::kBulk, 3));
  const uint64_t second = engine.submit(testing::inTransfer(0x82, TransferType::kBulk, 64));
  const uint64_t notification =
      engine.submit(testing::inTransfer(0x81, TransferType::kInterrupt, 16));
  for (int i = 0; i < 5; ++i)
    engine.turn();
  EXPECT_FALSE(engine.done(first));
  engine.run(testing::outTransfer(0x02, TransferType::kBulk, bytesOf("abcdef")));
  EXPECT_EQ(engine.wait(first)->data, bytesOf("abc"));
  EXPECT_EQ(engine.wait(second)->data, bytesOf("def"));
  EXPECT_FALSE(engine.done(notification)) << "nothing to notify";
}

TEST(SimCdcAcm, ZeroLengthWriteCompletes) {
  Engine engine("cdc");
  const auto write = engine.run(testing::outTransfer(0x02, TransferType::kBulk, {}));
  EXPECT_EQ(write.status, 0);
  EXPECT_EQ(write.actualLength, 0u);
}

TEST(SimCdcAcm, AFullEchoBufferHoldsWritesBackUntilTheHostReads) {
  Engine engine("cdc");
  std::vector<uint8_t> big(CdcAcm::kEchoCapacity + 1000);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 7);
  const uint64_t write = engine.submit(testing::outTransfer(0x02, TransferType::kBulk, big));
  for (int i = 0; i < 5; ++i)
    engine.turn();
  EXPECT_FALSE(engine.done(write)) << "the device must push back, not grow without bound";
  std::vector<uint8_t> echoed;
  while (echoed.size() < big.size()) {
    const auto read = engine.run(testing::inTransfer(0x82, TransferType::kBulk, 4096));
    ASSERT_EQ(read.status, 0);
    ASSERT_GT(read.actualLength, 0u);
    echoed.insert(echoed.end(), read.data.begin(), read.data.end());
  }
  EXPECT_EQ(echoed, big);
  EXPECT_EQ(engine.wait(write)->actualLength, big.size());
}

TEST(SimCdcAcm, SetConfigurationForgetsUnreadEcho) {
  Engine engine("cdc");
  engine.run(testing::outTransfer(0x02, TransferType::kBulk, bytesOf("stale")));
  ASSERT_EQ(engine.device().setConfiguration(1), 0);
  const uint64_t read = engine.submit(testing::inTransfer(0x82, TransferType::kBulk, 64));
  for (int i = 0; i < 5; ++i)
    engine.turn();
  EXPECT_FALSE(engine.done(read));
}

}  // namespace
}  // namespace usbip::worker::sim
