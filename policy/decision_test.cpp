#include "policy/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/parser.h"

namespace usbip::policy {
namespace {

using ::testing::HasSubstr;

DeviceAttributes keyboard() {
  DeviceAttributes device;
  device.busid = "1-2";
  device.portPath = "pci-0000:00:14.0-usb-0:2";
  device.vid = 0x046d;
  device.pid = 0xc31c;
  device.interfaces = {{0, kClassHid, 1, 1}, {1, kClassHid, 0, 0}};
  return device;
}

DevicePolicy listenPolicy(std::string_view extra = "") {
  return parsePolicy(R"([match]
busid = "1-2"
[export]
mode = "listen"
allowed_peers = ["vsock:3", "192.0.2.0/24"]
)" + std::string(extra),
                     "d/kbd.toml", "kbd");
}

TEST(MayExport, AllowedByItsPolicy) {
  const auto verdict = mayExport(listenPolicy(), keyboard());
  EXPECT_TRUE(verdict);
  EXPECT_EQ(verdict.reason, "device 1-2 allowed by d/kbd.toml");
}

TEST(MayExport, DeniedDevice) {
  const auto policy =
      parsePolicy("deny = true\n[match]\nvid_pid = \"046d:c31c\"\n", "d/no.toml", "no");
  const auto verdict = mayExport(policy, keyboard());
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.reason, "device 1-2 denied: d/no.toml");
}

TEST(MayExport, NothingAllowsTheDevice) {
  const auto verdict = mayExport(notAllowedPolicy(keyboard()), keyboard());
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.reason, "device 1-2 denied: no policy file or command line argument allows it");
}

TEST(MayExport, NeverHubsOrVhciDevices) {
  auto hub = keyboard();
  hub.deviceClass = kClassHub;
  EXPECT_EQ(mayExport(listenPolicy(), hub).reason, "device 1-2 is a hub");
  auto hubInterface = keyboard();
  hubInterface.interfaces.push_back({2, kClassHub, 0, 0});
  EXPECT_EQ(mayExport(listenPolicy(), hubInterface).reason, "device 1-2 has a hub interface");
  auto imported = keyboard();
  imported.attachedThroughVhci = true;
  EXPECT_EQ(mayExport(listenPolicy(), imported).reason,
            "device 1-2 is attached through vhci_hcd; never re-exported");
  EXPECT_FALSE(mayExport(commandLinePolicy("1-2", {}), imported));
}

TEST(MayExport, PolicyMustMatchTheDevice) {
  auto elsewhere = keyboard();
  elsewhere.busid = "1-3";
  EXPECT_EQ(mayExport(listenPolicy(), elsewhere).reason,
            "policy d/kbd.toml (busid=1-2) does not match device 1-3");
}

TEST(MayExport, HidOnlyGuard) {
  const auto policy = listenPolicy("[guards]\nhid_only = true\n");
  EXPECT_TRUE(mayExport(policy, keyboard()));

  auto composite = keyboard();
  composite.interfaces.push_back({2, kClassMassStorage, 6, 0x50});
  EXPECT_EQ(mayExport(policy, composite).reason,
            "device 1-2 refused by d/kbd.toml: guards.hid_only: interface 2 has class 0x08");

  auto vendorDevice = keyboard();
  vendorDevice.deviceClass = 0xff;
  EXPECT_EQ(mayExport(policy, vendorDevice).reason,
            "device 1-2 refused by d/kbd.toml: guards.hid_only: device class is 0xff");

  auto bare = keyboard();
  bare.interfaces.clear();
  EXPECT_EQ(mayExport(policy, bare).reason,
            "device 1-2 refused by d/kbd.toml: guards.hid_only: the device reports no interfaces");

  auto hidClassDevice = keyboard();
  hidClassDevice.deviceClass = kClassHid;
  EXPECT_TRUE(mayExport(policy, hidClassDevice));
  EXPECT_TRUE(mayExport(listenPolicy(), composite));  // without the guard
}

TEST(MayImport, ListenChecksThePeer) {
  const auto policy = listenPolicy();
  EXPECT_TRUE(mayImport(policy, keyboard(), "vsock:3:1024"));
  EXPECT_TRUE(mayImport(policy, keyboard(), "tcp:[::ffff:192.0.2.1]:40000"));
  const auto refused = mayImport(policy, keyboard(), "tcp:198.51.100.1:40000");
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.reason,
            "peer tcp:198.51.100.1:40000 is not in export.allowed_peers of d/kbd.toml");
  EXPECT_EQ(mayImport(policy, keyboard(), "vsock:3:1024").reason,
            "device 1-2 allowed by d/kbd.toml for peer vsock:3:1024");
}

TEST(MayImport, MalformedPeerIsRefusedNotThrown) {
  const auto verdict = mayImport(listenPolicy(), keyboard(), "garbage");
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.reason, HasSubstr("malformed peer 'garbage'"));
}

TEST(MayImport, ExportRefusalComesFirst) {
  auto imported = keyboard();
  imported.attachedThroughVhci = true;
  EXPECT_FALSE(mayImport(listenPolicy(), imported, "vsock:3:1024"));
}

TEST(MayImport, ConnectModeTrustsTheDialedPeer) {
  const auto policy = parsePolicy(
      "[match]\nbusid = \"1-2\"\n[export]\nmode = \"connect\"\naddress = \"vsock:3:3240\"\n",
      "d/c.toml", "c");
  EXPECT_TRUE(mayImport(policy, keyboard(), "unix"));
}

TEST(MayImport, CommandLinePolicyAllowsWhatTheCommandLineSays) {
  ExportRule how;
  how.allowedPeers = {parsePeerRule("any")};
  const auto policy = commandLinePolicy("1-2", how);
  EXPECT_EQ(policy.origin, "command line");
  EXPECT_TRUE(mayImport(policy, keyboard(), "tcp:203.0.113.5:1"));
  EXPECT_FALSE(mayImport(commandLinePolicy("1-2", {}), keyboard(), "tcp:203.0.113.5:1"));
}

TEST(OfferedOn, SharedListenerOffersListenRulesWithoutOwnAddress) {
  const auto shared = parseAddress("tcp:3240");
  EXPECT_TRUE(offeredOn(listenPolicy(), shared));

  auto own = listenPolicy();
  own.exportRule.address = parseAddress("tcp:3241");
  EXPECT_FALSE(offeredOn(own, shared));
  EXPECT_TRUE(offeredOn(own, parseAddress("tcp:3241")));

  auto connect = listenPolicy();
  connect.exportRule.mode = ExportRule::Mode::kConnect;
  EXPECT_FALSE(offeredOn(connect, shared));

  EXPECT_FALSE(offeredOn(notAllowedPolicy(keyboard()), shared));
}

}  // namespace
}  // namespace usbip::policy
