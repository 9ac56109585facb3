// Component test: the real usbip-host and usbip-worker binaries, a simulated device, and this
// test speaking USB/IP as a client over a unix socket (no kernel, no VM).
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "broker/component_test_client.h"
#include "common/socket.h"
#include "common/syscall.h"

namespace usbip {
namespace {

using namespace component_test;

class ListenMode : public ::testing::Test {
 protected:
  std::string path_ = socketPath("usbip-host-listen");
  HostProcess host_{{"listen", "unix:" + path_, "sim:hid", "--log-level", "warn"}};
};

TEST_F(ListenMode, DevlistShowsTheSimulatedDevice) {
  const auto reply = devlist(path_);
  EXPECT_EQ(reply.status, 0u);
  ASSERT_EQ(reply.devices.size(), 1u);
  const auto& d = reply.devices[0];
  EXPECT_EQ(d.busid, "0-1");
  EXPECT_EQ(d.busnum, 0u);
  EXPECT_EQ(d.devnum, 1u);
  EXPECT_EQ(reply.firstInterfaceClasses.at(0), 0x03) << "HID";
}

TEST_F(ListenMode, ImportOfUnknownBusidGetsStatus1) {
  auto fd = dial(path_);
  const auto reply = import(fd, "1-9");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 1u);
  EXPECT_TRUE(closedByPeer(fd));
}

TEST_F(ListenMode, ImportOfTheSimulatedDeviceGetsItsRecord) {
  auto fd = dial(path_);
  const auto reply = import(fd, "0-1");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 0u);
  ASSERT_TRUE(reply->device.has_value());
  EXPECT_EQ(reply->device->busid, "0-1");
  EXPECT_EQ(reply->device->busnum << 16 | reply->device->devnum, 1u) << "devid";
}

// The whole path: broker, worker in its sandbox, URB engine, simulated device.
TEST_F(ListenMode, GetDeviceDescriptorThroughTheEngine) {
  auto fd = dial(path_);
  const auto reply = import(fd, "0-1");
  ASSERT_TRUE(reply && reply->device);
  ASSERT_EQ(reply->status, 0u);
  UrbClient urbs(std::move(fd), reply->device->devid());
  const auto ret = urbs.transfer(controlIn(kGetDeviceDescriptor, 18));
  ASSERT_TRUE(ret.has_value()) << "connection closed before RET_SUBMIT";
  EXPECT_EQ(ret->status, 0);
  ASSERT_EQ(ret->actual_length, 18);
  ASSERT_EQ(ret->payload.size(), 18u);
  EXPECT_EQ(ret->payload[0], 18) << "bLength";
  EXPECT_EQ(ret->payload[1], 0x01) << "bDescriptorType DEVICE";
}

// One importer at a time; the device is free again as soon as its worker has gone.
TEST_F(ListenMode, SecondImportRefusedUntilTheFirstEnds) {
  {
    auto first = dial(path_);
    ASSERT_EQ(import(first, "0-1").value().status, 0u);
    auto second = dial(path_);
    EXPECT_EQ(import(second, "0-1").value().status, 1u);
    EXPECT_TRUE(devlist(path_).devices.empty()) << "an imported device is not listed";
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto again = dial(path_);
    const auto reply = import(again, "0-1");
    if (reply && reply->status == 0) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "device never freed";
    std::this_thread::sleep_for(50ms);
  }
}

// Rule F1: a bad version gets no reply; the broker goes on serving others.
TEST_F(ListenMode, BadHandshakeClosesOnlyThatConnection) {
  {
    auto fd = dial(path_);
    const uint8_t wrongVersion[] = {0x01, 0x06, 0x80, 0x05, 0, 0, 0, 0};
    writeAll(fd, wrongVersion, sizeof wrongVersion);
    EXPECT_TRUE(closedByPeer(fd));
  }
  EXPECT_EQ(devlist(path_).devices.size(), 1u);
}

TEST_F(ListenMode, StopsWithStatus0OnSigterm) {
  devlist(path_);
  EXPECT_EQ(host_.stop(), 0);
}

// Reverse mode: the host dials us; we speak as the client helper does (docs/protocol.md).
TEST(ConnectMode, DialsImportsWithEmptyBusidAndRedials) {
  const auto path = socketPath("usbip-host-connect");
  const Address address = parseAddress("unix:" + path);
  auto listener = listenOn(address);
  HostProcess host({"connect", "unix:" + path, "sim:hid", "--log-level", "warn"});
  for (int round = 0; round < 2; ++round) {
    pollfd pfd{listener.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "round " << round << ": the host did not dial";
    auto connection = acceptConnection(listener, address);
    const auto reply = import(connection.fd, "");
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 0u);
    ASSERT_TRUE(reply->device.has_value());
    EXPECT_EQ(reply->device->busid, "0-1");
  }
  EXPECT_EQ(host.stop(), 0);
  std::filesystem::remove(path);
}

TEST(HostCli, ExitCodes) {
  EXPECT_EQ(HostProcess({"--help"}).wait(), 0);
  EXPECT_EQ(HostProcess({"listen"}).wait(), 2);
  EXPECT_EQ(HostProcess({"listen", "unix:/nonexistent-dir/x.sock", "sim:hid", "--log-level", "off"})
                .wait(),
            1);
  EXPECT_EQ(HostProcess({"listen", "tcp:1", "sim:nope"}).wait(), 2);
}

// sim:hid by its ids: policy files name real bus IDs only, and the simulated devices sit on bus 0.
constexpr const char* kSimHidListenedBy = R"(
[match]
vid_pid = "1209:0001"
[export]
mode = "listen"
allowed_peers = [%s]
)";

std::string simHidPolicy(const std::string& peers) {
  std::string text = kSimHidListenedBy;
  text.replace(text.find("%s"), 2, peers);
  return text;
}

TEST(HostPolicy, CheckPolicyAndABrokerRefuseTheSameErrors) {
  PolicyDir dir;
  dir.write("bad.toml",
            "[match]\nbusid = \"1-2\"\n[export]\nmode = \"listen\"\n"
            "allowed_peers = [\"10.0.0.1/8\"]\n");
  const auto check = runHost({"check-policy", "--policy-dir", dir.path()});
  EXPECT_EQ(check.status, 1);
  const std::string line = dir.path() + "/bad.toml:5: export.allowed_peers[0]: ";
  // The diagnostics are all it prints: a script or a person reads them from the first line.
  EXPECT_TRUE(check.output.starts_with(line)) << check.output;
  const auto path = socketPath("usbip-host-badpolicy");
  const auto broker = runHost({"listen", "unix:" + path, "sim:hid", "--policy-dir", dir.path()});
  EXPECT_EQ(broker.status, 1) << broker.output;
  EXPECT_NE(broker.output.find(line), std::string::npos) << broker.output;
  EXPECT_NE(broker.output.find("refusing to start"), std::string::npos) << broker.output;
  EXPECT_FALSE(std::filesystem::exists(path)) << "nothing was listened on";
}

TEST(HostPolicy, CheckPolicyOkAndMissingDirectories) {
  PolicyDir dir;
  dir.write("hid.toml", simHidPolicy("\"unix\""));
  const auto ok = runHost({"check-policy", "--policy-dir", dir.path()});
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("policy OK: " + dir.path() + ": 1 file (1 allow, 0 deny)"),
            std::string::npos)
      << ok.output;
  const auto missing = runHost({"check-policy", "--policy-dir", dir.path() + "/absent"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.output.find("cannot read the policy directory"), std::string::npos)
      << missing.output;
  const auto broker = runHost({"listen", "unix:" + socketPath("usbip-host-nodir"), "sim:hid",
                               "--policy-dir", dir.path() + "/absent"});
  EXPECT_EQ(broker.status, 1) << broker.output;
  EXPECT_NE(broker.output.find("cannot read the policy directory"), std::string::npos)
      << broker.output;
}

TEST(HostPolicy, ADenyingFileBeatsTheCommandLine) {
  PolicyDir dir;
  dir.write("never.toml", "deny = true\n[match]\nvid_pid = \"1209:0001\"\n");
  const auto broker = runHost(
      {"listen", "unix:" + socketPath("usbip-host-deny"), "sim:hid", "--policy-dir", dir.path()});
  EXPECT_EQ(broker.status, 2);
  EXPECT_NE(broker.output.find("device 0-1 denied: " + dir.path() + "/never.toml"),
            std::string::npos)
      << broker.output;
}

// A client outside export.allowed_peers gets no worker: the connection is closed unanswered.
TEST(HostPolicy, PeerOutsideAllowedPeersIsClosedUnanswered) {
  for (const bool allowed : {false, true}) {
    PolicyDir dir;
    dir.write("hid.toml", simHidPolicy(allowed ? "\"unix\"" : "\"vsock:3\""));
    const auto path = socketPath("usbip-host-peers");
    HostProcess host(
        {"listen", "unix:" + path, "sim:hid", "--policy-dir", dir.path(), "--log-level", "off"});
    auto fd = dial(path);
    send(fd, proto::OpReqDevlist{});
    const auto reply = readToEnd(fd);
    if (allowed) {
      EXPECT_EQ(be32(reply, kOpHeaderBytes), 1u) << "one device listed";
    } else {
      EXPECT_TRUE(reply.empty()) << "answered a peer the policy does not admit";
    }
    EXPECT_EQ(host.stop(), 0);
  }
}

// Type=notify: READY=1 once the listener is bound, STOPPING=1 on SIGTERM, on $NOTIFY_SOCKET.
TEST(HostNotify, ReadyWhenListeningAndStoppingOnSigterm) {
  const auto notifyPath = socketPath("usbip-host-notify");
  UniqueFd notify(checkSyscall(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket"));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, notifyPath.c_str(), sizeof sun.sun_path - 1);
  ::unlink(notifyPath.c_str());
  checkSyscall(::bind(notify.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), "bind");
  const auto receive = [&] {
    pollfd pfd{notify.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 10000) != 1) return std::string("(nothing within 10 s)");
    char buffer[512];
    const ssize_t n = ::recv(notify.get(), buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  };
  const auto path = socketPath("usbip-host-notified");
  ::setenv("NOTIFY_SOCKET", notifyPath.c_str(), 1);
  HostProcess host({"listen", "unix:" + path, "sim:hid", "--log-level", "off"});
  ::unsetenv("NOTIFY_SOCKET");
  const auto ready = receive();
  EXPECT_EQ(ready.rfind("READY=1\n", 0), 0u) << ready;
  EXPECT_NE(ready.find("STATUS=listening on unix:" + path), std::string::npos) << ready;
  EXPECT_TRUE(std::filesystem::exists(path)) << "READY=1 before the listener was bound";
  ::kill(host.pid(), SIGTERM);
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(host.wait(), 0);
  ::unlink(notifyPath.c_str());
}

TEST(HostPolicy, ExportNameNeedsAPolicyFile) {
  PolicyDir dir;
  const auto missing = runHost({"export", "keyboard", "--policy-dir", dir.path()});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("no policy file keyboard.toml in " + dir.path()), std::string::npos)
      << missing.output;
  dir.write("never.toml", "deny = true\n[match]\nbusid = \"1-2\"\n");
  const auto denied = runHost({"export", "1-2", "--policy-dir", dir.path()});
  EXPECT_EQ(denied.status, 2);
  EXPECT_NE(denied.output.find("never.toml says deny = true"), std::string::npos) << denied.output;
}

}  // namespace
}  // namespace usbip
