// What every simulated device shares: the DeviceBackend plumbing (transfer bookkeeping, eventfd
// and timer wake-ups, cancel, drain), the standard requests of chapter 9 of the USB 2.0
// specification answered from the device's own descriptors, and the configuration and
// alternate-setting state. A device adds its class requests and what its endpoints do.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "worker/device_backend.h"
#include "worker/sim/completion_queue.h"
#include "worker/sim/configuration_layout.h"
#include "worker/sim/sim_clock.h"
#include "worker/sim/sim_options.h"

namespace usbip::worker::sim {

// The eight bytes of a control request, decoded (USB 2.0 section 9.3).
struct SetupPacket {
  uint8_t requestType = 0;
  uint8_t request = 0;
  uint16_t value = 0;
  uint16_t index = 0;
  uint16_t length = 0;

  static SetupPacket parse(const std::array<uint8_t, 8>& raw);
  bool isIn() const { return (requestType & 0x80) != 0; }
  uint8_t kind() const { return (requestType >> 5) & 0x03; }
  uint8_t recipient() const { return requestType & 0x1f; }
};

namespace request_kind {
inline constexpr uint8_t kStandard = 0;
inline constexpr uint8_t kClass = 1;
}  // namespace request_kind

namespace recipient {
inline constexpr uint8_t kDevice = 0;
inline constexpr uint8_t kInterface = 1;
inline constexpr uint8_t kEndpoint = 2;
}  // namespace recipient

// A device's answer to a control request: a stall, or success with the data stage of an IN
// request (longer answers are cut to wLength by the caller, as the USB spec requires).
struct ControlReply {
  bool stall = false;
  std::vector<uint8_t> data;

  static ControlReply stalled() { return {true, {}}; }
  static ControlReply ok(std::vector<uint8_t> data = {}) { return {false, std::move(data)}; }
};

// Where a simulated device claims to sit, in the record the client sees (worker/sim/README.md).
struct SimIdentity {
  std::string busid;
  uint32_t devnum = 0;
  std::string path;
  proto::Speed speed = proto::Speed::kFull;
};

struct SimDescriptors {
  std::vector<uint8_t> device;
  std::vector<std::vector<uint8_t>> configurations;
  std::vector<std::string> strings;  // string descriptor n is strings[n - 1]
};

class SimulatedDevice : public DeviceBackend {
 public:
  const DeviceDescription& description() const override { return description_; }
  void submit(Transfer transfer, Completion done) override;
  bool cancel(uint64_t id) override;
  int setConfiguration(uint8_t value) override;
  int setInterface(uint8_t interface, uint8_t alternate) override;
  int clearHalt(uint8_t endpoint) override;
  int resetDevice() override;
  std::vector<pollfd> pollFds() override;
  std::optional<std::chrono::milliseconds> nextTimeout() override;
  void handleEvents() override;
  void drain() override;

 protected:
  // Starts configured with the first configuration, as a device the host's kernel configured
  // before it was exported. Throws std::invalid_argument on malformed descriptors.
  SimulatedDevice(SimIdentity identity, SimDescriptors descriptors, const SimOptions& options);

  // Class requests (interface or endpoint recipient already checked to exist). Default: stall.
  virtual ControlReply classRequest(const SetupPacket& setup, std::span<const uint8_t> outData);
  // GET_DESCRIPTOR addressed to an interface (HID class descriptors). Default: none (stall).
  virtual std::optional<std::vector<uint8_t>> interfaceDescriptor(uint8_t interface, uint8_t type,
                                                                  uint8_t index);
  // A transfer on an endpoint of the active settings, type already checked; the device keeps
  // its id and completes it later.
  virtual void startTransfer(uint64_t id, const EndpointLayout& endpoint) = 0;
  // A transfer the device was holding is being completed by someone else (cancelled, or its
  // endpoint went away); the device must forget its id. Called before the completion is queued.
  virtual void transferAborted(uint64_t id, const Transfer& transfer) = 0;
  // SET_CONFIGURATION or a port reset: class state back to power-on values.
  virtual void classStateReset() {}
  virtual void alternateChanged(uint8_t /*interface*/, uint8_t /*alternate*/) {}

  Transfer* inFlight(uint64_t id) { return queue_.inFlight(id); }
  // Completes an IN transfer with `bytes` (cut to the buffer: -EOVERFLOW; short with
  // shortNotOk: -EREMOTEIO).
  void completeIn(uint64_t id, std::span<const uint8_t> bytes);
  void completeOut(uint64_t id, uint32_t acceptedBytes);
  void complete(uint64_t id, TransferResult result);
  void fail(uint64_t id, int32_t status);

  SimClock::Time now() const { return clock_.now(); }
  void after(SimClock::Time delay, std::function<void()> action);
  const SimOptions& options() const { return options_; }
  std::string_view busid() const { return description_.exported.device.busid; }

 private:
  ControlReply controlRequest(const SetupPacket& setup, std::span<const uint8_t> outData);
  ControlReply standardRequest(const SetupPacket& setup);
  ControlReply getDescriptor(const SetupPacket& setup);
  void handleControl(uint64_t id, Transfer& transfer);
  void abortWhere(const std::function<bool(const Transfer&)>& matches, int32_t status);

  const ConfigurationLayout* activeLayout() const;
  uint8_t alternate(uint8_t interface) const;
  // The endpoint in the active configuration and alternate settings.
  const EndpointLayout* activeEndpoint(uint8_t address) const;
  // The endpoint in any alternate setting of the active configuration.
  bool endpointInConfiguration(uint8_t address) const;
  bool interfaceExists(uint8_t interface) const;

  DeviceDescription description_;
  std::vector<ConfigurationLayout> layouts_;
  std::vector<std::string> strings_;
  SimOptions options_;
  std::map<uint8_t, uint8_t> alternates_;  // interface -> alternate setting, absent = 0
  std::set<uint8_t> halted_;               // endpoint addresses halted by SET_FEATURE
  bool remoteWakeup_ = false;
  CompletionQueue queue_;
  SimClock clock_;
};

}  // namespace usbip::worker::sim
