#include "worker/libusb_backend.h"

#include <libusb.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/syscall.h"
#include "policy/descriptor_interfaces.h"
#include "worker/descriptors.h"
#include "worker/libusb_status.h"
#include "worker/transfer_memory.h"
#include "worker/usbfs_descriptors.h"

namespace usbip::worker {
namespace {

constexpr size_t kSetupSize = LIBUSB_CONTROL_SETUP_SIZE;

std::runtime_error libusbFailure(const std::string& what, int error) {
  return std::runtime_error(what + ": " + libusb_error_name(error));
}

void LIBUSB_CALL logFromLibusb(libusb_context*, enum libusb_log_level level, const char* text) {
  std::string line(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  switch (level) {
    case LIBUSB_LOG_LEVEL_ERROR:
      spdlog::error("libusb: {}", line);
      break;
    case LIBUSB_LOG_LEVEL_WARNING:
      spdlog::warn("libusb: {}", line);
      break;
    default:
      spdlog::debug("libusb: {}", line);
      break;
  }
}

// libusb wants an iso transfer's packets back to back from the start of its buffer.
bool packetsBackToBack(const std::vector<proto::IsoPacket>& packets) {
  uint64_t position = 0;
  for (const proto::IsoPacket& packet : packets) {
    if (packet.offset != position) return false;
    position += packet.length;
  }
  return true;
}

}  // namespace

struct LibusbBackend::InFlight {
  LibusbBackend* owner = nullptr;
  uint64_t id = 0;
  Transfer transfer;  // its data moved into `buffer`
  Completion done;
  proto::TransferBytes buffer;  // what libusb reads or fills
  bool relaidOut = false;       // iso packets moved from their offsets to back to back
  size_t requested = 0;         // bytes asked for, setup excluded
  libusb_transfer* handle = nullptr;
};

void LibusbBackend::ContextDeleter::operator()(libusb_context* context) const {
  libusb_exit(context);
}

void LibusbBackend::HandleDeleter::operator()(libusb_device_handle* handle) const {
  libusb_close(handle);
}

LibusbContext::LibusbContext() {
  // Before libusb_init: the Linux backend then neither scans /dev/bus/usb nor listens to udev.
  int rc = libusb_set_option(nullptr, LIBUSB_OPTION_NO_DEVICE_DISCOVERY);
  if (rc < 0) throw libusbFailure("libusb_set_option(NO_DEVICE_DISCOVERY)", rc);
  rc = libusb_init(&context_);
  if (rc < 0) throw libusbFailure("libusb_init", rc);
}

LibusbContext::~LibusbContext() {
  if (context_) libusb_exit(context_);
}

std::vector<int> LibusbContext::pollFds() const {
  std::vector<int> fds;
  if (!context_) return fds;
  const libusb_pollfd** list = libusb_get_pollfds(context_);
  for (const libusb_pollfd** p = list; p && *p; ++p)
    fds.push_back((*p)->fd);
  libusb_free_pollfds(list);
  return fds;
}

LibusbBackend::LibusbBackend(UniqueFd usbfs, const DeviceIdentity& identity,
                             LibusbBackendOptions options)
    : LibusbBackend(std::move(usbfs), LibusbContext(), identity, options) {}

LibusbBackend::LibusbBackend(UniqueFd usbfs, LibusbContext&& madeEarlier,
                             const DeviceIdentity& identity, LibusbBackendOptions options)
    : usbfs_(std::move(usbfs)),
      context_(madeEarlier.release()),
      options_(options),
      identity_(identity) {
  int rc = 0;
  libusb_context* context = context_.get();
  libusb_set_log_cb(context, logFromLibusb, LIBUSB_LOG_CB_CONTEXT);
  libusb_set_option(context, LIBUSB_OPTION_LOG_LEVEL, LIBUSB_LOG_LEVEL_WARNING);

  libusb_device_handle* handle = nullptr;
  rc = libusb_wrap_sys_device(context, static_cast<intptr_t>(usbfs_.get()), &handle);
  if (rc < 0) throw libusbFailure("libusb_wrap_sys_device on the usbfs fd", rc);
  handle_.reset(handle);

  wakeup_ = UniqueFd(checkSyscall(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd"));

  int active = 0;
  rc = libusb_get_configuration(handle, &active);
  if (rc < 0) throw libusbFailure("libusb_get_configuration", rc);
  DeviceIdentity described = identity_;
  if (described.speed == proto::Speed::kUnknown) {
    described.speed = speedFromLibusb(libusb_get_device_speed(libusb_get_device(handle)));
  }
  identity_ = described;
  RawDescriptors raw = readUsbfsDescriptors(usbfs_);
  std::vector<uint8_t> joined = raw.device;
  for (const auto& configuration : raw.configurations)
    joined.insert(joined.end(), configuration.begin(), configuration.end());
  grantedInterfaces_ =
      policy::claimableInterfaceMask(options_.limits, policy::interfacesInDescriptors(joined));
  description_ = describeDevice(identity_, std::move(raw), static_cast<uint8_t>(active));
  description_.configurationFixed = true;
  claimActiveInterfaces();
  // From here on transfer buffers may be usbfs memory (in the usbip-worker program), which
  // usbfs hands to the host controller without copying.
  if (options_.usbfsMemory) {
    usesTransferMemory_ = transfer_memory::install(usbfs_.get());
    if (!usesTransferMemory_) {
      spdlog::info(
          "no usbfs memory for transfer buffers (another backend of this process has it, "
          "or no address space for it): usbfs copies them");
    }
  } else {
    spdlog::info("transfer buffers stay in ordinary memory (--no-usbfs-memory): usbfs copies them");
  }
  spdlog::info("device {:04x}:{:04x} on bus {} address {}: configuration {}, {} interface(s)",
               description_.exported.device.idVendor, description_.exported.device.idProduct,
               identity_.busnum, identity_.devnum, active, claimed_.size());
}

LibusbBackend::~LibusbBackend() {
  try {
    if (!drained_) drain();
  } catch (const std::exception& error) {
    spdlog::error("libusb backend: drain on destruction failed: {}", error.what());
  }
  // Before the fd closes: its number could be reused by another file.
  if (usesTransferMemory_) retireTransferMemory();
  if (!inFlight_.empty()) {
    // libusb may still hold pointers into these; closing the fd makes the kernel kill the URBs,
    // and the process is about to end, so leaking them is the safe choice.
    spdlog::warn("libusb backend: {} transfer(s) never came back; leaving them allocated",
                 inFlight_.size());
    for (auto& [id, entry] : inFlight_)
      static_cast<void>(entry.release());
  }
}

void LibusbBackend::claimActiveInterfaces() {
  claimed_.clear();
  if (description_.activeConfiguration == 0) return;
  for (const std::vector<uint8_t>& bytes : description_.configurations) {
    if (bytes.size() < 9 || bytes[5] != description_.activeConfiguration) continue;
    for (const InterfaceDescriptors& interface : parseConfiguration(bytes).interfaces) {
      int number = interface.bInterfaceNumber;
      if (number >= 32 || (grantedInterfaces_ & (1u << number)) == 0) {
        // Not granted: the broker detached and claimed only what the policy exports, and the
        // engine refuses transfers to an interface the policy keeps from the client.
        spdlog::info("interface {} is not exported: it stays with the host", number);
        continue;
      }
      int rc = libusb_claim_interface(handle_.get(), number);
      if (rc < 0) {
        throw libusbFailure("claiming interface " + std::to_string(number), rc);
      }
      claimed_.push_back(interface.bInterfaceNumber);
    }
    return;
  }
}

void LibusbBackend::releaseInterfaces() {
  for (uint8_t number : claimed_) {
    int rc = libusb_release_interface(handle_.get(), number);
    if (rc < 0 && rc != LIBUSB_ERROR_NO_DEVICE && rc != LIBUSB_ERROR_NOT_FOUND) {
      spdlog::warn("releasing interface {}: {}", number, libusb_error_name(rc));
    }
  }
  claimed_.clear();
}

void LibusbBackend::submit(Transfer transfer, Completion done) {
  auto entry = std::make_unique<InFlight>();
  entry->owner = this;
  entry->id = transfer.id;
  entry->done = std::move(done);
  if (inFlight_.contains(transfer.id)) {
    throw std::invalid_argument("transfer id " + std::to_string(transfer.id) + " is in flight");
  }

  int packets = static_cast<int>(transfer.iso.size());
  libusb_transfer* handle = libusb_alloc_transfer(packets);
  if (handle == nullptr) {
    deferCompletion(transfer.id, -ENOMEM, std::move(entry->done));
    return;
  }
  entry->handle = handle;
  bool in = (transfer.endpoint & 0x80) != 0;

  switch (transfer.type) {
    case proto::TransferType::kControl: {
      // libusb takes the length from the setup packet's wLength: it must match the buffer.
      size_t wLength = transfer.setup[6] | (size_t{transfer.setup[7]} << 8);
      if (wLength != transfer.data.size()) {
        libusb_free_transfer(handle);
        deferCompletion(transfer.id, -EINVAL, std::move(entry->done));
        return;
      }
      entry->requested = transfer.data.size();
      entry->buffer.reserve(kSetupSize + transfer.data.size());
      entry->buffer.assign(transfer.setup.begin(), transfer.setup.end());
      if (in) {
        entry->buffer.resize(kSetupSize + transfer.data.size());
      } else {
        entry->buffer.insert(entry->buffer.end(), transfer.data.begin(), transfer.data.end());
      }
      libusb_fill_control_transfer(handle, handle_.get(), entry->buffer.data(), onTransferComplete,
                                   entry.get(), 0);
      handle->endpoint = static_cast<unsigned char>(transfer.endpoint & 0x0f);
      break;
    }
    case proto::TransferType::kBulk:
    case proto::TransferType::kInterrupt: {
      entry->requested = transfer.data.size();
      entry->buffer = std::move(transfer.data);
      auto length = static_cast<int>(entry->buffer.size());
      if (transfer.type == proto::TransferType::kBulk) {
        libusb_fill_bulk_transfer(handle, handle_.get(), transfer.endpoint, entry->buffer.data(),
                                  length, onTransferComplete, entry.get(), 0);
      } else {
        libusb_fill_interrupt_transfer(handle, handle_.get(), transfer.endpoint,
                                       entry->buffer.data(), length, onTransferComplete,
                                       entry.get(), 0);
      }
      if (transfer.zeroPacket && !in) handle->flags |= LIBUSB_TRANSFER_ADD_ZERO_PACKET;
      break;
    }
    case proto::TransferType::kIsochronous: {
      entry->requested = transfer.data.size();
      if (packetsBackToBack(transfer.iso)) {
        entry->buffer = std::move(transfer.data);
      } else {
        entry->relaidOut = true;
        for (const proto::IsoPacket& packet : transfer.iso) {
          if (uint64_t{packet.offset} + packet.length > transfer.data.size()) {
            libusb_free_transfer(handle);
            throw std::invalid_argument("iso packet outside its transfer's buffer");
          }
          auto begin = transfer.data.begin() + static_cast<std::ptrdiff_t>(packet.offset);
          if (in) {
            entry->buffer.resize(entry->buffer.size() + packet.length);
          } else {
            entry->buffer.insert(entry->buffer.end(), begin, begin + packet.length);
          }
        }
      }
      libusb_fill_iso_transfer(handle, handle_.get(), transfer.endpoint, entry->buffer.data(),
                               static_cast<int>(entry->buffer.size()), packets, onTransferComplete,
                               entry.get(), 0);
      for (int i = 0; i < packets; ++i) {
        handle->iso_packet_desc[i].length = transfer.iso[static_cast<size_t>(i)].length;
      }
      break;
    }
  }
  entry->transfer = std::move(transfer);

  int rc = libusb_submit_transfer(handle);
  if (rc < 0) {
    libusb_free_transfer(handle);
    spdlog::debug("transfer {} to endpoint {:#04x} not submitted: {}", entry->id,
                  entry->transfer.endpoint, libusb_error_name(rc));
    deferCompletion(entry->id, errnoFromLibusbError(rc), std::move(entry->done));
    return;
  }
  uint64_t id = entry->id;
  inFlight_.emplace(id, std::move(entry));
}

void LibusbBackend::onTransferComplete(libusb_transfer* transfer) {
  auto* entry = static_cast<InFlight*>(transfer->user_data);
  LibusbBackend* self = entry->owner;
  // Nothing may unwind through libusb's C frames: the error is kept and rethrown once
  // libusb_handle_events has returned.
  try {
    self->completed(transfer);
  } catch (...) {
    if (!self->callbackError_) self->callbackError_ = std::current_exception();
  }
}

void LibusbBackend::completed(libusb_transfer* handle) {
  auto* entryPointer = static_cast<InFlight*>(handle->user_data);
  auto found = inFlight_.find(entryPointer->id);
  if (found == inFlight_.end() || found->second.get() != entryPointer) {
    throw std::logic_error("libusb completed a transfer the backend does not know");
  }
  std::unique_ptr<InFlight> entry = std::move(found->second);
  inFlight_.erase(found);
  const Transfer& transfer = entry->transfer;
  bool in = (transfer.endpoint & 0x80) != 0;

  TransferResult result;
  result.status = errnoFromTransferStatus(handle->status);
  switch (transfer.type) {
    case proto::TransferType::kControl:
    case proto::TransferType::kBulk:
    case proto::TransferType::kInterrupt: {
      auto actual = static_cast<size_t>(std::max(handle->actual_length, 0));
      actual = std::min(actual, entry->requested);
      result.actualLength = static_cast<uint32_t>(actual);
      if (in) {
        if (transfer.type == proto::TransferType::kControl) {
          // Only what the device wrote: the rest of the buffer was never initialised.
          auto data = entry->buffer.begin() + kSetupSize;
          result.data.assign(data, data + static_cast<std::ptrdiff_t>(actual));
        } else {
          result.data = std::move(entry->buffer);
        }
      }
      // usbfs would report a short IN with SHORT_NOT_OK as -EREMOTEIO; libusb's own flag would
      // turn it into a generic error instead, so the check is made here.
      if (result.status == 0 && in && transfer.shortNotOk && actual < entry->requested) {
        result.status = -EREMOTEIO;
      }
      break;
    }
    case proto::TransferType::kIsochronous: {
      uint64_t total = 0;
      uint64_t position = 0;
      if (in && entry->relaidOut) result.data.assign(entry->requested, 0);
      for (int i = 0; i < handle->num_iso_packets; ++i) {
        const libusb_iso_packet_descriptor& packet = handle->iso_packet_desc[i];
        proto::IsoPacket reported = transfer.iso[static_cast<size_t>(i)];
        reported.actual_length = std::min(packet.actual_length, packet.length);
        reported.status = errnoFromTransferStatus(packet.status);
        if (reported.status != 0) ++result.errorCount;
        if (in && entry->relaidOut) {
          auto from = entry->buffer.begin() + static_cast<std::ptrdiff_t>(position);
          std::copy(from, from + reported.actual_length,
                    result.data.begin() + static_cast<std::ptrdiff_t>(reported.offset));
        }
        position += packet.length;
        total += reported.actual_length;
        result.iso.push_back(reported);
      }
      if (in && !entry->relaidOut) result.data = std::move(entry->buffer);
      result.actualLength = static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX));
      // libusb does not report the URB's start_frame; 0 is what vhci gets.
      break;
    }
  }
  Completion done = std::move(entry->done);
  uint64_t id = entry->id;
  libusb_free_transfer(handle);
  entry.reset();
  if (done) done(id, std::move(result));
}

bool LibusbBackend::cancel(uint64_t id) {
  auto found = inFlight_.find(id);
  if (found == inFlight_.end()) return false;
  int rc = libusb_cancel_transfer(found->second->handle);
  if (rc < 0 && rc != LIBUSB_ERROR_NOT_FOUND) {
    spdlog::debug("cancelling transfer {}: {}", id, libusb_error_name(rc));
  }
  // Still in flight either way: its completion (cancelled or real) is on its way.
  return true;
}

void LibusbBackend::deferCompletion(uint64_t id, int32_t status, Completion done) {
  TransferResult result;
  result.status = status;
  deferred_.push_back(Deferred{id, std::move(result), std::move(done)});
  uint64_t one = 1;
  retrySyscall("write to the backend's eventfd", [&] { return ::write(wakeup_.get(), &one, 8); });
}

void LibusbBackend::deliverDeferred() {
  // The eventfd is written only with deferred_ filled: nothing to read otherwise.
  if (deferred_.empty()) return;
  uint64_t count = 0;
  if (::read(wakeup_.get(), &count, sizeof count) < 0 && errno != EAGAIN) {
    throwErrno(errno, "read from the backend's eventfd");
  }
  std::deque<Deferred> ready;
  ready.swap(deferred_);
  for (Deferred& entry : ready) {
    if (entry.done) entry.done(entry.id, std::move(entry.result));
  }
}

int LibusbBackend::setConfiguration(uint8_t value) {
  // The engine refuses a switch already (description_.configurationFixed); this stall is the
  // same rule kept where the device is.
  return value == description_.activeConfiguration ? 0 : -EPIPE;
}

int LibusbBackend::setInterface(uint8_t interface, uint8_t alternate) {
  return errnoFromLibusbError(
      libusb_set_interface_alt_setting(handle_.get(), interface, alternate));
}

int LibusbBackend::clearHalt(uint8_t endpoint) {
  return errnoFromLibusbError(libusb_clear_halt(handle_.get(), endpoint));
}

int LibusbBackend::resetDevice() {
  int rc = libusb_reset_device(handle_.get());
  // NOT_FOUND: the device came back different and must be enumerated anew; for this export it
  // is gone.
  if (rc == LIBUSB_ERROR_NOT_FOUND) return -ENODEV;
  return errnoFromLibusbError(rc);
}

std::vector<pollfd> LibusbBackend::pollFds() {
  std::vector<pollfd> fds;
  fds.push_back(pollfd{wakeup_.get(), POLLIN, 0});
  const libusb_pollfd** list = libusb_get_pollfds(context_.get());
  if (list == nullptr) return fds;
  for (const libusb_pollfd** it = list; *it != nullptr; ++it) {
    fds.push_back(pollfd{(*it)->fd, (*it)->events, 0});
  }
  libusb_free_pollfds(list);
  return fds;
}

std::optional<std::chrono::milliseconds> LibusbBackend::nextTimeout() {
  timeval tv{};
  if (libusb_get_next_timeout(context_.get(), &tv) != 1) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
}

void LibusbBackend::handleEvents() {
  deliverDeferred();
  timeval zero{};
  int rc = libusb_handle_events_timeout_completed(context_.get(), &zero, nullptr);
  if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED) {
    spdlog::warn("libusb_handle_events: {}", libusb_error_name(rc));
  }
  rethrowCallbackError();
}

void LibusbBackend::retireTransferMemory() {
  transfer_memory::retire();
  usesTransferMemory_ = false;
  UsbfsMemoryStats stats = transfer_memory::stats();
  if (stats.served == 0 && stats.refused == 0) return;
  std::string refusal;
  if (stats.firstMapErrno != 0) {
    refusal =
        fmt::format("; usbfs refused memory first with {}", std::strerror(stats.firstMapErrno));
  }
  spdlog::info(
      "usbfs memory: {} buffer(s) of 4 KiB to 1 MiB served from it ({} mapping(s)), {} from the "
      "heap (pool full or mapping refused: usbfs copies those){}; at most {} KiB mapped",
      stats.served, stats.mappings, stats.refused, refusal, stats.peakMappedBytes / 1024);
}

void LibusbBackend::rethrowCallbackError() {
  if (callbackError_) std::rethrow_exception(std::exchange(callbackError_, nullptr));
}

void LibusbBackend::drain() {
  for (auto& [id, entry] : inFlight_)
    libusb_cancel_transfer(entry->handle);
  deliverDeferred();
  auto deadline = std::chrono::steady_clock::now() + options_.drainTimeout;
  while (!inFlight_.empty() && std::chrono::steady_clock::now() < deadline) {
    timeval slice{0, 100'000};
    libusb_handle_events_timeout_completed(context_.get(), &slice, nullptr);
    if (callbackError_) {
      spdlog::warn("libusb backend: completion failed while draining");
      callbackError_ = nullptr;
    }
  }
  if (!inFlight_.empty()) {
    spdlog::warn(
        "libusb backend: {} transfer(s) still in flight after {} ms; their completions "
        "are dropped",
        inFlight_.size(), options_.drainTimeout.count());
    for (auto& [id, entry] : inFlight_)
      entry->done = nullptr;
  }
  releaseInterfaces();
  drained_ = true;
  if (usesTransferMemory_) retireTransferMemory();
}

}  // namespace usbip::worker
