// Test-only: a DeviceBackend the test drives by hand. The engine runs on its own thread; the test
// thread looks at what was submitted and completes transfers when it chooses, so every ordering
// of completion, cancellation and client request can be produced on purpose. Completions are
// delivered, as the interface promises, only from handleEvents() on the engine's thread.
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/syscall.h"
#include "common/unique_fd.h"
#include "worker/device_backend.h"

namespace usbip::worker::testing {

class FakeBackend final : public DeviceBackend {
 public:
  // What cancel() does to a transfer the device still holds.
  enum class OnCancel {
    kCancel,       // completes it with -ECONNRESET
    kFinishFirst,  // the transfer had just finished: completes it with its full result
  };
  // Decides a transfer's fate at submit time: a result completes it at once, nullopt holds it
  // until complete() or cancel().
  using Responder = std::function<std::optional<TransferResult>(const Transfer&)>;

  explicit FakeBackend(DeviceDescription description)
      : description_(std::move(description)),
        wakeup_(checkSyscall(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")) {}

  // Set before the engine runs.
  Responder responder;
  OnCancel onCancel = OnCancel::kCancel;
  int specialStatus = 0;  // what setConfiguration & co. return

  // The successful result a transfer would have: IN filled with a pattern, OUT all taken.
  static TransferResult fullResult(const Transfer& transfer) {
    TransferResult result;
    bool in = (transfer.endpoint & 0x80) != 0;
    result.actualLength = static_cast<uint32_t>(transfer.data.size());
    if (in) {
      result.data = transfer.data;
      for (size_t i = 0; i < result.data.size(); ++i) {
        result.data[i] = static_cast<uint8_t>(i * 7 + transfer.endpoint);
      }
    }
    result.iso = transfer.iso;
    for (auto& packet : result.iso)
      packet.actual_length = packet.length;
    return result;
  }

  // ---- the test thread's side ----

  // Waits until at least `count` transfers were submitted in total.
  bool waitForSubmitted(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return submitted_.size() >= count; });
  }
  bool waitForCancels(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return cancels_ >= count; });
  }
  std::vector<Transfer> submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }
  size_t submittedCount() const {
    std::lock_guard lock(mutex_);
    return submitted_.size();
  }
  std::vector<uint64_t> heldIds() const {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> ids;
    for (const auto& [id, held] : held_)
      ids.push_back(id);
    return ids;
  }
  size_t peakHeld() const {
    std::lock_guard lock(mutex_);
    return peakHeld_;
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  bool drained() const {
    std::lock_guard lock(mutex_);
    return drained_;
  }

  // Finishes a held transfer; false if it is not held. Delivery follows on the engine's thread.
  bool complete(uint64_t id, std::optional<TransferResult> result = std::nullopt) {
    std::lock_guard lock(mutex_);
    auto it = held_.find(id);
    if (it == held_.end()) return false;
    TransferResult outcome = result ? std::move(*result) : fullResult(it->second.transfer);
    ready_.push_back({id, std::move(outcome), std::move(it->second.done)});
    held_.erase(it);
    signal();
    return true;
  }
  // While paused, finished transfers wait in the device, undelivered.
  void pauseDelivery() {
    std::lock_guard lock(mutex_);
    paused_ = true;
  }
  void resumeDelivery() {
    std::lock_guard lock(mutex_);
    paused_ = false;
    signal();
  }

  // ---- DeviceBackend, called on the engine's thread ----

  const DeviceDescription& description() const override { return description_; }

  void submit(Transfer transfer, Completion done) override {
    std::optional<TransferResult> now = responder ? responder(transfer) : std::nullopt;
    std::lock_guard lock(mutex_);
    submitted_.push_back(transfer);
    if (now) {
      ready_.push_back({transfer.id, std::move(*now), std::move(done)});
      signal();
    } else {
      uint64_t id = transfer.id;
      held_.emplace(id, Held{std::move(transfer), std::move(done)});
      peakHeld_ = std::max(peakHeld_, held_.size());
    }
    changed_.notify_all();
  }

  bool cancel(uint64_t id) override {
    std::lock_guard lock(mutex_);
    ++cancels_;
    changed_.notify_all();
    auto it = held_.find(id);
    if (it == held_.end()) return false;
    TransferResult result;
    if (onCancel == OnCancel::kFinishFirst) {
      result = fullResult(it->second.transfer);
    } else {
      result.status = -ECONNRESET;
      result.iso = it->second.transfer.iso;
    }
    ready_.push_back({id, std::move(result), std::move(it->second.done)});
    held_.erase(it);
    signal();
    return true;
  }

  int setConfiguration(uint8_t value) override { return record("setConfiguration", value); }
  int setInterface(uint8_t interface, uint8_t alternate) override {
    return record("setInterface", interface, alternate);
  }
  int clearHalt(uint8_t endpoint) override { return record("clearHalt", endpoint); }
  int resetDevice() override { return record("resetDevice"); }

  std::vector<pollfd> pollFds() override { return {pollfd{wakeup_.get(), POLLIN, 0}}; }
  std::optional<std::chrono::milliseconds> nextTimeout() override { return std::nullopt; }

  void handleEvents() override {
    std::deque<Ready> deliver;
    {
      std::lock_guard lock(mutex_);
      uint64_t count = 0;
      if (::read(wakeup_.get(), &count, sizeof count) < 0 && errno != EAGAIN) {
        throwErrno(errno, "read eventfd");
      }
      if (paused_) return;
      deliver.swap(ready_);
    }
    // Outside the lock: a completion may call back into cancel().
    for (Ready& ready : deliver)
      ready.done(ready.id, std::move(ready.result));
  }

  void drain() override {
    std::deque<Ready> deliver;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, held] : held_) {
        TransferResult result;
        result.status = -ENOENT;
        ready_.push_back({id, std::move(result), std::move(held.done)});
      }
      held_.clear();
      deliver.swap(ready_);
      drained_ = true;
      changed_.notify_all();
    }
    for (Ready& ready : deliver)
      ready.done(ready.id, std::move(ready.result));
  }

 private:
  struct Held {
    Transfer transfer;
    Completion done;
  };
  struct Ready {
    uint64_t id;
    TransferResult result;
    Completion done;
  };

  template <typename... Args>
  int record(const char* name, Args... args) {
    std::lock_guard lock(mutex_);
    std::string call = name;
    ((call += " " + std::to_string(args)), ...);
    calls_.push_back(call);
    changed_.notify_all();
    return specialStatus;
  }

  void signal() {
    uint64_t one = 1;
    checkSyscall(::write(wakeup_.get(), &one, sizeof one), "write eventfd");
  }

  DeviceDescription description_;
  UniqueFd wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, Held> held_;
  std::deque<Ready> ready_;
  std::vector<Transfer> submitted_;
  std::vector<std::string> calls_;
  size_t peakHeld_ = 0;
  size_t cancels_ = 0;
  bool paused_ = false;
  bool drained_ = false;
};

}  // namespace usbip::worker::testing
