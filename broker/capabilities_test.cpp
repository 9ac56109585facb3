#include "broker/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace usbip {
namespace {

bool holds(const std::vector<CapabilityUse>& uses, int capability) {
  return std::any_of(uses.begin(), uses.end(), [capability](const CapabilityUse& use) {
    return use.capability == capability;
  });
}

Invocation invocation(Command command, const std::string& address) {
  Invocation result;
  result.command = command;
  result.address = parseAddress(address);
  return result;
}

TEST(BrokerCapabilities, ServingKeepsTheWorkerSandboxSetAndKill) {
  for (const auto& [command, address] :
       {std::pair{Command::kListen, "unix:/run/x.sock"}, std::pair{Command::kListen, "tcp:3240"},
        std::pair{Command::kConnect, "tcp:example.org:80"},
        std::pair{Command::kConnect, "vsock:2:1"}}) {
    EXPECT_EQ(capabilityNames(capabilitiesNeeded(invocation(command, address))),
              "CAP_SYS_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_KILL")
        << address;
  }
}

TEST(BrokerCapabilities, ListeningBelowPort1024AddsNetBindService) {
  EXPECT_TRUE(
      holds(capabilitiesNeeded(invocation(Command::kListen, "tcp:80")), CAP_NET_BIND_SERVICE));
  EXPECT_TRUE(holds(capabilitiesNeeded(invocation(Command::kListen, "tcp:[::1]:1023")),
                    CAP_NET_BIND_SERVICE));
  EXPECT_TRUE(
      holds(capabilitiesNeeded(invocation(Command::kListen, "vsock:1000")), CAP_NET_BIND_SERVICE));
  EXPECT_FALSE(
      holds(capabilitiesNeeded(invocation(Command::kListen, "tcp:1024")), CAP_NET_BIND_SERVICE));
  EXPECT_FALSE(
      holds(capabilitiesNeeded(invocation(Command::kListen, "vsock:3240")), CAP_NET_BIND_SERVICE));
}

TEST(BrokerCapabilities, ListNeedsNone) {
  Invocation list;
  list.command = Command::kList;
  EXPECT_TRUE(capabilitiesNeeded(list).empty());
  EXPECT_EQ(capabilityNames(capabilitiesNeeded(list)), "none");
}

TEST(BrokerCapabilities, CheckPolicyNeedsNone) {
  Invocation check;
  check.command = Command::kCheckPolicy;
  EXPECT_EQ(capabilityNames(capabilitiesNeeded(check)), "none");
}

// usbip-host@NAME.service runs `export NAME`: the serving set, as its unit bounds it, and no
// low port, since the address comes from the policy file only after the drop.
TEST(BrokerCapabilities, ExportKeepsTheServingSetOnly) {
  Invocation exportName;
  exportName.command = Command::kExport;
  exportName.exportName = "1-2";
  EXPECT_EQ(capabilityNames(capabilitiesNeeded(exportName)),
            "CAP_SYS_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_KILL");
}

TEST(BrokerCapabilities, EveryKeptCapabilitySaysWhatItIsFor) {
  for (const auto& use : capabilitiesNeeded(invocation(Command::kListen, "tcp:80"))) {
    EXPECT_TRUE(std::string(use.name).starts_with("CAP_")) << use.name;
    EXPECT_GT(std::string(use.usedFor).size(), 10u) << use.name;
  }
}

std::set<std::string> words(const std::string& text) {
  std::istringstream in(text);
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// The units start `usbip-host listen tcp:3240` and `usbip-host export`; their bounding set must
// be what the broker keeps itself, no more (it would be dropped anyway) and no less (the workers'
// sandbox would fail).
TEST(BrokerCapabilities, SystemdUnitsBoundTheSameSet) {
  const auto kept =
      words(capabilityNames(capabilitiesNeeded(invocation(Command::kListen, "tcp:3240"))));
  for (const char* unit : {"usbip-host@.service.in", "usbip-host-listen.service.in"}) {
    std::ifstream file(std::string(USBIP_SYSTEMD_SOURCE_DIR) + "/" + unit);
    ASSERT_TRUE(file) << unit;
    std::string bounding;
    for (std::string line; std::getline(file, line);) {
      if (line.starts_with("CapabilityBoundingSet=")) bounding = line.substr(22);
    }
    EXPECT_EQ(words(bounding), kept) << unit << ": CapabilityBoundingSet=" << bounding;
  }
}

}  // namespace
}  // namespace usbip
