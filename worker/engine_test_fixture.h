// Test-only: the engine on its own thread, serving a FakeBackend to an EngineTestClient through
// a real socketpair. The fixture of the engine's component tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "common/syscall.h"
#include "worker/engine_test_client.h"
#include "worker/fake_backend.h"
#include "worker/test_device.h"
#include "worker/urb_engine.h"

namespace usbip::worker::testing {

using namespace std::chrono_literals;

class EngineFixture : public ::testing::Test {
 protected:
  explicit EngineFixture(DeviceDescription description = testDeviceDescription())
      : backend(std::move(description)) {}

  void start(UrbEngineOptions options = {}, std::vector<uint8_t> alreadyReceived = {},
             int sendBuffer = 0) {
    int fds[2];
    checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
    UniqueFd engineEnd(fds[0]);
    UniqueFd clientEnd(fds[1]);
    if (sendBuffer > 0) {
      checkSyscall(
          ::setsockopt(engineEnd.get(), SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer),
          "SO_SNDBUF");
    }
    if (watchEngineSide) engineSide = UniqueFd(checkSyscall(::dup(engineEnd.get()), "dup"));
    client.emplace(std::move(clientEnd));
    engine = std::make_unique<UrbEngine>(std::move(engineEnd), std::move(alreadyReceived), backend,
                                         options);
    engineRun = std::async(std::launch::async, [this] { return engine->run(); });
  }

  // Bytes the engine has not read from its socket yet (needs watchEngineSide).
  int unreadByEngine() const {
    int bytes = 0;
    checkSyscall(::ioctl(engineSide.get(), FIONREAD, &bytes), "FIONREAD");
    return bytes;
  }

  EngineResult waitForEnd() {
    engineSide.reset();  // so that the engine's close reaches the client
    if (engineRun.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "the engine did not stop";
      client->close();
    }
    return engineRun.get();
  }

  EngineResult closeAndWait() {
    client->close();
    return waitForEnd();
  }

  void TearDown() override {
    if (engineRun.valid()) {
      client->close();
      engineSide.reset();
      engineRun.wait();
    }
  }

  // No reply arrives within `quiet`.
  void expectSilence(std::chrono::milliseconds quiet = 200ms) {
    auto message = client->receive(quiet);
    EXPECT_FALSE(message.has_value()) << "unexpected reply";
  }

  FakeBackend backend;
  std::optional<EngineTestClient> client;
  std::unique_ptr<UrbEngine> engine;
  std::future<EngineResult> engineRun;
  // A second handle on the engine's end, to look at what it has not read. It keeps that end
  // open, so the client sees no end of stream while it exists; waitForEnd() drops it.
  bool watchEngineSide = false;
  UniqueFd engineSide;
};

}  // namespace usbip::worker::testing
