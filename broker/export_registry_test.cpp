// The broker's table: which devices are exportable now (udev and the policy, decided afresh at
// each request), who may import them, one importer at a time.
#include "broker/export_registry.h"

#include <gtest/gtest.h>

#include <memory>

#include "broker/simulated_exports.h"
#include "policy/decision.h"
#include "policy/parser.h"

namespace usbip {
namespace {

const Address kListener = parseAddress("tcp:3240");

UsbDevice realDevice(const std::string& busid, std::vector<uint8_t> interfaceClasses = {0x03},
                     uint8_t deviceClass = 0) {
  UsbDevice d;
  auto& r = d.candidate.exported.device;
  r.busid = busid;
  r.idVendor = 0x1d6b;
  r.idProduct = 0x0104;
  r.bDeviceClass = deviceClass;
  for (const auto c : interfaceClasses)
    d.candidate.exported.interfaces.push_back({c, 0, 0});
  d.devnode = "/nonexistent/" + busid;
  d.attributes = attributesOf(d.candidate);
  return d;
}

policy::DevicePolicy file(const std::string& name, const std::string& text) {
  return policy::parsePolicy(text, "devices.d/" + name + ".toml", name);
}

// A listen-mode rule: [match] MATCH, allowed_peers = [PEERS], then REST.
std::string listenRule(const std::string& match, const std::string& peers,
                       const std::string& rest = "") {
  return "[match]\n" + match + "\n[export]\nmode = \"listen\"\nallowed_peers = [" + peers + "]\n" +
         rest;
}

// A listen-mode configuration on kListener whose udev is `present` (changed by the test).
struct Fixture {
  std::shared_ptr<std::vector<UsbDevice>> present = std::make_shared<std::vector<UsbDevice>>();

  ExportConfig config(std::vector<policy::DevicePolicy> files,
                      std::vector<std::string> named = {}) {
    ExportConfig c;
    c.directory = policy::PolicySet(std::move(files));
    for (const auto& busid : named)
      c.commandLine.push_back(namedForListen(busid));
    c.serves = [](const policy::DevicePolicy& p, const policy::DeviceAttributes&) {
      return policy::offeredOn(p, kListener);
    };
    c.enumerate = [present = present] { return *present; };
    return c;
  }
};

std::vector<std::string> busids(const std::vector<OfferedDevice>& devices) {
  std::vector<std::string> out;
  for (const auto& d : devices)
    out.push_back(d.busid());
  return out;
}

std::string refusal(std::variant<Lease, Refusal> outcome) {
  if (auto* r = std::get_if<Refusal>(&outcome)) return r->reason;
  return "(granted)";
}

TEST(ExportRegistry, DenyByDefault) {
  Fixture f;
  *f.present = {realDevice("1-2"), realDevice("1-3")};
  ExportRegistry registry(f.config({}, {"1-2"}));
  EXPECT_EQ(busids(registry.exportable()), std::vector<std::string>{"1-2"});
  EXPECT_EQ(busids(registry.offeredTo("tcp:192.0.2.9:1")), std::vector<std::string>{"1-2"});
  EXPECT_NE(refusal(registry.acquire("1-3", "tcp:192.0.2.9:1")).find("no exported device"),
            std::string::npos);
}

TEST(ExportRegistry, NothingNamedAndNoPolicyExportsNothing) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  ExportRegistry registry(f.config({}));
  EXPECT_TRUE(registry.exportable().empty());
  EXPECT_FALSE(registry.anyImportableBy("tcp:127.0.0.1:1"));
}

TEST(ExportRegistry, PolicyFileAllowsOnlyItsPeers) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  ExportRegistry registry(
      f.config({file("kbd", listenRule("busid = \"1-2\"", "\"127.0.0.2/32\"",
                                       "[requests]\nmax_transfer_size = 4096\n"))}));
  EXPECT_EQ(busids(registry.offeredTo("tcp:127.0.0.2:40000")), std::vector<std::string>{"1-2"});
  EXPECT_TRUE(registry.offeredTo("tcp:127.0.0.1:40000").empty());
  EXPECT_TRUE(registry.anyImportableBy("tcp:127.0.0.2:40000"));
  EXPECT_FALSE(registry.anyImportableBy("tcp:127.0.0.1:40000"));
  EXPECT_NE(refusal(registry.acquire("1-2", "tcp:127.0.0.1:40000"))
                .find("peer tcp:127.0.0.1:40000 is not in export.allowed_peers"),
            std::string::npos);
  const auto listed = registry.exportable();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].policy.limits.maxTransferSize, 4096u) << "the file governs, with its limits";
}

TEST(ExportRegistry, DenyingFileWinsOverTheCommandLine) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  try {
    ExportRegistry registry(
        f.config({file("never", "deny = true\n[match]\nbusid = \"1-2\"\n")}, {"1-2"}));
    FAIL() << "a denied device was accepted on the command line";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("denied: devices.d/never.toml"), std::string::npos)
        << e.what();
  }
}

TEST(ExportRegistry, NamedHubIsAnError) {
  Fixture f;
  *f.present = {realDevice("1-1", {kHubDeviceClass}, kHubDeviceClass)};
  EXPECT_THROW(ExportRegistry(f.config({}, {"1-1"})), std::invalid_argument);
}

TEST(ExportRegistry, NamedDeviceGovernedByAFileWithItsOwnListenerIsAnError) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  try {
    ExportRegistry registry(f.config({file("own", R"(
[match]
busid = "1-2"
[export]
mode = "listen"
address = "tcp:4000"
allowed_peers = ["any"]
)")},
                                     {"1-2"}));
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("exports it by listen tcp:4000"), std::string::npos)
        << e.what();
  }
}

TEST(ExportRegistry, HidOnlyGuardRefusesTheCompositeOnly) {
  Fixture f;
  *f.present = {realDevice("1-2", {0x03, 0x08}), realDevice("1-3", {0x03})};
  ExportRegistry registry(f.config({file(
      "hid", listenRule("vid_pid = \"1d6b:0104\"", "\"any\"", "[guards]\nhid_only = true\n"))}));
  EXPECT_EQ(busids(registry.exportable()), std::vector<std::string>{"1-3"});
}

TEST(ExportRegistry, DevicesComeAndGoWithoutARestart) {
  Fixture f;
  ExportRegistry registry(f.config({file("kbd", listenRule("busid = \"1-2\"", "\"any\""))}));
  EXPECT_TRUE(registry.exportable().empty()) << "not plugged in yet";
  *f.present = {realDevice("1-2")};
  EXPECT_EQ(busids(registry.exportable()), std::vector<std::string>{"1-2"});
  f.present->clear();
  EXPECT_TRUE(registry.exportable().empty());
  EXPECT_NE(refusal(registry.acquire("1-2", "unix")).find("no exported device"), std::string::npos);
  *f.present = {realDevice("1-2")};
  EXPECT_EQ(busids(registry.exportable()), std::vector<std::string>{"1-2"});
}

TEST(ExportRegistry, AmbiguousDeviceIsLeftOut) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  ExportRegistry registry(f.config({file("a", listenRule("busid = \"1-2\"", "\"any\"")),
                                    file("b", listenRule("vid_pid = \"1d6b:0104\"", "\"any\""))}));
  EXPECT_TRUE(registry.exportable().empty());
}

TEST(ExportRegistry, OneImporterAtATimeAndFreeAgainAfterRelease) {
  ExportRegistry registry(simulatedOnly({"hid"}));
  {
    auto first = registry.acquire("0-1", "unix");
    ASSERT_TRUE(std::holds_alternative<Lease>(first));
    EXPECT_TRUE(registry.offeredTo("unix").empty()) << "a held device is not offered";
    EXPECT_TRUE(registry.anyImportableBy("unix")) << "but the peer still gets a worker";
    EXPECT_NE(refusal(registry.acquire("0-1", "unix")).find("another client"), std::string::npos);
  }
  EXPECT_EQ(registry.offeredTo("unix").size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Lease>(registry.acquire("0-1", "unix")));
}

TEST(ExportRegistry, RealDeviceThatCannotBeOpenedIsRefusedAndFreed) {
  Fixture f;
  *f.present = {realDevice("1-2")};
  ExportRegistry registry(f.config({}, {"1-2"}));
  EXPECT_NE(refusal(registry.acquire("1-2", "unix")).find("/nonexistent/1-2"), std::string::npos);
  EXPECT_EQ(registry.offeredTo("unix").size(), 1u) << "freed again";
}

}  // namespace
}  // namespace usbip
