#include "broker/export_registry.h"

#include <gtest/gtest.h>

#include "broker/simulated_exports.h"

namespace usbip {
namespace {

std::vector<ExportSource> simulated(std::initializer_list<const char*> names) {
  std::vector<ExportSource> sources;
  for (const char* n : names)
    sources.push_back(SimulatedDevice{n, simulatedCandidate(n)});
  return sources;
}

TEST(ExportRegistry, PolicyIsWhatWasNamed) {
  ExportRegistry registry(simulated({"hid", "cdc"}));
  EXPECT_EQ(registry.policy().allowedBusids, (std::vector<std::string>{"0-1", "0-2"}));
  EXPECT_EQ(registry.offered().size(), 2u);
}

TEST(ExportRegistry, OneImporterAtATimeAndFreeAgainAfterRelease) {
  ExportRegistry registry(simulated({"hid"}));
  {
    auto first = registry.acquire("0-1");
    ASSERT_TRUE(std::holds_alternative<Lease>(first));
    EXPECT_TRUE(registry.offered().empty()) << "a held device is not offered";
    auto second = registry.acquire("0-1");
    ASSERT_TRUE(std::holds_alternative<Refusal>(second));
    EXPECT_NE(std::get<Refusal>(second).reason.find("another client"), std::string::npos);
  }
  EXPECT_EQ(registry.offered().size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Lease>(registry.acquire("0-1")));
}

TEST(ExportRegistry, UnknownBusidRefused) {
  ExportRegistry registry(simulated({"hid"}));
  auto outcome = registry.acquire("1-1");
  ASSERT_TRUE(std::holds_alternative<Refusal>(outcome));
}

TEST(ExportRegistry, NamingAHubIsAnError) {
  UsbDevice hub;
  hub.candidate.exported.device.busid = "1-1";
  hub.candidate.exported.device.bDeviceClass = kHubDeviceClass;
  EXPECT_THROW(ExportRegistry({hub}), std::invalid_argument);
}

}  // namespace
}  // namespace usbip
