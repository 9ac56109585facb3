// sim:uac — a full-speed USB Audio Class 1.0 device: 48 kHz, 16-bit stereo playback (iso OUT,
// interface 1) and capture (iso IN, interface 2), each with a zero-bandwidth alternate setting 0
// and a streaming alternate setting 1. What is played comes back on capture through a bounded
// ring; capture hears silence when the ring is empty. Iso transfers complete one packet per
// millisecond of (simulated) time, queued back to back per endpoint as on a real bus.
#pragma once

#include <cstdint>
#include <deque>
#include <map>

#include "worker/sim/simulated_device.h"

namespace usbip::worker::sim {

class UacAudio final : public SimulatedDevice {
 public:
  static constexpr uint32_t kSampleRate = 48000;
  static constexpr size_t kFrameBytes = 4;                         // 16-bit stereo
  static constexpr size_t kPacketBytes = 192;                      // 48 frames: one millisecond
  static constexpr size_t kLoopbackCapacity = 100 * kPacketBytes;  // 100 ms

  explicit UacAudio(const SimOptions& options);

 private:
  ControlReply classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) override;
  void startTransfer(uint64_t id, const EndpointLayout& endpoint) override;
  void transferAborted(uint64_t id, const Transfer& transfer) override;
  void classStateReset() override;

  void finishIso(uint64_t id, uint64_t ticket, int32_t startFrame);
  void play(std::span<const uint8_t> bytes);
  // Fills `out` from the loopback ring in whole frames; what the ring lacks stays silent (zero).
  void record(std::span<uint8_t> out);

  SimClock::Time origin_;
  SimClock::Time playbackFree_{0};  // when the playback endpoint's queue of packets runs out
  SimClock::Time captureFree_{0};
  // The iso transfer a scheduled completion belongs to: a stale action whose transfer was
  // cancelled must not complete a later transfer that reuses the same id.
  std::map<uint64_t, uint64_t> tickets_;
  uint64_t nextTicket_ = 0;
  std::deque<uint8_t> loopback_;
};

}  // namespace usbip::worker::sim
