#include <gtest/gtest.h>

#include "broker/usb_device.h"

namespace usbip {
namespace {

TEST(SysfsFacts, SpeedFromTheKernelsStrings) {
  EXPECT_EQ(speedFromSysfs("1.5"), proto::Speed::kLow);
  EXPECT_EQ(speedFromSysfs("12"), proto::Speed::kFull);
  EXPECT_EQ(speedFromSysfs("480"), proto::Speed::kHigh);
  EXPECT_EQ(speedFromSysfs("53.3-480"), proto::Speed::kWireless);
  EXPECT_EQ(speedFromSysfs("5000"), proto::Speed::kSuper);
  EXPECT_EQ(speedFromSysfs("10000"), proto::Speed::kSuperPlus);
  EXPECT_EQ(speedFromSysfs("20000"), proto::Speed::kSuperPlus);
  EXPECT_EQ(speedFromSysfs("unknown"), proto::Speed::kUnknown);
  EXPECT_EQ(speedFromSysfs(""), proto::Speed::kUnknown);
}

TEST(SysfsFacts, VhciAncestorDetected) {
  // A device imported over USB/IP: 3-1 -> usb3 (root hub) -> vhci_hcd.0 (platform device).
  EXPECT_TRUE(isBehindVhci({{"usb3", "usb"}, {"vhci_hcd.0", "vhci_hcd"}, {"platform", ""}}));
  // Even when the platform device has lost its driver link.
  EXPECT_TRUE(isBehindVhci({{"usb3", "usb"}, {"vhci_hcd.1", ""}}));
}

TEST(SysfsFacts, RealControllerIsNotVhci) {
  EXPECT_FALSE(isBehindVhci(
      {{"1-1", "usb"}, {"usb1", "usb"}, {"0000:00:14.0", "xhci_hcd"}, {"pci0000:00", ""}}));
  EXPECT_FALSE(isBehindVhci({}));
}

}  // namespace
}  // namespace usbip
