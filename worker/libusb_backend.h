// A real device: libusb on the usbfs fd the broker opened and passed over IPC. libusb never
// looks for devices itself (LIBUSB_OPTION_NO_DEVICE_DISCOVERY; the sandbox has no /dev/bus/usb
// and no sysfs); it wraps the fd with libusb_wrap_sys_device. Transfers are asynchronous, any
// number in flight per endpoint, and libusb's event fds join the engine's poll loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "policy/urb_limits.h"
#include "worker/device_backend.h"
#include "worker/device_description.h"

struct libusb_context;
struct libusb_device_handle;
struct libusb_transfer;

namespace usbip::worker {

// A libusb context for LibusbBackend, made before the worker enters its sandbox: libusb_init()
// calls uname() and reads /dev/bus/usb and /sys, which the sandbox forbids. Device discovery is
// off (LIBUSB_OPTION_NO_DEVICE_DISCOVERY). The fds libusb polls (pollFds()) must be kept open by
// the sandbox.
class LibusbContext {
 public:
  LibusbContext();
  LibusbContext(const LibusbContext&) = delete;
  LibusbContext& operator=(const LibusbContext&) = delete;
  ~LibusbContext();

  std::vector<int> pollFds() const;
  // Hands the context to its new owner (LibusbBackend); null afterwards.
  libusb_context* release() { return std::exchange(context_, nullptr); }

 private:
  libusb_context* context_ = nullptr;
};

struct LibusbBackendOptions {
  // How long drain() waits for cancelled transfers to come back.
  std::chrono::milliseconds drainTimeout{2000};
  // The device's policy: only the interfaces it lets the client claim are claimed, the ones the
  // broker granted this descriptor with USBDEVFS_DROP_PRIVILEGES (the same mask, computed with
  // policy::claimableInterfaceMask from the same descriptors). The others keep their host driver.
  policy::UrbLimits limits;
  // Transfer buffers in memory mapped from the usbfs fd, which usbfs does not copy
  // (transfer_memory.h), instead of on the heap (usbip-host --no-usbfs-memory). Off here, so
  // that a backend made by a test copies; the usbip-worker program turns it on by default.
  bool usbfsMemory = false;
};

class LibusbBackend final : public DeviceBackend {
 public:
  // Takes ownership of `usbfs` (the broker opened it read-write and claimed the exported
  // interfaces). The description comes from the descriptors read from the fd and the active
  // configuration libusb reports, plus `identity` from the broker; when identity.speed is
  // unknown, libusb's (USBDEVFS_GET_SPEED) is used. Claims the active configuration's
  // interfaces. Throws std::runtime_error when libusb cannot use the fd or an interface cannot
  // be claimed, std::invalid_argument when the descriptors are unusable.
  LibusbBackend(UniqueFd usbfs, const DeviceIdentity& identity, LibusbBackendOptions options = {});
  // The same on a context made earlier (before the sandbox); the backend takes it over.
  LibusbBackend(UniqueFd usbfs, LibusbContext&& context, const DeviceIdentity& identity,
                LibusbBackendOptions options = {});
  LibusbBackend(const LibusbBackend&) = delete;
  LibusbBackend& operator=(const LibusbBackend&) = delete;
  ~LibusbBackend() override;

  const DeviceDescription& description() const override { return description_; }

  void submit(Transfer transfer, Completion done) override;
  bool cancel(uint64_t id) override;

  // SET_CONFIGURATION to the configuration already active succeeds without touching the device:
  // a real one would be a "lightweight reset" that makes the kernel rebind drivers and
  // re-claiming would race them. Another value is refused with -EPIPE (a stall): the kernel
  // would bind the host's drivers to the new configuration's interfaces before the worker
  // could claim them.
  int setConfiguration(uint8_t value) override;
  int setInterface(uint8_t interface, uint8_t alternate) override;
  int clearHalt(uint8_t endpoint) override;
  int resetDevice() override;

  std::vector<pollfd> pollFds() override;
  std::optional<std::chrono::milliseconds> nextTimeout() override;
  void handleEvents() override;
  // Cancels everything, waits up to drainTimeout for the completions, then releases the
  // interfaces. Completions still missing after that are dropped (never called).
  void drain() override;

 private:
  struct InFlight;
  struct ContextDeleter {
    void operator()(libusb_context* context) const;
  };
  struct HandleDeleter {
    void operator()(libusb_device_handle* handle) const;
  };
  struct Deferred {
    uint64_t id;
    TransferResult result;
    Completion done;
  };

  static void onTransferComplete(libusb_transfer* transfer);
  void completed(libusb_transfer* transfer);
  void deferCompletion(uint64_t id, int32_t status, Completion done);
  void deliverDeferred();
  void claimActiveInterfaces();
  void releaseInterfaces();
  void rethrowCallbackError();
  void retireTransferMemory();

  // Declared in this order so that the handle closes before the context exits and the fd
  // closes last.
  UniqueFd usbfs_;
  std::unique_ptr<libusb_context, ContextDeleter> context_;
  std::unique_ptr<libusb_device_handle, HandleDeleter> handle_;
  UniqueFd wakeup_;  // eventfd: readable while deferred_ holds completions
  LibusbBackendOptions options_;
  DeviceIdentity identity_;
  DeviceDescription description_;
  std::map<uint64_t, std::unique_ptr<InFlight>> inFlight_;
  std::deque<Deferred> deferred_;
  std::vector<uint8_t> claimed_;    // interface numbers
  uint32_t grantedInterfaces_ = 0;  // bit N: interface N may be claimed
  std::exception_ptr callbackError_;
  bool drained_ = false;
  bool usesTransferMemory_ = false;  // this backend installed the process's usbfs memory
};

}  // namespace usbip::worker
