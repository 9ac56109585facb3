#include "broker/export_policy.h"

#include <gtest/gtest.h>

namespace usbip {
namespace {

ExportCandidate device(std::string busid, uint8_t deviceClass = 0, bool behindVhci = false) {
  ExportCandidate c;
  c.exported.device.busid = std::move(busid);
  c.exported.device.bDeviceClass = deviceClass;
  c.behindVhci = behindVhci;
  return c;
}

TEST(ExportPolicy, NamedDeviceIsAllowed) {
  const auto d = decideExport(device("1-2"), ExportPolicy{{"1-2"}});
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.reason.empty());
}

// E1: no policy can let a hub out.
TEST(ExportPolicy, HubRefusedEvenWhenNamed) {
  const auto d = decideExport(device("1-1", kHubDeviceClass), ExportPolicy{{"1-1"}});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("hub"), std::string::npos);
  EXPECT_NE(d.reason.find("E1"), std::string::npos);
}

// E1: a device imported over USB/IP is never re-exported.
TEST(ExportPolicy, VhciDeviceRefusedEvenWhenNamed) {
  const auto d = decideExport(device("3-1", 0, true), ExportPolicy{{"3-1"}});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("vhci_hcd"), std::string::npos);
}

// E2: a device that nothing allows is refused.
TEST(ExportPolicy, UnnamedDeviceRefused) {
  const auto d = decideExport(device("1-3"), ExportPolicy{{"1-2"}});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("E2"), std::string::npos);
}

TEST(ExportPolicy, ImportOfUnknownBusidRefused) {
  const std::vector<ExportCandidate> offered = {device("1-2")};
  const auto d = decideImport("9-9", offered, ExportPolicy{{"1-2"}});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("'9-9'"), std::string::npos);
}

TEST(ExportPolicy, ImportReasonKeepsNetworkBytesPrintable) {
  const std::vector<ExportCandidate> offered = {device("1-2")};
  const auto d = decideImport(std::string_view("1-\n\x1b[2J", 7), offered, ExportPolicy{{"1-2"}});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason.find('\n'), std::string::npos);
  EXPECT_EQ(d.reason.find('\x1b'), std::string::npos);
}

TEST(ExportPolicy, ImportDecidesOnTheOfferedRecord) {
  const std::vector<ExportCandidate> offered = {device("1-2"), device("1-1", kHubDeviceClass)};
  const ExportPolicy policy{{"1-2", "1-1"}};
  EXPECT_TRUE(decideImport("1-2", offered, policy).allowed);
  EXPECT_FALSE(decideImport("1-1", offered, policy).allowed);
}

}  // namespace
}  // namespace usbip
