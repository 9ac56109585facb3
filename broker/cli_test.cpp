#include "broker/cli.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace usbip {
namespace {

Invocation parse(std::vector<std::string> args) {
  return parseCommandLine(args);
}

void expectUsageError(std::vector<std::string> args, const std::string& mentions) {
  try {
    parse(args);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Cli, ListenWithDevices) {
  const auto inv = parse({"listen", "tcp:3240", "1-2", "sim:hid", "--log-level", "debug"});
  EXPECT_EQ(inv.command, Command::kListen);
  EXPECT_EQ(inv.address.port, 3240u);
  EXPECT_EQ(inv.devices, (std::vector<std::string>{"1-2", "sim:hid"}));
  EXPECT_EQ(inv.logLevel, "debug");
  EXPECT_FALSE(inv.workerPath.has_value());
}

TEST(Cli, ListenWithoutDevicesExportsNothing) {
  EXPECT_TRUE(parse({"listen", "unix:/run/u.sock"}).devices.empty());
}

TEST(Cli, OptionsAnywhereAndWithEquals) {
  const auto inv = parse({"--log-level=warn", "connect", "--worker=/opt/w", "vsock:2:5000", "1-1"});
  EXPECT_EQ(inv.command, Command::kConnect);
  EXPECT_EQ(inv.logLevel, "warn");
  EXPECT_EQ(inv.workerPath, "/opt/w");
  EXPECT_EQ(inv.devices, std::vector<std::string>{"1-1"});
}

TEST(Cli, PeerTimeoutForListenAndConnect) {
  EXPECT_FALSE(parse({"listen", "tcp:1"}).peerTimeoutSeconds.has_value());
  EXPECT_EQ(parse({"listen", "tcp:1", "--peer-timeout", "2"}).peerTimeoutSeconds, 2u);
  EXPECT_EQ(parse({"connect", "--peer-timeout=3600", "tcp:h:1", "1-1"}).peerTimeoutSeconds, 3600u);
  expectUsageError({"listen", "tcp:1", "--peer-timeout", "0"}, "from 1 to 3600");
  expectUsageError({"listen", "tcp:1", "--peer-timeout", "3601"}, "from 1 to 3600");
  expectUsageError({"listen", "tcp:1", "--peer-timeout", "-5"}, "from 1 to 3600");
  expectUsageError({"listen", "tcp:1", "--peer-timeout", "99999999999"}, "from 1 to 3600");
  expectUsageError({"list", "--peer-timeout", "5"}, "--peer-timeout applies to listen and connect");
}

TEST(Cli, UsbfsMemoryIsTheDefaultAndCanBeTurnedOffWhereWorkersStart) {
  EXPECT_TRUE(parse({"listen", "tcp:1"}).usbfsMemory);
  EXPECT_FALSE(parse({"listen", "tcp:1", "--no-usbfs-memory"}).usbfsMemory);
  EXPECT_FALSE(parse({"--no-usbfs-memory", "connect", "tcp:h:1", "1-1"}).usbfsMemory);
  EXPECT_FALSE(parse({"export", "camera", "--no-usbfs-memory"}).usbfsMemory);
  EXPECT_TRUE(parse({"listen", "tcp:1", "--no-usbfs-memory", "--usbfs-memory"}).usbfsMemory);
  EXPECT_TRUE(parse({"listen", "tcp:1", "--usbfs-memory"}).usbfsMemory);
  EXPECT_TRUE(parse({"--usbfs-memory", "connect", "tcp:h:1", "1-1"}).usbfsMemory);
  EXPECT_TRUE(parse({"export", "camera", "--usbfs-memory"}).usbfsMemory);
  expectUsageError({"list", "--usbfs-memory"}, "--usbfs-memory applies to listen");
  expectUsageError({"check-policy", "--usbfs-memory"}, "--usbfs-memory applies to listen");
  expectUsageError({"list", "--no-usbfs-memory"}, "--no-usbfs-memory applies to listen");
}

TEST(Cli, ListJson) {
  const auto inv = parse({"list", "--json"});
  EXPECT_EQ(inv.command, Command::kList);
  EXPECT_TRUE(inv.json);
}

TEST(Cli, PolicyDirOnEveryCommand) {
  EXPECT_FALSE(parse({"list"}).policyDir.has_value()) << "the default, which may be missing";
  EXPECT_EQ(parse({"list", "--policy-dir", "/tmp/d"}).policyDir, "/tmp/d");
  EXPECT_EQ(parse({"listen", "tcp:1", "--policy-dir=/d"}).policyDir, "/d");
  EXPECT_EQ(parse({"connect", "tcp:h:1", "1-1", "--policy-dir", "/d"}).policyDir, "/d");
  const auto check = parse({"check-policy", "--policy-dir", "/d"});
  EXPECT_EQ(check.command, Command::kCheckPolicy);
  EXPECT_EQ(check.policyDir, "/d");
}

TEST(Cli, ExportByName) {
  const auto inv = parse({"export", "1-2", "--worker", "/w"});
  EXPECT_EQ(inv.command, Command::kExport);
  EXPECT_EQ(inv.exportName, "1-2");
  EXPECT_EQ(inv.workerPath, "/w");
  EXPECT_EQ(parse({"export", "keyboard"}).exportName, "keyboard");
}

TEST(Cli, HelpEverywhere) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_EQ(parse({"listen", "--help"}).command, Command::kListen);
  EXPECT_TRUE(parse({"connect", "-h"}).help);
  // Help wins over otherwise missing arguments.
  EXPECT_TRUE(parse({"connect", "--help"}).help);
  for (auto c : {Command::kNone, Command::kListen, Command::kConnect, Command::kList,
                 Command::kCheckPolicy, Command::kExport}) {
    const auto text = helpText(c);
    EXPECT_NE(text.find("Usage: usbip-host"), std::string::npos);
    EXPECT_NE(text.find("2  usage error"), std::string::npos) << "exit codes documented";
    if (c != Command::kNone) {
      EXPECT_NE(text.find("--policy-dir DIR"), std::string::npos) << text;
    }
  }
}

TEST(Cli, Errors) {
  expectUsageError({}, "no command");
  expectUsageError({"serve"}, "unknown command 'serve'");
  expectUsageError({"listen"}, "listen needs ADDR");
  expectUsageError({"listen", "3240"}, "bad address '3240'");
  expectUsageError({"listen", "tcp:3240", "usb1"}, "bad device 'usb1'");
  expectUsageError({"listen", "tcp:3240", "sim:mouse"}, "unknown simulated device 'mouse'");
  expectUsageError({"connect", "tcp:h:1"}, "exactly one DEVICE");
  expectUsageError({"connect", "tcp:h:1", "1-1", "1-2"}, "exactly one DEVICE");
  expectUsageError({"list", "1-1"}, "list takes no arguments");
  expectUsageError({"list", "--worker", "/w"}, "--worker applies to listen, connect and export");
  expectUsageError({"listen", "tcp:1", "--json"}, "--json applies to list");
  expectUsageError({"listen", "tcp:1", "--frobnicate"}, "unknown option '--frobnicate'");
  expectUsageError({"listen", "tcp:1", "--log-level"}, "--log-level needs a value");
  expectUsageError({"list", "--policy-dir"}, "--policy-dir needs a value");
  expectUsageError({"list", "--policy-dir="}, "--policy-dir needs a directory");
  expectUsageError({"check-policy", "x"}, "check-policy takes no arguments, got 'x'");
  expectUsageError({"check-policy", "--worker", "/w"}, "--worker applies to");
  expectUsageError({"export"}, "export needs exactly one NAME");
  expectUsageError({"export", "a", "b"}, "export needs exactly one NAME");
  expectUsageError({"export", "../etc/x"}, "bad NAME '../etc/x'");
}

}  // namespace
}  // namespace usbip
