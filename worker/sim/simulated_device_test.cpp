// Behaviour every simulated device shares: asynchronous completion, cancel, drain, standard
// requests, configuration and alternate-setting state, and the factory.
#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>

#include "worker/sim/sim_test_support.h"

namespace usbip::worker::sim {
namespace {

using proto::TransferType;
using testing::Engine;

TEST(SimulatedDevice, CompletionsArriveOnlyFromHandleEventsAfterAWakeup) {
  Engine engine("cdc");
  EXPECT_FALSE(engine.wakeupPending());
  const uint64_t id = engine.submit(testing::getDescriptor(1, 0, 18));
  EXPECT_FALSE(engine.done(id)) << "completed from inside submit()";
  EXPECT_TRUE(engine.wakeupPending()) << "eventfd not readable";
  engine.device().handleEvents();
  EXPECT_TRUE(engine.done(id));
  EXPECT_FALSE(engine.wakeupPending());
}

TEST(SimulatedDevice, DuplicatePendingIdIsRejected) {
  Engine engine("cdc");
  Transfer read = testing::inTransfer(0x82, TransferType::kBulk, 64);
  read.id = 7;
  engine.device().submit(read, [](uint64_t, TransferResult) {});
  EXPECT_THROW(engine.device().submit(read, [](uint64_t, TransferResult) {}),
               std::invalid_argument);
}

TEST(SimulatedDevice, CancelCompletesWithConnectionResetExactlyOnce) {
  Engine engine("cdc");
  const uint64_t read = engine.submit(testing::inTransfer(0x82, TransferType::kBulk, 64));
  engine.turn();
  EXPECT_FALSE(engine.done(read));
  EXPECT_TRUE(engine.device().cancel(read));
  EXPECT_FALSE(engine.done(read)) << "cancel() must not complete synchronously";
  const auto result = engine.wait(read);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, -ECONNRESET);
  EXPECT_EQ(result->actualLength, 0u);
  EXPECT_FALSE(engine.device().cancel(read)) << "no longer pending";
  // The cancelled read must not swallow later echo data.
  engine.run(testing::outTransfer(0x02, TransferType::kBulk, {'x'}));
  const auto next = engine.run(testing::inTransfer(0x82, TransferType::kBulk, 64));
  EXPECT_EQ(next.data, std::vector<uint8_t>{'x'});
  EXPECT_EQ(engine.completions(read), 1);
}

TEST(SimulatedDevice, CancelOfAFinishedButUndeliveredTransferKeepsItsResult) {
  Engine engine("hid");
  const uint64_t id = engine.submit(testing::getDescriptor(1, 0, 18));
  EXPECT_TRUE(engine.device().cancel(id));
  const auto result = engine.wait(id);
  EXPECT_EQ(result->status, 0);
  EXPECT_FALSE(engine.device().cancel(12345));
}

TEST(SimulatedDevice, DrainCompletesEverythingPending) {
  Engine engine("uac");
  ASSERT_EQ(engine.device().setInterface(2, 1), 0);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(engine.submit(testing::isoTransfer(0x82, 8, 192)));
  ids.push_back(engine.submit(testing::getDescriptor(1, 0, 18)));
  engine.device().drain();
  for (const uint64_t id : ids)
    EXPECT_EQ(engine.completions(id), 1) << id;
  EXPECT_EQ(engine.wait(ids[0])->status, -ECONNRESET);
  EXPECT_EQ(engine.wait(ids[3])->status, 0);
  // Nothing is owed any more: more turns deliver nothing twice.
  for (int i = 0; i < 5; ++i)
    engine.turn();
  for (const uint64_t id : ids)
    EXPECT_EQ(engine.completions(id), 1) << id;
}

TEST(SimulatedDevice, StandardStatusAndConfigurationRequests) {
  Engine engine("hid");
  EXPECT_EQ(engine.run(testing::controlTransfer(0x80, 0x00, 0, 0, 2)).data,
            (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(engine.run(testing::controlTransfer(0x80, 0x08, 0, 0, 1)).data,
            std::vector<uint8_t>{1});
  // Remote wakeup: the keyboard's configuration supports it.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x00, 0x03, 1, 0, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x80, 0x00, 0, 0, 2)).data,
            (std::vector<uint8_t>{2, 0}));
  EXPECT_EQ(engine.run(testing::controlTransfer(0x81, 0x0a, 0, 0, 1)).data,
            std::vector<uint8_t>{0});
  // SET_ADDRESS never reaches a device: vhci answers it.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x00, 0x05, 3, 0, 0)).status, -EPIPE);
  // Vendor requests are not understood.
  EXPECT_EQ(engine.run(testing::controlTransfer(0xc0, 0x01, 0, 0, 4)).status, -EPIPE);
}

TEST(SimulatedDevice, UnconfiguredDeviceHasNoEndpoints) {
  Engine engine("cdc");
  EXPECT_EQ(engine.device().setConfiguration(2), -EINVAL);
  const uint64_t read = engine.submit(testing::inTransfer(0x82, TransferType::kBulk, 64));
  ASSERT_EQ(engine.device().setConfiguration(0), 0);
  EXPECT_EQ(engine.wait(read)->status, -ESHUTDOWN);
  EXPECT_EQ(engine.device().description().activeConfiguration, 0);
  EXPECT_EQ(engine.device().description().exported.device.bConfigurationValue, 0);
  EXPECT_EQ(engine.run(testing::inTransfer(0x82, TransferType::kBulk, 64)).status, -ENOENT);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x80, 0x08, 0, 0, 1)).data,
            std::vector<uint8_t>{0});
  // Back through a raw SET_CONFIGURATION request, which takes the same path.
  EXPECT_EQ(engine.run(testing::controlTransfer(0x00, 0x09, 1, 0, 0)).status, 0);
  EXPECT_EQ(engine.device().description().activeConfiguration, 1);
}

TEST(SimulatedDevice, TransfersToMissingEndpointsOrWithTheWrongTypeFail) {
  Engine engine("cdc");
  EXPECT_EQ(engine.run(testing::inTransfer(0x83, TransferType::kBulk, 8)).status, -ENOENT);
  EXPECT_EQ(engine.run(testing::inTransfer(0x82, TransferType::kInterrupt, 8)).status, -EINVAL);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x81, 0x06, 0x2200, 5, 8)).status, -EPIPE)
      << "interface 5 does not exist";
}

TEST(SimulatedDevice, HaltedEndpointStallsUntilClearHalt) {
  Engine engine("cdc");
  EXPECT_EQ(engine.run(testing::controlTransfer(0x02, 0x03, 0, 0x02, 0)).status, 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x82, 0x00, 0, 0x02, 2)).data,
            (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(engine.run(testing::outTransfer(0x02, TransferType::kBulk, {'a'})).status, -EPIPE);
  EXPECT_EQ(engine.device().clearHalt(0x02), 0);
  EXPECT_EQ(engine.device().clearHalt(0x05), -EINVAL);
  EXPECT_EQ(engine.run(testing::outTransfer(0x02, TransferType::kBulk, {'a'})).status, 0);
}

TEST(SimulatedDevice, SetInterfaceChecksTheSettingExists) {
  Engine engine("uac");
  EXPECT_EQ(engine.device().setInterface(1, 2), -EINVAL);
  EXPECT_EQ(engine.device().setInterface(3, 0), -EINVAL);
  EXPECT_EQ(engine.device().setInterface(1, 1), 0);
  EXPECT_EQ(engine.run(testing::controlTransfer(0x81, 0x0a, 0, 1, 1)).data,
            std::vector<uint8_t>{1});
}

TEST(SimulatedDevice, FactoryNamesTheValidDevices) {
  for (const char* name : {"hid", "cdc", "uac"}) {
    EXPECT_NE(makeSimulatedDevice(name, {}), nullptr);
  }
  try {
    makeSimulatedDevice("msc", {});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("msc"), std::string::npos);
    EXPECT_NE(message.find("hid, cdc or uac"), std::string::npos);
  }
}

TEST(SimulatedDevice, RealTimeModeExposesATimerfd) {
  SimOptions options;
  EXPECT_EQ(makeSimulatedDevice("uac", options)->pollFds().size(), 2u);
  options.manualClock = true;
  EXPECT_EQ(makeSimulatedDevice("uac", options)->pollFds().size(), 1u);
}

}  // namespace
}  // namespace usbip::worker::sim
