// decideImport(): the function the worker pre-checks with and the broker re-checks with.
#include "broker/export_policy.h"

#include <gtest/gtest.h>

#include "policy/parser.h"

namespace usbip {
namespace {

OfferedDevice offered(std::string busid, policy::DevicePolicy governing, uint8_t deviceClass = 0,
                      std::vector<uint8_t> interfaceClasses = {0x03}) {
  OfferedDevice d;
  d.candidate.exported.device.busid = busid;
  d.candidate.exported.device.bDeviceClass = deviceClass;
  for (const auto c : interfaceClasses)
    d.candidate.exported.interfaces.push_back({c, 0, 0});
  d.attributes = attributesOf(d.candidate);
  d.policy = std::move(governing);
  return d;
}

policy::DevicePolicy namedAnyPeer(const std::string& busid) {
  return policy::commandLinePolicy(
      busid, {policy::ExportRule::Mode::kListen, std::nullopt, {policy::PeerRule{}}});
}

policy::DevicePolicy fromFile(const std::string& text) {
  return policy::parsePolicy(text, "devices.d/rule.toml", "rule");
}

TEST(DecideImport, NamedDeviceAllowedForAnyPeer) {
  const std::vector devices = {offered("1-2", namedAnyPeer("1-2"))};
  const auto d = decideImport("1-2", "tcp:192.0.2.1:5000", devices);
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_NE(d.reason.find("command line"), std::string::npos) << d.reason;
}

// E1: no policy lets a hub or an imported device out.
TEST(DecideImport, HubAndVhciDeviceRefusedEvenWhenNamed) {
  std::vector devices = {offered("1-1", namedAnyPeer("1-1"), kHubDeviceClass),
                         offered("3-1", namedAnyPeer("3-1"))};
  devices[1].attributes.attachedThroughVhci = true;
  const auto hub = decideImport("1-1", "unix", devices);
  EXPECT_FALSE(hub.allowed);
  EXPECT_NE(hub.reason.find("hub"), std::string::npos) << hub.reason;
  const auto vhci = decideImport("3-1", "unix", devices);
  EXPECT_FALSE(vhci.allowed);
  EXPECT_NE(vhci.reason.find("vhci_hcd"), std::string::npos) << vhci.reason;
}

// E2: what nothing allows is refused.
TEST(DecideImport, DeviceNothingAllowsRefused) {
  policy::DeviceAttributes attributes;
  attributes.busid = "1-3";
  const std::vector devices = {offered("1-3", policy::notAllowedPolicy(attributes))};
  const auto d = decideImport("1-3", "unix", devices);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("no policy file or command line argument allows it"), std::string::npos)
      << d.reason;
}

TEST(DecideImport, UnknownBusidRefusedAndKeptPrintable) {
  const std::vector devices = {offered("1-2", namedAnyPeer("1-2"))};
  const auto unknown = decideImport("9-9", "unix", devices);
  EXPECT_FALSE(unknown.allowed);
  EXPECT_NE(unknown.reason.find("'9-9'"), std::string::npos);
  const auto hostile = decideImport(std::string_view("1-\n\x1b[2J", 7), "unix", devices);
  EXPECT_FALSE(hostile.allowed);
  EXPECT_EQ(hostile.reason.find('\n'), std::string::npos);
  EXPECT_EQ(hostile.reason.find('\x1b'), std::string::npos);
}

TEST(DecideImport, PeerMustBeInAllowedPeers) {
  const std::vector devices = {offered("1-2", fromFile(R"(
[match]
busid = "1-2"
[export]
mode = "listen"
allowed_peers = ["127.0.0.2/32", "vsock:3"]
)"))};
  EXPECT_TRUE(decideImport("1-2", "tcp:127.0.0.2:40000", devices).allowed);
  EXPECT_TRUE(decideImport("1-2", "vsock:3:1024", devices).allowed);
  const auto outside = decideImport("1-2", "tcp:127.0.0.1:40000", devices);
  EXPECT_FALSE(outside.allowed);
  EXPECT_NE(outside.reason.find("not in export.allowed_peers"), std::string::npos)
      << outside.reason;
  EXPECT_FALSE(decideImport("1-2", "vsock:4:1024", devices).allowed);
  EXPECT_FALSE(decideImport("1-2", "not a peer", devices).allowed) << "refused, not thrown";
}

TEST(DecideImport, HidOnlyRefusesACompositeAndAllowsPureHid) {
  const auto rule = fromFile(R"(
[match]
vid_pid = "0000:0000"
[export]
mode = "listen"
allowed_peers = ["any"]
[guards]
hid_only = true
)");
  const std::vector devices = {offered("1-2", rule, 0, {0x03, 0x08}),
                               offered("1-3", rule, 0, {0x03, 0x03})};
  const auto composite = decideImport("1-2", "unix", devices);
  EXPECT_FALSE(composite.allowed);
  EXPECT_NE(composite.reason.find("guards.hid_only: interface 1 has class 0x08"), std::string::npos)
      << composite.reason;
  EXPECT_TRUE(decideImport("1-3", "unix", devices).allowed);
}

TEST(DecideImport, DenyingFileRefuses) {
  const std::vector devices = {offered("1-2", fromFile("deny = true\n[match]\nbusid = \"1-2\"\n"))};
  const auto d = decideImport("1-2", "unix", devices);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("denied"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace usbip
