// The device side of the URB engine. A real device (libusb on a passed usbfs fd) and each
// simulated device implement this one interface, so both go through the same engine, the same
// validation and the same wire code.
#pragma once

#include <poll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::worker {

// What the broker tells the worker about the device it exports, and what the engine needs to
// answer the client and to know the endpoints: the raw descriptors as the device reports them.
struct DeviceDescription {
  proto::ExportedDevice exported;                    // record sent in OP_REP_IMPORT / DEVLIST
  std::vector<uint8_t> deviceDescriptor;             // 18 bytes
  std::vector<std::vector<uint8_t>> configurations;  // full configuration descriptors, in order
  uint8_t activeConfiguration = 0;                   // bConfigurationValue, 0 = unconfigured
  // SET_CONFIGURATION to any other configuration is refused. True for a real device: usbfs would
  // switch, but the host's own drivers would bind to the new configuration's interfaces before
  // anything could claim them, handing the device back to the host it is exported from.
  bool configurationFixed = false;
};

// One transfer handed to the device. Endpoint addresses carry the direction bit (0x81 = EP1 IN).
struct Transfer {
  uint64_t id = 0;  // chosen by the engine, unique while pending
  uint8_t endpoint = 0;
  proto::TransferType type = proto::TransferType::kControl;
  std::array<uint8_t, 8> setup{};  // control only
  proto::TransferBytes data;       // OUT: the data; IN: sized to the requested length
  bool shortNotOk = false;         // IN only
  bool zeroPacket = false;         // bulk OUT only
  // Isochronous: one entry per packet (offset, length). The URB engine hands over at most 128
  // packets per transfer (usbfs's limit, rule I5), laid out back to back from offset 0.
  std::vector<proto::IsoPacket> iso;
  int32_t interval = 0;
};

// Status values are the kernel's negative errno values, as URB status travels in RET_SUBMIT:
// 0, -EPIPE (stall), -ENOENT / -ECONNRESET (cancelled), -EOVERFLOW (babble), -EPROTO,
// -ETIMEDOUT, -ENODEV (gone), -EREMOTEIO (short with SHORT_NOT_OK), -EXDEV (iso partial).
struct TransferResult {
  int32_t status = 0;
  uint32_t actualLength = 0;
  proto::TransferBytes data;          // IN: the transfer buffer (iso: packets at their offsets)
  std::vector<proto::IsoPacket> iso;  // isochronous: per-packet actual_length and status
  int32_t startFrame = 0;
  int32_t errorCount = 0;
};

using Completion = std::function<void(uint64_t id, TransferResult result)>;

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;

  virtual const DeviceDescription& description() const = 0;

  // Starts a transfer; `done` is called exactly once, from handleEvents(), never from submit().
  virtual void submit(Transfer transfer, Completion done) = 0;
  // Asks for a pending transfer to be cancelled; its completion still arrives (status -ENOENT
  // or -ECONNRESET, or its real result if it finished first). False if `id` is not pending.
  virtual bool cancel(uint64_t id) = 0;

  // Standard requests that must go through the USB stack rather than as raw control transfers
  // (rule C2). Return 0 or a negative errno.
  virtual int setConfiguration(uint8_t value) = 0;
  virtual int setInterface(uint8_t interface, uint8_t alternate) = 0;
  virtual int clearHalt(uint8_t endpoint) = 0;
  virtual int resetDevice() = 0;

  // Event-loop integration: the engine polls these fds (with their events) together with the
  // client socket, and calls handleEvents() when any is ready or the timeout expires.
  virtual std::vector<pollfd> pollFds() = 0;
  virtual std::optional<std::chrono::milliseconds> nextTimeout() = 0;
  virtual void handleEvents() = 0;

  // Cancels everything pending and waits (bounded) until every completion has been delivered.
  // A completion still missing when the bound expires is dropped: never called afterwards.
  virtual void drain() = 0;
};

}  // namespace usbip::worker
