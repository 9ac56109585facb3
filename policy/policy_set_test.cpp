#include "policy/policy_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy_error.h"
#include "policy/temp_dir_for_test.h"

namespace usbip::policy {
namespace {

using ::testing::ElementsAre;

std::string allowRule(std::string_view matchLines) {
  return "[match]\n" + std::string(matchLines) +
         "\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n";
}

std::string denyRule(std::string_view matchLines) {
  return "deny = true\n[match]\n" + std::string(matchLines) + "\n";
}

DeviceAttributes device(std::string busid, uint16_t vid, uint16_t pid, std::string serial = "") {
  DeviceAttributes d;
  d.busid = std::move(busid);
  d.portPath = "pci-0000:00:14.0-usb-0:" + d.busid.substr(d.busid.find('-') + 1);
  d.vid = vid;
  d.pid = pid;
  d.serial = std::move(serial);
  return d;
}

// Every diagnostic of loading `dir`, with the directory prefix removed from file names.
std::vector<std::string> loadErrors(const TempDirForTest& dir) {
  try {
    PolicySet::load(dir.path());
  } catch (const PolicyError& e) {
    std::vector<std::string> lines;
    const auto prefix = dir.path().string() + "/";
    for (auto d : e.diagnostics()) {
      if (d.file.starts_with(prefix)) d.file.erase(0, prefix.size());
      auto text = d.toString();
      for (size_t at; (at = text.find(prefix)) != std::string::npos;)
        text.erase(at, prefix.size());
      lines.push_back(text);
    }
    return lines;
  }
  return {};
}

TEST(PolicySet, LoadsTomlFilesInNameOrder) {
  TempDirForTest dir;
  dir.write("b.toml", allowRule("busid = \"1-3\""));
  dir.write("a.toml", denyRule("busid = \"1-2\""));
  dir.write("README", "not a policy");
  dir.write("c.toml.bak", "not a policy");
  dir.write(".hidden.toml", "not a policy");
  const auto set = PolicySet::load(dir.path());
  ASSERT_EQ(set.policies().size(), 2u);
  EXPECT_EQ(set.policies()[0].name, "a");
  EXPECT_TRUE(set.policies()[0].deny);
  EXPECT_EQ(set.policies()[1].name, "b");
}

TEST(PolicySet, EmptyDirectoryAllowsNothing) {
  TempDirForTest dir;
  const auto set = PolicySet::load(dir.path());
  EXPECT_TRUE(set.policies().empty());
  EXPECT_FALSE(set.match(device("1-2", 1, 2)).has_value());
  EXPECT_TRUE(set.policyFor(device("1-2", 1, 2)).deny);
}

TEST(PolicySet, MissingDirectory) {
  TempDirForTest dir;
  EXPECT_THROW(PolicySet::load(dir.path() / "absent"), std::filesystem::filesystem_error);
  EXPECT_TRUE(
      PolicySet::load(dir.path() / "absent", PolicySet::IfMissing::kEmpty).policies().empty());
}

TEST(PolicySet, CollectsTheErrorsOfEveryFile) {
  TempDirForTest dir;
  dir.write("a.toml",
            "[match]\nbusid = \"x\"\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n");
  dir.write("b.toml", allowRule("busid = \"1-3\""));
  dir.write("c.toml", "[match]\nvid_pid = \"1234:5678\"\n[export]\nmode = \"fly\"\n");
  EXPECT_THAT(loadErrors(dir),
              ElementsAre("a.toml:2: match.busid: \"x\" is not a bus ID (expected "
                          "BUS-PORT[.PORT...], e.g. \"1-2\" or \"3-1.4\")",
                          "c.toml:4: export.mode: must be \"listen\" or \"connect\", not \"fly\""));
}

TEST(PolicySet, RefusesADirectoryOthersMayWrite) {
  TempDirForTest dir;
  dir.write("a.toml", allowRule("busid = \"1-2\""));
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  try {
    PolicySet::load(dir.path());
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics().front().toString(),
              dir.path().string() +
                  ":0: (directory): writable by group or others: whoever can write the policy "
                  "directory can widen access (chmod go-w)");
  }
}

TEST(PolicySet, IdenticalMatchesAreAnError) {
  TempDirForTest dir;
  dir.write("a.toml", allowRule("vid_pid = \"1234:5678\"\nbusid = \"1-2\""));
  dir.write("b.toml", denyRule("busid = \"1-2\"\nvid_pid = \"1234:5678\""));
  EXPECT_THAT(loadErrors(dir),
              ElementsAre("b.toml:2: match: same match as a.toml:1 (busid=1-2 vid_pid=1234:5678): "
                          "a device would match both"));
}

TEST(PolicySet, ANarrowerRuleOverlapsTheWiderOne) {
  TempDirForTest dir;
  dir.write("a.toml", allowRule("vid_pid = \"1234:5678\"\nserial = \"S1\""));
  dir.write("b.toml", denyRule("vid_pid = \"1234:5678\""));
  EXPECT_THAT(loadErrors(dir),
              ElementsAre("a.toml:1: match: every device this rule matches is also matched by "
                          "b.toml:2 (vid_pid=1234:5678); rules must not overlap, so narrow or "
                          "remove one"));
}

TEST(PolicySet, OverlapsAreReportedWithParseErrors) {
  TempDirForTest dir;
  dir.write("a.toml", allowRule("busid = \"1-2\""));
  dir.write("b.toml", allowRule("busid = \"1-2\""));
  dir.write("c.toml", "nonsense = 1\n" + allowRule("busid = \"1-4\""));
  const auto errors = loadErrors(dir);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_TRUE(errors[0].starts_with("c.toml:1: nonsense: unknown key")) << errors[0];
  EXPECT_TRUE(errors[1].starts_with("b.toml:1: match: same match as a.toml:1")) << errors[1];
}

TEST(PolicySet, DisjointRulesLoad) {
  TempDirForTest dir;
  dir.write("a.toml", allowRule("busid = \"1-2\""));
  dir.write("b.toml", allowRule("busid = \"1-2.1\""));
  dir.write("c.toml", allowRule("vid_pid = \"1234:5678\"\nserial = \"S1\""));
  dir.write("d.toml", allowRule("vid_pid = \"1234:5678\"\nserial = \"S2\""));
  dir.write("e.toml", denyRule("vid_pid = \"1234:5679\""));
  EXPECT_EQ(PolicySet::load(dir.path()).policies().size(), 5u);
}

TEST(PolicySet, MatchesByEveryField) {
  TempDirForTest dir;
  dir.write("bus.toml", allowRule("busid = \"1-2\""));
  dir.write("port.toml", allowRule("port_path = \"pci-0000:00:14.0-usb-0:7\""));
  dir.write("serial.toml", allowRule("vid_pid = \"aaaa:bbbb\"\nserial = \"S1\""));
  dir.write("any-serial.toml", allowRule("serial = \"only-serial\""));
  const auto set = PolicySet::load(dir.path());
  EXPECT_EQ(set.match(device("1-2", 1, 1))->name, "bus");
  EXPECT_EQ(set.match(device("3-7", 1, 1))->name, "port");
  EXPECT_EQ(set.match(device("1-9", 0xaaaa, 0xbbbb, "S1"))->name, "serial");
  EXPECT_FALSE(set.match(device("1-9", 0xaaaa, 0xbbbb, "S2")).has_value());
  EXPECT_FALSE(set.match(device("1-9", 0xaaaa, 0xbbbb)).has_value());
  EXPECT_EQ(set.match(device("1-9", 1, 1, "only-serial"))->name, "any-serial");
  EXPECT_FALSE(set.match(device("1-3", 1, 1)).has_value());
}

TEST(PolicySet, ADeviceMatchedByTwoRulesIsAmbiguous) {
  TempDirForTest dir;
  dir.write("by-bus.toml", allowRule("busid = \"1-2\""));
  dir.write("by-id.toml", denyRule("vid_pid = \"1234:5678\""));
  const auto set = PolicySet::load(dir.path());  // statically they do not overlap
  EXPECT_EQ(set.match(device("1-3", 0x1234, 0x5678))->name, "by-id");
  try {
    set.match(device("1-2", 0x1234, 0x5678));
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    const auto bus = (dir.path() / "by-bus.toml").string();
    const auto id = (dir.path() / "by-id.toml").string();
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].toString(),
              bus + ":1: match: device 1-2 (1234:5678) is also matched by " + id +
                  ":2 (vid_pid=1234:5678); refusing to choose, the device is not exported");
    EXPECT_EQ(e.diagnostics()[1].toString(),
              id + ":2: match: device 1-2 (1234:5678) is also matched by " + bus +
                  ":1 (busid=1-2); refusing to choose, the device is not exported");
  }
  EXPECT_THROW(set.policyFor(device("1-2", 0x1234, 0x5678)), PolicyError);
}

TEST(PolicySet, PolicyForPrefersFilesThenCommandLine) {
  TempDirForTest dir;
  dir.write("denied.toml", denyRule("busid = \"1-2\""));
  dir.write("limited.toml",
            allowRule("busid = \"1-3\"") + "[requests]\nmax_transfer_size = 4096\n");
  const auto set = PolicySet::load(dir.path());
  const std::vector<DevicePolicy> named = {
      commandLinePolicy("1-2", {}), commandLinePolicy("1-3", {}), commandLinePolicy("1-4", {})};
  EXPECT_TRUE(set.policyFor(device("1-2", 1, 1), named).deny);  // a denying file wins
  EXPECT_EQ(set.policyFor(device("1-3", 1, 1), named).limits.maxTransferSize, 4096u);
  const auto fromCommandLine = set.policyFor(device("1-4", 1, 1), named);
  EXPECT_FALSE(fromCommandLine.deny);
  EXPECT_EQ(fromCommandLine.origin, "command line");
  EXPECT_EQ(fromCommandLine.limits, UrbLimits{});
  const auto nothing = set.policyFor(device("1-5", 1, 1), named);
  EXPECT_TRUE(nothing.deny);
  EXPECT_EQ(nothing.origin, "no policy file or command line argument allows it");
}

TEST(PolicySet, FindByName) {
  TempDirForTest dir;
  dir.write("webcam.toml", allowRule("busid = \"2-1\""));
  const auto set = PolicySet::load(dir.path());
  ASSERT_TRUE(set.findByName("webcam").has_value());
  EXPECT_EQ(set.findByName("webcam")->match.busid, "2-1");
  EXPECT_FALSE(set.findByName("2-1").has_value());
}

TEST(PolicySet, ConstructedFromPoliciesChecksOverlaps) {
  EXPECT_THROW(PolicySet({commandLinePolicy("1-2", {}), commandLinePolicy("1-2", {})}),
               PolicyError);
  EXPECT_NO_THROW(PolicySet({commandLinePolicy("1-2", {}), commandLinePolicy("1-3", {})}));
}

}  // namespace
}  // namespace usbip::policy
