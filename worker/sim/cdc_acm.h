// sim:cdc — a full-speed CDC ACM serial port that echoes back whatever the host writes. The
// echo buffer is bounded: when it is full, bulk OUT transfers wait (as a device NAKs) until
// the host has read enough.
#pragma once

#include <array>
#include <cstdint>
#include <deque>

#include "worker/sim/simulated_device.h"

namespace usbip::worker::sim {

class CdcAcm final : public SimulatedDevice {
 public:
  static constexpr size_t kEchoCapacity = 64 * 1024;

  explicit CdcAcm(const SimOptions& options);

 private:
  ControlReply classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) override;
  void startTransfer(uint64_t id, const EndpointLayout& endpoint) override;
  void transferAborted(uint64_t id, const Transfer& transfer) override;
  void classStateReset() override;

  // Moves written bytes into the echo buffer and echoed bytes out to waiting reads.
  void pump();

  struct Write {
    uint64_t id = 0;
    size_t taken = 0;  // bytes of this transfer already in the echo buffer
  };
  std::deque<Write> writes_;            // bulk OUT, in submission order
  std::deque<uint64_t> reads_;          // bulk IN, in submission order
  std::deque<uint64_t> notifications_;  // interrupt IN: held, this port has nothing to notify
  std::deque<uint8_t> echo_;
  std::array<uint8_t, 7> lineCoding_{};
  uint16_t controlLines_ = 0;  // DTR (bit 0), RTS (bit 1)
};

}  // namespace usbip::worker::sim
