#include "policy/urb_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace usbip::policy {
namespace {

constexpr InterfaceInfo kHid0{0, kClassHid, 1, 1};
constexpr InterfaceInfo kVendor1{1, 0xff, 0, 0};
constexpr InterfaceInfo kStorageBot{2, kClassMassStorage, kMassStorageSubclassScsi,
                                    kMassStorageProtocolBulkOnly};
constexpr InterfaceInfo kStorageUas{2, kClassMassStorage, kMassStorageSubclassScsi, 0x62};

TEST(MayClaimInterface, AllByDefault) {
  const UrbLimits limits;
  EXPECT_TRUE(mayClaimInterface(limits, kHid0));
  EXPECT_TRUE(mayClaimInterface(limits, kVendor1));
  EXPECT_TRUE(mayClaimInterface(limits, {31, 0xff, 0, 0}));
}

TEST(MayClaimInterface, NeverHubsOrNumbersUsbfsCannotGrant) {
  const UrbLimits limits;
  EXPECT_FALSE(mayClaimInterface(limits, {0, kClassHub, 0, 0}));
  EXPECT_FALSE(mayClaimInterface(limits, {32, 0xff, 0, 0}));
}

TEST(MayClaimInterface, ByNumberOrClass) {
  UrbLimits limits;
  limits.allInterfaces = false;
  limits.interfaceNumbers = {1};
  limits.interfaceClasses = {kClassHid};
  EXPECT_TRUE(mayClaimInterface(limits, kHid0));
  EXPECT_TRUE(mayClaimInterface(limits, kVendor1));
  EXPECT_FALSE(mayClaimInterface(limits, kStorageBot));
  limits.interfaceNumbers.clear();
  limits.interfaceClasses.clear();
  EXPECT_FALSE(mayClaimInterface(limits, kHid0));
}

TEST(MayClaimInterface, HidOnly) {
  UrbLimits limits;
  limits.hidOnly = true;
  EXPECT_TRUE(mayClaimInterface(limits, kHid0));
  EXPECT_FALSE(mayClaimInterface(limits, kVendor1));
  limits.allInterfaces = false;
  limits.interfaceNumbers = {1};
  EXPECT_FALSE(mayClaimInterface(limits, kVendor1));
}

TEST(MayClaimInterface, ReadOnlyStorageOnlyOverBulkOnlyTransport) {
  UrbLimits limits;
  limits.readOnly = true;
  EXPECT_TRUE(mayClaimInterface(limits, kStorageBot));
  EXPECT_FALSE(mayClaimInterface(limits, kStorageUas));
  EXPECT_FALSE(mayClaimInterface(limits, {2, kClassMassStorage, 0x04, 0x00}));  // UFI over CBI
  EXPECT_TRUE(mayClaimInterface(limits, kHid0));  // the guard is about storage only
  limits.readOnly = false;
  EXPECT_TRUE(mayClaimInterface(limits, kStorageUas));
}

TEST(ClaimableInterfaceMask, EveryAlternateSettingMustBeClaimable) {
  UrbLimits limits;
  limits.hidOnly = true;
  const std::vector<InterfaceInfo> interfaces = {kHid0,
                                                 kVendor1,
                                                 {3, kClassHid, 0, 0},
                                                 {3, 0xff, 0, 0},  // interface 3 alt 1 is vendor
                                                 {4, kClassHid, 0, 0},
                                                 {40, kClassHid, 0, 0}};
  EXPECT_EQ(claimableInterfaceMask(limits, interfaces), (1u << 0) | (1u << 4));
  EXPECT_EQ(claimableInterfaceMask(UrbLimits{}, interfaces),
            (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4));
  EXPECT_EQ(claimableInterfaceMask(UrbLimits{}, {}), 0u);
}

TEST(ControlRequestAllowed, StandardRequests) {
  const UrbLimits limits;
  EXPECT_TRUE(controlRequestAllowed(limits, 0x80, 6, 0x0100));   // GET_DESCRIPTOR(device)
  EXPECT_TRUE(controlRequestAllowed(limits, 0x00, 9, 1));        // SET_CONFIGURATION
  EXPECT_TRUE(controlRequestAllowed(limits, 0x01, 11, 1));       // SET_INTERFACE
  EXPECT_TRUE(controlRequestAllowed(limits, 0x02, 1, 0));        // CLEAR_FEATURE(ENDPOINT_HALT)
  EXPECT_TRUE(controlRequestAllowed(limits, 0x80, 0, 0));        // GET_STATUS
  EXPECT_TRUE(controlRequestAllowed(limits, 0x00, 3, 1));        // SET_FEATURE(REMOTE_WAKEUP)
  EXPECT_TRUE(controlRequestAllowed(limits, 0x82, 12, 0));       // SYNCH_FRAME
  EXPECT_FALSE(controlRequestAllowed(limits, 0x00, 3, 2));       // SET_FEATURE(TEST_MODE)
  EXPECT_FALSE(controlRequestAllowed(limits, 0x00, 7, 0x0100));  // SET_DESCRIPTOR
  EXPECT_FALSE(controlRequestAllowed(limits, 0x00, 5, 9));       // SET_ADDRESS
  EXPECT_FALSE(controlRequestAllowed(limits, 0x00, 48, 0));      // unknown standard request
}

TEST(ControlRequestAllowed, ClassRequestsToInterfaceOrEndpointOnly) {
  const UrbLimits limits;
  EXPECT_TRUE(controlRequestAllowed(limits, 0x21, 0x09, 0x0200));  // HID SET_REPORT
  EXPECT_TRUE(controlRequestAllowed(limits, 0xa1, 0xfe, 0));       // mass storage GET_MAX_LUN
  EXPECT_TRUE(controlRequestAllowed(limits, 0x22, 0x01, 0x0100));  // audio SET_CUR(endpoint)
  EXPECT_FALSE(controlRequestAllowed(limits, 0x20, 0x01, 0));      // class, to the device
  EXPECT_FALSE(controlRequestAllowed(limits, 0x23, 0x01, 0));      // class, to "other"
}

TEST(ControlRequestAllowed, VendorRequestsOnlyWhenListed) {
  UrbLimits limits;
  EXPECT_FALSE(controlRequestAllowed(limits, 0x40, 0x03, 0x4138));
  EXPECT_FALSE(controlRequestAllowed(limits, 0xc0, 0x05, 0));
  limits.extraControlRequests = {{0x40, 0x03}};
  EXPECT_TRUE(controlRequestAllowed(limits, 0x40, 0x03, 0x4138));
  EXPECT_FALSE(controlRequestAllowed(limits, 0xc0, 0x03, 0));  // the direction bit counts
  EXPECT_FALSE(controlRequestAllowed(limits, 0x40, 0x04, 0));
}

TEST(ControlRequestAllowed, ExtraListCanAddSetDescriptorButNeverSetAddress) {
  UrbLimits limits;
  limits.extraControlRequests = {{0x00, 7}, {0x00, 5}, {0x80, 5}};
  EXPECT_TRUE(controlRequestAllowed(limits, 0x00, 7, 0x0100));
  EXPECT_FALSE(controlRequestAllowed(limits, 0x00, 5, 9));
  EXPECT_FALSE(controlRequestAllowed(limits, 0x80, 5, 9));
}

TEST(ControlRequestAllowed, PortResetFollowsAllowReset) {
  UrbLimits limits;
  EXPECT_TRUE(isPortReset(0x23, 3, 4));
  EXPECT_FALSE(isPortReset(0x23, 3, 8));  // PORT_POWER
  EXPECT_FALSE(isPortReset(0x03, 3, 4));
  EXPECT_FALSE(controlRequestAllowed(limits, 0x23, 3, 4));
  limits.extraControlRequests = {{0x23, 3}};
  EXPECT_FALSE(controlRequestAllowed(limits, 0x23, 3, 4));
  limits.allowReset = true;
  EXPECT_TRUE(controlRequestAllowed(limits, 0x23, 3, 4));
}

}  // namespace
}  // namespace usbip::policy
