// The engine serving the simulated devices, through a real socketpair and the real codec: the
// same path a client takes to sim:hid, sim:cdc and sim:uac.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <future>

#include "common/syscall.h"
#include "worker/engine_test_client.h"
#include "worker/engine_test_requests.h"
#include "worker/sim/sim_devices.h"
#include "worker/urb_engine.h"

namespace usbip::worker {
namespace {

using proto::Direction;
using testing::control;
using testing::EngineTestClient;
using testing::setupBytes;

class SimEngineTest : public ::testing::Test {
 protected:
  void start(std::string_view name, UrbEngineOptions options = {}) {
    device = sim::makeSimulatedDevice(name, sim::SimOptions{});
    devid = device->description().exported.device.devid();
    int fds[2];
    checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
    client.emplace(UniqueFd(fds[1]));
    engine =
        std::make_unique<UrbEngine>(UniqueFd(fds[0]), std::vector<uint8_t>{}, *device, options);
    engineRun = std::async(std::launch::async, [this] { return engine->run(); });
  }

  EngineResult closeAndWait() {
    client->close();
    return engineRun.get();
  }

  void TearDown() override {
    if (engineRun.valid()) closeAndWait();
  }

  std::unique_ptr<DeviceBackend> device;
  uint32_t devid = 0;
  std::optional<EngineTestClient> client;
  std::unique_ptr<UrbEngine> engine;
  std::future<EngineResult> engineRun;
};

TEST_F(SimEngineTest, HidAnswersEnumeration) {
  start("hid");
  client->send(control(1, setupBytes(0x80, 0x06, 0x0100, 0, 18), {}, devid));
  proto::RetSubmit deviceReply = client->receiveRetSubmit();
  EXPECT_EQ(deviceReply.status, 0);
  EXPECT_EQ(deviceReply.payload, device->description().deviceDescriptor);
  client->send(control(2, setupBytes(0x80, 0x06, 0x0200, 0, 255), {}, devid));
  proto::RetSubmit config = client->receiveRetSubmit();
  EXPECT_EQ(config.payload, device->description().configurations.at(0));
  EXPECT_EQ(closeAndWait().end, EngineEnd::kClientClosed);
}

// What is played comes back on capture; both directions go through iso URBs the engine splits
// (at 32 packets here, to split on a full-speed device's short URBs as it does at 128).
TEST_F(SimEngineTest, UacLoopbackThroughSplitIsoUrbs) {
  UrbEngineOptions options;
  options.maxIsoPacketsPerTransfer = 32;
  start("uac", options);
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0), {}, devid));  // playback streaming
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(2, setupBytes(0x01, 0x0b, 1, 2, 0), {}, devid));  // capture streaming
  EXPECT_EQ(client->receiveRetSubmit().status, 0);

  proto::CmdSubmit played = testing::iso(3, 1, Direction::kOut, 100, 192, devid);
  client->send(played);
  proto::RetSubmit out = client->receiveRetSubmit();
  EXPECT_EQ(out.status, 0);
  EXPECT_EQ(out.actual_length, 100 * 192);
  EXPECT_EQ(out.error_count, 0);

  client->send(testing::iso(4, 2, Direction::kIn, 100, 192, devid));
  proto::RetSubmit in = client->receiveRetSubmit();
  EXPECT_EQ(in.status, 0);
  ASSERT_EQ(in.iso.size(), 100u);
  for (const proto::IsoPacket& packet : in.iso)
    EXPECT_EQ(packet.actual_length, 192u);
  EXPECT_EQ(in.payload, played.payload);
  EXPECT_EQ(closeAndWait().end, EngineEnd::kClientClosed);
}

// hid_only on the devices a broker exports with it: the keyboard works as before, the serial
// adapter's class requests never reach it.
TEST_F(SimEngineTest, HidOnlyLetsTheKeyboardWork) {
  UrbEngineOptions options;
  options.policy.hidOnly = true;
  start("hid", options);
  client->send(control(1, setupBytes(0x00, 0x09, 1, 0, 0), {}, devid));  // SET_CONFIGURATION 1
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(2, setupBytes(0x21, 0x0a, 0, 0, 0), {}, devid));  // SET_IDLE, interface 0
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EngineResult end = closeAndWait();
  EXPECT_EQ(end.stats.refused, 0u);
}

TEST_F(SimEngineTest, HidOnlyKeepsClassRequestsFromASerialAdapter) {
  UrbEngineOptions options;
  options.policy.hidOnly = true;
  start("cdc", options);
  const std::vector<uint8_t> lineCoding = {0x80, 0x25, 0, 0, 0, 0, 8};  // 9600 8N1
  client->send(control(1, setupBytes(0x21, 0x20, 0, 0, 7), lineCoding, devid));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(testing::submit(2, 2, Direction::kOut, 3, {'a', 't', '\r'}, devid));
  EXPECT_EQ(client->receiveRetSubmit().status, -EACCES);
  EXPECT_EQ(closeAndWait().stats.refused, 2u);
}

}  // namespace
}  // namespace usbip::worker
