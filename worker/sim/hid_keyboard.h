// sim:hid — a full-speed USB boot keyboard. Each time the host opens it (starts polling its
// interrupt IN endpoint after having stopped, or for the first time), it waits
// SimOptions::typingDelay and then types kTypedLine once: a key-down report and a key-up
// report per character, one report per bInterval, with left shift where a character needs it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string_view>

#include "worker/sim/simulated_device.h"

namespace usbip::worker::sim {

class HidKeyboard final : public SimulatedDevice {
 public:
  static constexpr std::string_view kTypedLine = "usbip-sandbox sim:hid says hello\n";

  explicit HidKeyboard(const SimOptions& options);

 private:
  // The boot protocol input report: modifiers, reserved, six key usages.
  using Report = std::array<uint8_t, 8>;

  ControlReply classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) override;
  std::optional<std::vector<uint8_t>> interfaceDescriptor(uint8_t interface, uint8_t type,
                                                          uint8_t index) override;
  void startTransfer(uint64_t id, const EndpointLayout& endpoint) override;
  void transferAborted(uint64_t id, const Transfer& transfer) override;
  void classStateReset() override;

  void openSession();
  void closeSession();
  void queueLine();
  // Answers waiting polls with queued reports, no faster than one per bInterval.
  void sendReports();

  std::deque<uint64_t> polls_;  // interrupt IN transfers waiting for a report
  std::deque<Report> queued_;   // reports still to type
  Report current_{};            // the last report sent: what GET_REPORT(Input) answers
  bool open_ = false;
  uint64_t session_ = 0;  // tells a stale typing action from the current session's
  bool sendScheduled_ = false;
  SimClock::Time nextReportAt_{0};
  SimClock::Time reportInterval_;
  uint8_t leds_ = 0;
  uint8_t idleRate_ = 0;  // 0 = report only on change, which is all this keyboard does
  uint8_t protocol_ = 1;  // 1 = report protocol, the state after reset
};

}  // namespace usbip::worker::sim
