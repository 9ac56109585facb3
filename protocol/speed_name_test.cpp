#include "protocol/speed_name.h"

#include <gtest/gtest.h>

#include "protocol/messages.h"

namespace usbip::proto {
namespace {

TEST(SpeedName, NamesEveryKernelSpeed) {
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kUnknown)), "unknown");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kLow)), "low");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kFull)), "full");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kHigh)), "high");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kWireless)), "wireless");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kSuper)), "super");
  EXPECT_EQ(speedName(static_cast<uint32_t>(Speed::kSuperPlus)), "super-plus");
}

TEST(SpeedName, ShowsAnUnknownValueAsItsNumber) {
  EXPECT_EQ(speedName(7), "speed 7");
  EXPECT_EQ(speedName(0xffffffff), "speed 4294967295");
}

}  // namespace
}  // namespace usbip::proto
