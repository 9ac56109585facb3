// A stand-in for the URB engine in the simulated devices' tests: builds transfers, submits them,
// and turns the event loop until their completions arrive.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "worker/device_backend.h"
#include "worker/sim/sim_devices.h"

namespace usbip::worker::sim::testing {

inline Transfer controlTransfer(uint8_t requestType, uint8_t request, uint16_t value,
                                uint16_t index, uint16_t length, std::vector<uint8_t> out = {}) {
  Transfer t;
  t.endpoint = static_cast<uint8_t>(requestType & 0x80);
  t.type = proto::TransferType::kControl;
  t.setup = {requestType,
             request,
             static_cast<uint8_t>(value & 0xff),
             static_cast<uint8_t>(value >> 8),
             static_cast<uint8_t>(index & 0xff),
             static_cast<uint8_t>(index >> 8),
             static_cast<uint8_t>(length & 0xff),
             static_cast<uint8_t>(length >> 8)};
  if (requestType & 0x80) {
    t.data.resize(length);
  } else {
    t.data.assign(out.begin(), out.end());
  }
  return t;
}

inline Transfer getDescriptor(uint8_t type, uint8_t index, uint16_t length,
                              uint8_t requestType = 0x80, uint16_t wIndex = 0) {
  return controlTransfer(requestType, 0x06, static_cast<uint16_t>((type << 8) | index), wIndex,
                         length);
}

inline Transfer inTransfer(uint8_t endpoint, proto::TransferType type, size_t length) {
  Transfer t;
  t.endpoint = endpoint;
  t.type = type;
  t.data.resize(length);
  return t;
}

inline Transfer outTransfer(uint8_t endpoint, proto::TransferType type, std::vector<uint8_t> data) {
  Transfer t;
  t.endpoint = endpoint;
  t.type = type;
  t.data.assign(data.begin(), data.end());
  return t;
}

// An iso transfer of `packets` packets of `packetLength` bytes each, laid out back to back.
inline Transfer isoTransfer(uint8_t endpoint, size_t packets, uint32_t packetLength,
                            std::vector<uint8_t> data = {}) {
  Transfer t;
  t.endpoint = endpoint;
  t.type = proto::TransferType::kIsochronous;
  for (size_t i = 0; i < packets; ++i) {
    t.iso.push_back({static_cast<uint32_t>(i * packetLength), packetLength, 0, 0});
  }
  if (data.empty()) {
    t.data.resize(packets * packetLength);
  } else {
    t.data.assign(data.begin(), data.end());
  }
  return t;
}

class Engine {
 public:
  explicit Engine(std::string_view device, SimOptions options = manualOptions())
      : device_(makeSimulatedDevice(device, options)) {}

  static SimOptions manualOptions() {
    SimOptions options;
    options.manualClock = true;
    return options;
  }

  DeviceBackend& device() { return *device_; }

  uint64_t submit(Transfer transfer) {
    const uint64_t id = nextId_++;
    transfer.id = id;
    device_->submit(std::move(transfer), [this](uint64_t done, TransferResult result) {
      ++completionCount_[done];
      results_[done] = std::move(result);
    });
    return id;
  }

  bool done(uint64_t id) const { return results_.contains(id); }
  int completions(uint64_t id) const {
    const auto it = completionCount_.find(id);
    return it == completionCount_.end() ? 0 : it->second;
  }

  // One turn of the engine's loop: wait for a wake-up (at most `timeout`), then handle events.
  void turn(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    auto fds = device_->pollFds();
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    device_->handleEvents();
  }

  // Turns the loop until `id` completes; nullopt if it does not within `turns` turns.
  std::optional<TransferResult> wait(
      uint64_t id, int turns = 100,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    for (int i = 0; i < turns && !done(id); ++i)
      turn(timeout);
    if (!done(id)) return std::nullopt;
    return results_.at(id);
  }

  TransferResult run(Transfer transfer) {
    const uint64_t id = submit(std::move(transfer));
    auto result = wait(id);
    if (!result) throw std::runtime_error("transfer did not complete");
    return *result;
  }

  // Whether any of the device's fds is readable right now.
  bool wakeupPending() {
    auto fds = device_->pollFds();
    return ::poll(fds.data(), fds.size(), 0) > 0;
  }

 private:
  std::unique_ptr<DeviceBackend> device_;
  uint64_t nextId_ = 1;
  std::map<uint64_t, TransferResult> results_;
  std::map<uint64_t, int> completionCount_;
};

}  // namespace usbip::worker::sim::testing
