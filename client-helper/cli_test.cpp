#include "client-helper/cli.h"

#include <gtest/gtest.h>

#include <vector>

namespace usbip::client {
namespace {

Invocation parse(std::vector<std::string> arguments) {
  return parseCommandLine(arguments);
}

TEST(CommandLine, Attach) {
  const auto inv = parse({"attach", "tcp:server:3240", "1-1.2", "--json", "--timeout", "3"});
  EXPECT_EQ(inv.command, Command::kAttach);
  EXPECT_EQ(inv.address.host, "server");
  EXPECT_EQ(inv.address.port, 3240u);
  EXPECT_EQ(inv.busid, "1-1.2");
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.timeout, std::chrono::seconds(3));
  EXPECT_EQ(inv.sysfsDir, "/sys/devices/platform");
  EXPECT_EQ(inv.stateDir, "/var/run/vhci_hcd");
}

TEST(CommandLine, EveryTransportIsAccepted) {
  EXPECT_EQ(parse({"attach", "vsock:2:3240", "1-1"}).address.kind, Address::Kind::kVsock);
  EXPECT_EQ(parse({"attach", "fc-vsock:/run/v.sock:3240", "1-1"}).address.kind,
            Address::Kind::kFirecrackerVsock);
  EXPECT_EQ(parse({"list", "unix:/run/usbip.sock"}).address.path, "/run/usbip.sock");
  EXPECT_EQ(parse({"listen", "tcp:3240"}).address.port, 3240u);
}

TEST(CommandLine, PortDetachAndTheirDirectories) {
  EXPECT_EQ(parse({"port"}).command, Command::kPort);
  const auto inv = parse({"detach", "9", "--sysfs=/tmp/sys", "--state-dir", "/tmp/state"});
  EXPECT_EQ(inv.command, Command::kDetach);
  EXPECT_EQ(inv.port, 9u);
  EXPECT_EQ(inv.sysfsDir, "/tmp/sys");
  EXPECT_EQ(inv.stateDir, "/tmp/state");
}

TEST(CommandLine, HelpNeedsNothingElse) {
  EXPECT_TRUE(parse({"--help"}).help);
  const auto inv = parse({"attach", "-h"});
  EXPECT_TRUE(inv.help);
  EXPECT_EQ(inv.command, Command::kAttach);
}

TEST(CommandLine, EveryCommandHasHelp) {
  for (auto c : {Command::kNone, Command::kAttach, Command::kListen, Command::kList, Command::kPort,
                 Command::kDetach}) {
    const auto text = helpText(c);
    EXPECT_NE(text.find("Usage: usbip-client-helper"), std::string::npos);
    EXPECT_NE(text.find("Exit status"), std::string::npos);
  }
}

TEST(CommandLine, RejectsWhatIsWrongNamingIt) {
  const auto rejects = [](std::vector<std::string> arguments, const std::string& naming) {
    try {
      parseCommandLine(arguments);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what()).find(naming) != std::string::npos
                 ? ::testing::AssertionSuccess()
                 : ::testing::AssertionFailure() << e.what();
    }
    return ::testing::AssertionFailure() << "accepted";
  };
  EXPECT_TRUE(rejects({}, "no command"));
  EXPECT_TRUE(rejects({"frobnicate"}, "unknown command 'frobnicate'"));
  EXPECT_TRUE(rejects({"attach", "tcp:h:1"}, "attach ADDR BUSID"));
  EXPECT_TRUE(rejects({"attach", "h:1", "1-1"}, "bad address"));
  EXPECT_TRUE(rejects({"attach", "tcp:h:1", "1 1"}, "BUSID"));
  EXPECT_TRUE(rejects({"attach", "tcp:h:1", std::string(32, '1')}, "BUSID"));
  EXPECT_TRUE(rejects({"detach", "x"}, "PORT 'x'"));
  EXPECT_TRUE(rejects({"detach", "70000"}, "PORT"));
  EXPECT_TRUE(rejects({"detach"}, "detach PORT"));
  EXPECT_TRUE(rejects({"port", "extra"}, "'port'"));
  EXPECT_TRUE(rejects({"port", "--bogus"}, "unknown option '--bogus'"));
  EXPECT_TRUE(rejects({"detach", "1", "--json"}, "--json"));
  EXPECT_TRUE(rejects({"port", "--timeout", "5"}, "--timeout"));
  EXPECT_TRUE(rejects({"list", "tcp:h:1", "--timeout", "0"}, "--timeout"));
  EXPECT_TRUE(rejects({"list", "tcp:h:1", "--sysfs", "/x"}, "--sysfs"));
  EXPECT_TRUE(rejects({"list", "tcp:h:1", "--log-level"}, "needs a value"));
}

}  // namespace
}  // namespace usbip::client
