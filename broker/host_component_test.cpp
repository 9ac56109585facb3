// Component test: the real usbip-host and usbip-worker binaries, a simulated device, and this
// test speaking USB/IP as a client over a unix socket (no kernel, no VM).
#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <thread>

#include "broker/component_test_client.h"
#include "common/socket.h"

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

}  // namespace
}  // namespace usbip
