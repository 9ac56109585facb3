// A DeviceBackend wrapper that ends a fuzzed session deterministically. The engine only offers
// run(), which returns when the client goes away; a fuzzer that closed its end after writing
// would race the engine (it drops unread input once it sees the hang-up). This wrapper watches,
// from inside the engine's loop, just before each poll: when the device has nothing to deliver
// and neither the unread input nor the unread replies changed since the previous turn, nothing
// can happen any more, and it shuts the client's end for writing, so that the poll that follows
// reports the hang-up. Until then it keeps the loop turning (timeout 0) instead of letting the
// engine block.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "worker/device_backend.h"

namespace usbip::fuzz {

class EndWhenIdle : public worker::DeviceBackend {
 public:
  // A session whose device never settles within this many loop turns is a livelock.
  static constexpr unsigned kMaxTurns = 200000;

  EndWhenIdle(worker::DeviceBackend& device, int engineSocket, int clientSocket)
      : device_(device), engineSocket_(engineSocket), clientSocket_(clientSocket) {}

  const worker::DeviceDescription& description() const override { return device_.description(); }
  void submit(worker::Transfer transfer, worker::Completion done) override {
    device_.submit(std::move(transfer), std::move(done));
  }
  bool cancel(uint64_t id) override { return device_.cancel(id); }
  int setConfiguration(uint8_t value) override { return device_.setConfiguration(value); }
  int setInterface(uint8_t interface, uint8_t alternate) override {
    return device_.setInterface(interface, alternate);
  }
  int clearHalt(uint8_t endpoint) override { return device_.clearHalt(endpoint); }
  int resetDevice() override { return device_.resetDevice(); }
  std::vector<pollfd> pollFds() override;
  std::optional<std::chrono::milliseconds> nextTimeout() override;
  void handleEvents() override { device_.handleEvents(); }
  void drain() override { device_.drain(); }

  bool ended() const { return ended_; }

 private:
  struct Observation {
    bool deviceIdle = false;
    int unreadInput = 0;    // bytes the engine has not read yet
    int unreadReplies = 0;  // bytes the engine wrote that the client has not read
    bool operator==(const Observation&) const = default;
  };
  Observation observe(std::vector<pollfd> deviceFds) const;

  worker::DeviceBackend& device_;
  int engineSocket_;
  int clientSocket_;
  std::optional<Observation> previous_;
  bool turnNow_ = false;
  bool ended_ = false;
  unsigned turns_ = 0;
};

}  // namespace usbip::fuzz
