#include "worker/test_hooks/hook_backend.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <utility>

#include "worker/test_hooks/forbidden_operation.h"

namespace usbip::worker::test_hooks {
namespace {

bool isHookRequest(const Transfer& transfer) {
  return transfer.endpoint == 0 && transfer.type == proto::TransferType::kControl &&
         transfer.setup[0] == kHookRequestType && transfer.setup[1] == kHookRequest;
}

ForbiddenOperation operationOf(const Transfer& transfer) {
  return static_cast<ForbiddenOperation>(transfer.setup[2] | transfer.setup[3] << 8);
}

class HookBackend final : public DeviceBackend {
 public:
  explicit HookBackend(std::unique_ptr<DeviceBackend> device) : device_(std::move(device)) {}

  const DeviceDescription& description() const override { return device_->description(); }

  void submit(Transfer transfer, Completion done) override {
    if (!isHookRequest(transfer)) {
      device_->submit(std::move(transfer), std::move(done));
      return;
    }
    const int error = attemptForbiddenOperation(operationOf(transfer));
    spdlog::warn("test hook: operation {} {}", static_cast<int>(operationOf(transfer)),
                 error == 0 ? std::string("SUCCEEDED") : "refused: errno " + std::to_string(error));
    // Completions are delivered from handleEvents(), never from submit().
    TransferResult result;
    result.status = -error;
    answered_.push_back({transfer.id, std::move(done), std::move(result)});
  }

  bool cancel(uint64_t id) override {
    for (const auto& answer : answered_) {
      if (answer.id == id) return true;  // its real result is on its way
    }
    return device_->cancel(id);
  }

  int setConfiguration(uint8_t value) override { return device_->setConfiguration(value); }
  int setInterface(uint8_t interface, uint8_t alternate) override {
    return device_->setInterface(interface, alternate);
  }
  int clearHalt(uint8_t endpoint) override { return device_->clearHalt(endpoint); }
  int resetDevice() override { return device_->resetDevice(); }

  std::vector<pollfd> pollFds() override { return device_->pollFds(); }
  std::optional<std::chrono::milliseconds> nextTimeout() override {
    if (!answered_.empty()) return std::chrono::milliseconds(0);
    return device_->nextTimeout();
  }
  void handleEvents() override {
    deliverAnswers();
    device_->handleEvents();
  }
  void drain() override {
    deliverAnswers();
    device_->drain();
  }

 private:
  struct Answer {
    uint64_t id;
    Completion done;
    TransferResult result;
  };

  void deliverAnswers() {
    auto answers = std::exchange(answered_, {});
    for (auto& answer : answers)
      answer.done(answer.id, std::move(answer.result));
  }

  std::unique_ptr<DeviceBackend> device_;
  std::deque<Answer> answered_;
};

}  // namespace

std::unique_ptr<DeviceBackend> withTestHook(std::unique_ptr<DeviceBackend> device) {
  spdlog::warn("{}: the forbidden-operation hook is compiled in", kTestHookMarker);
  return std::make_unique<HookBackend>(std::move(device));
}

}  // namespace usbip::worker::test_hooks
