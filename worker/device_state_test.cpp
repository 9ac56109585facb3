#include "worker/device_state.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "worker/test_device.h"

namespace usbip::worker {
namespace {

using proto::Direction;
using proto::TransferType;

TEST(DeviceState, EndpointsOfTheActiveConfigurationAndCurrentAlternates) {
  DeviceState state(testing::testDeviceDescription());
  EXPECT_EQ(state.activeConfiguration(), 1);
  ASSERT_TRUE(state.endpoint(0, Direction::kIn));
  EXPECT_EQ(state.endpoint(0, Direction::kOut)->type, TransferType::kControl);
  EXPECT_EQ(state.endpoint(1, Direction::kOut)->type, TransferType::kBulk);
  EXPECT_FALSE(state.endpoint(1, Direction::kIn));  // 0x81 does not exist
  EXPECT_EQ(state.endpoint(2, Direction::kIn)->type, TransferType::kBulk);
  EXPECT_EQ(state.endpoint(3, Direction::kIn)->type, TransferType::kInterrupt);
  EXPECT_FALSE(state.endpoint(4, Direction::kIn));  // only in alternate 1
  EXPECT_FALSE(state.endpoint(16, Direction::kIn));
  EXPECT_FALSE(state.endpoint(0xffffffff, Direction::kIn));

  state.setInterface(1, 1);
  ASSERT_TRUE(state.endpoint(4, Direction::kIn));
  EXPECT_EQ(state.endpoint(4, Direction::kIn)->type, TransferType::kIsochronous);
  EXPECT_EQ(state.endpoint(4, Direction::kIn)->maxIsoBytesPerInterval, 3072u);
  EXPECT_EQ(state.endpoint(5, Direction::kOut)->maxIsoBytesPerInterval, 1024u);

  state.setConfiguration(2);
  EXPECT_FALSE(state.endpoint(2, Direction::kIn));
  EXPECT_FALSE(state.endpoint(4, Direction::kIn));
  EXPECT_EQ(state.endpoint(6, Direction::kIn)->type, TransferType::kBulk);

  state.setConfiguration(0);
  EXPECT_FALSE(state.endpoint(6, Direction::kIn));
  EXPECT_TRUE(state.endpoint(0, Direction::kIn));
}

TEST(DeviceState, NewConfigurationStartsAtAlternateZero) {
  DeviceState state(testing::testDeviceDescription());
  state.setInterface(1, 1);
  state.setConfiguration(1);
  EXPECT_FALSE(state.endpoint(4, Direction::kIn));
}

TEST(DeviceState, RecipientsAPolicyMayName) {
  DeviceState state(testing::testDeviceDescription());
  EXPECT_TRUE(state.mayNameInterface(0));
  EXPECT_TRUE(state.mayNameInterface(1));
  EXPECT_FALSE(state.mayNameInterface(2));
  EXPECT_TRUE(state.mayNameEndpoint(0x00));
  EXPECT_TRUE(state.mayNameEndpoint(0x80));
  EXPECT_TRUE(state.mayNameEndpoint(0x82));
  EXPECT_TRUE(state.mayNameEndpoint(0x84));  // any alternate setting, as usbfs checks
  EXPECT_FALSE(state.mayNameEndpoint(0x81));
  EXPECT_FALSE(state.mayNameEndpoint(0x86));  // configuration 2 is not active
  state.setConfiguration(0);
  EXPECT_FALSE(state.mayNameInterface(0));
  EXPECT_FALSE(state.mayNameEndpoint(0x82));
}

TEST(DeviceState, ClaimableInterfacesComeFromThePolicy) {
  policy::UrbLimits limits;
  limits.allInterfaces = false;
  limits.interfaceNumbers = {1};
  DeviceState state(testing::testDeviceDescription(), limits);
  EXPECT_FALSE(state.mayNameInterface(0));
  EXPECT_TRUE(state.mayNameInterface(1));
  EXPECT_FALSE(state.mayNameEndpoint(0x82));  // interface 0's
  EXPECT_TRUE(state.mayNameEndpoint(0x84));
  EXPECT_TRUE(state.mayNameEndpoint(0x00));
  EXPECT_FALSE(state.mayUseEndpoint(2, Direction::kIn));
  EXPECT_TRUE(state.mayUseEndpoint(0, Direction::kIn));
  state.setInterface(1, 1);
  EXPECT_TRUE(state.mayUseEndpoint(4, Direction::kIn));
  // Configuration 2 brings up interface 0 only, which the policy keeps.
  EXPECT_FALSE(state.mayEnterConfiguration(2));
  EXPECT_TRUE(state.mayEnterConfiguration(1));  // the active one
  EXPECT_TRUE(state.mayEnterAltSetting(1, 1));
  EXPECT_FALSE(state.mayEnterAltSetting(0, 0));
  EXPECT_FALSE(state.mayEnterAltSetting(1, 9));
}

TEST(DeviceState, BulkOnlyInterfacesOfTheCurrentAlternates) {
  DeviceDescription description = testing::testDeviceDescription();
  description.configurations[0] = testing::ConfigBytes(1)
                                      .interface(0, 0, 2, 0x08, 0x06, 0x50)
                                      .endpoint(0x81, testing::attributes::kBulk, 512)
                                      .endpoint(0x02, testing::attributes::kBulk, 512)
                                      .interface(0, 1, 4, 0x08, 0x06, 0x62)  // UAS
                                      .endpoint(0x83, testing::attributes::kBulk, 512)
                                      .endpoint(0x04, testing::attributes::kBulk, 512)
                                      .endpoint(0x85, testing::attributes::kBulk, 512)
                                      .endpoint(0x06, testing::attributes::kBulk, 512)
                                      .bytes();
  DeviceState state(description);
  EXPECT_EQ(state.bulkOnlyInterfaces(), (std::vector<BulkOnlyInterface>{{0, 0x81, 0x02}}));
  state.setInterface(0, 1);
  EXPECT_TRUE(state.bulkOnlyInterfaces().empty());
  // read_only: the UAS alternate is not claimable, so neither is interface 0 nor configuration 1
  // (other than staying in it).
  policy::UrbLimits limits;
  limits.readOnly = true;
  DeviceState readOnly(description, limits);
  EXPECT_FALSE(readOnly.mayNameInterface(0));
  EXPECT_FALSE(readOnly.mayEnterAltSetting(0, 1));
}

TEST(DeviceState, UnparsableActiveConfigurationIsRefused) {
  DeviceDescription description = testing::testDeviceDescription();
  description.configurations[0][1] = 0x07;  // no longer a configuration descriptor
  description.configurations[0].resize(9);
  EXPECT_THROW(DeviceState{description}, std::invalid_argument);

  description = testing::testDeviceDescription();
  description.activeConfiguration = 9;
  EXPECT_THROW(DeviceState{description}, std::invalid_argument);
}

TEST(DeviceState, UnparsableInactiveConfigurationIsIgnored) {
  DeviceDescription description = testing::testDeviceDescription();
  description.configurations[1].resize(4);
  DeviceState state(description);
  EXPECT_TRUE(state.endpoint(2, Direction::kIn));
  state.setConfiguration(2);
  EXPECT_FALSE(state.endpoint(6, Direction::kIn));
}

TEST(DeviceState, FirstInterfaceKeepsAnEndpointTwoOfThemClaim) {
  DeviceDescription description = testing::testDeviceDescription();
  description.configurations[0] = testing::ConfigBytes(1)
                                      .interface(0, 0, 1)
                                      .endpoint(0x81, testing::attributes::kBulk, 512)
                                      .interface(1, 0, 1)
                                      .endpoint(0x81, testing::attributes::kInterrupt, 8)
                                      .bytes();
  DeviceState state(description);
  EXPECT_EQ(state.endpoint(1, Direction::kIn)->type, TransferType::kBulk);
}

}  // namespace
}  // namespace usbip::worker
