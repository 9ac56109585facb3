// The engine enforcing a device's URB-level policy (policy/urb_limits.h): size and in-flight
// caps, port reset, control requests, claimable interfaces, configuration and alternate-setting
// changes. Through a real socketpair and the real codec, against the hand-driven fake device.
#include <gtest/gtest.h>

#include <cerrno>
#include <thread>

#include "worker/engine_test_fixture.h"
#include "worker/engine_test_requests.h"

namespace usbip::worker {
namespace {

using namespace std::chrono_literals;
using proto::Direction;
using testing::control;
using testing::setupBytes;
using testing::submit;

class PolicyEngineTest : public testing::EngineFixture {
 protected:
  void startWith(const policy::UrbLimits& limits) {
    UrbEngineOptions options;
    options.policy = limits;
    start(options);
  }
  void answerEverything() {
    backend.responder = [](const Transfer& transfer) {
      return std::optional(testing::FakeBackend::fullResult(transfer));
    };
  }
};

// ---- sizes (F8, F10) ----

TEST_F(PolicyEngineTest, TransferAboveThePolicySizeClosesTheConnection) {
  answerEverything();
  policy::UrbLimits limits;
  limits.maxTransferSize = 4096;
  startWith(limits);
  client->send(submit(1, 2, Direction::kIn, 4096));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(submit(2, 2, Direction::kIn, 4097));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kProtocolViolation);
  EXPECT_EQ(end.rule, proto::Rule::F8);
  EXPECT_EQ(backend.submittedCount(), 1u);
}

TEST_F(PolicyEngineTest, PolicyNarrowsButNeverWidensTheEngineCaps) {
  policy::UrbLimits limits;
  limits.maxTransferSize = policy::kCeilingMaxTransferSize;
  UrbEngineOptions options;
  options.limits.maxTransferLength = 1024;
  options.policy = limits;
  start(options);
  client->send(submit(1, 2, Direction::kIn, 1025));
  EXPECT_EQ(waitForEnd().rule, proto::Rule::F8);
}

TEST_F(PolicyEngineTest, UrbsInFlightStopAtThePolicyCap) {
  policy::UrbLimits limits;
  limits.maxUrbsInFlight = 3;
  startWith(limits);
  for (uint32_t seqnum = 1; seqnum <= 6; ++seqnum)
    client->send(submit(seqnum, 2, Direction::kIn, 512));
  ASSERT_TRUE(backend.waitForSubmitted(3));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(backend.submittedCount(), 3u);
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  client->receiveRetSubmit();
  ASSERT_TRUE(backend.waitForSubmitted(4));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(backend.submittedCount(), 4u);
  EXPECT_LE(backend.peakHeld(), 3u);
}

TEST_F(PolicyEngineTest, BytesInFlightStopAtThePolicyCap) {
  policy::UrbLimits limits;
  limits.maxTransferSize = 1024;
  limits.maxBytesInFlight = 2048;
  startWith(limits);
  for (uint32_t seqnum = 1; seqnum <= 6; ++seqnum)
    client->send(submit(seqnum, 2, Direction::kIn, 1024));
  ASSERT_TRUE(backend.waitForSubmitted(2));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(backend.submittedCount(), 2u);
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  client->receiveRetSubmit();
  ASSERT_TRUE(backend.waitForSubmitted(3));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(backend.submittedCount(), 3u);
}

// ---- port reset ----

TEST_F(PolicyEngineTest, PortResetIsStalledUnlessAllowed) {
  startWith({});
  client->send(control(1, setupBytes(0x23, 0x03, 4, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_TRUE(backend.calls().empty());
  EXPECT_EQ(backend.submittedCount(), 0u);
  EngineResult end = closeAndWait();
  EXPECT_EQ(end.end, EngineEnd::kClientClosed);
  EXPECT_EQ(end.stats.refused, 1u);
}

// ---- control requests ----

TEST_F(PolicyEngineTest, VendorAndDeviceClassRequestsAreStalledUnlessListed) {
  answerEverything();
  policy::UrbLimits limits;
  limits.extraControlRequests = {{0xc0, 0x51}};
  startWith(limits);
  client->send(control(1, setupBytes(0x40, 0x01, 0, 0, 0)));  // vendor, not listed
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(2, setupBytes(0xa0, 0x01, 0, 0, 4)));  // class request to the device
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(3, setupBytes(0x00, 0x07, 0x0100, 0, 0)));  // SET_DESCRIPTOR
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(4, setupBytes(0x00, 0x03, 2, 0, 0)));  // SET_FEATURE(TEST_MODE)
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_EQ(backend.submittedCount(), 0u);

  client->send(control(5, setupBytes(0xc0, 0x51, 0, 0, 2)));  // listed
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(6, setupBytes(0x80, 0x06, 0x0100, 0, 18)));  // standard
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(7, setupBytes(0xa1, 0x01, 0, 0, 8)));  // class, to interface 0
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  ASSERT_EQ(backend.submittedCount(), 3u);
  EXPECT_EQ(backend.submitted()[0].setup, setupBytes(0xc0, 0x51, 0, 0, 2));
  EXPECT_EQ(closeAndWait().stats.refused, 4u);
}

// Rule C4 with the policy's interfaces: only interface 0 (vendor class) may be claimed here.
TEST_F(PolicyEngineTest, RequestsToInterfacesThePolicyKeepsAreStalled) {
  answerEverything();
  policy::UrbLimits limits;
  limits.allInterfaces = false;
  limits.interfaceNumbers = {0};
  startWith(limits);
  client->send(control(1, setupBytes(0xa1, 0x01, 0, 1, 8)));  // class request, interface 1
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(2, setupBytes(0x82, 0x00, 0, 0x84, 2)));  // GET_STATUS, interface 1's
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(3, setupBytes(0x01, 0x0b, 1, 1, 0)));  // SET_INTERFACE on interface 1
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_EQ(backend.submittedCount(), 0u);
  EXPECT_TRUE(backend.calls().empty());

  client->send(control(4, setupBytes(0xa1, 0x01, 0, 0, 8)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(5, setupBytes(0x82, 0x00, 0, 0x82, 2)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.submittedCount(), 2u);
}

TEST_F(PolicyEngineTest, TransfersToEndpointsOfUnclaimableInterfacesAreRefused) {
  answerEverything();
  policy::UrbLimits limits;
  limits.allInterfaces = false;
  limits.interfaceClasses = {0x01};  // interface 1 (audio) only
  startWith(limits);
  client->send(submit(1, 2, Direction::kIn, 512));  // interface 0's bulk IN
  EXPECT_EQ(client->receiveRetSubmit().status, -EACCES);
  client->send(submit(2, 1, Direction::kOut, 4, {1, 2, 3, 4}));
  EXPECT_EQ(client->receiveRetSubmit().status, -EACCES);
  EXPECT_EQ(backend.submittedCount(), 0u);

  client->send(control(3, setupBytes(0x01, 0x0b, 1, 1, 0)));  // interface 1, alternate 1
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(testing::iso(4, 4, Direction::kIn, 2, 64));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.submittedCount(), 1u);
}

// ---- configuration and alternate setting ----

TEST_F(PolicyEngineTest, ConfigurationWithUnclaimableInterfacesIsRefused) {
  policy::UrbLimits limits;
  limits.hidOnly = true;  // nothing of the test device is HID
  startWith(limits);
  client->send(control(1, setupBytes(0x00, 0x09, 1, 0, 0)));  // the active one: no change
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(2, setupBytes(0x00, 0x09, 2, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(3, setupBytes(0x00, 0x09, 7, 0, 0)));  // no such configuration
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setConfiguration 1"});
}

TEST_F(PolicyEngineTest, ConfigurationWhoseInterfacesAreAllClaimableIsEntered) {
  policy::UrbLimits limits;
  limits.allInterfaces = false;
  limits.interfaceClasses = {0xff};  // configuration 2 has only a vendor-class interface
  startWith(limits);
  client->send(control(1, setupBytes(0x00, 0x09, 2, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setConfiguration 2"});
}

class FixedConfigurationEngineTest : public testing::EngineFixture {
 protected:
  static DeviceDescription fixedDescription() {
    DeviceDescription description = testing::testDeviceDescription();
    description.configurationFixed = true;
    return description;
  }
  FixedConfigurationEngineTest() : EngineFixture(fixedDescription()) {}
};

TEST_F(FixedConfigurationEngineTest, SwitchingConfigurationIsRefusedWithoutReachingTheDevice) {
  start({});
  // Configuration 2 exists and every interface of it may be claimed: only the switch is refused.
  client->send(control(1, setupBytes(0x00, 0x09, 2, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(2, setupBytes(0x00, 0x09, 1, 0, 0)));  // the active one
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(3, setupBytes(0x00, 0x09, 2, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setConfiguration 1"});
  EXPECT_EQ(closeAndWait().stats.refused, 2u);
}

TEST_F(PolicyEngineTest, AbsentAlternateSettingIsRefused) {
  startWith({});
  client->send(control(1, setupBytes(0x01, 0x0b, 5, 0, 0)));  // interface 0, alternate 5
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(2, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setInterface 1 1"});
}

}  // namespace
}  // namespace usbip::worker
