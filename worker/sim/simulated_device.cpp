#include "worker/sim/simulated_device.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "worker/sim/descriptor_builder.h"

namespace usbip::worker::sim {
namespace {

// Standard request codes (USB 2.0 table 9-4).
namespace standard {
constexpr uint8_t kGetStatus = 0x00;
constexpr uint8_t kClearFeature = 0x01;
constexpr uint8_t kSetFeature = 0x03;
constexpr uint8_t kSetAddress = 0x05;
constexpr uint8_t kGetDescriptor = 0x06;
constexpr uint8_t kGetConfiguration = 0x08;
constexpr uint8_t kSetConfiguration = 0x09;
constexpr uint8_t kGetInterface = 0x0a;
constexpr uint8_t kSetInterface = 0x0b;
}  // namespace standard

constexpr uint16_t kFeatureEndpointHalt = 0;
constexpr uint16_t kFeatureRemoteWakeup = 1;
constexpr uint8_t kSelfPowered = 0x40;      // configuration bmAttributes
constexpr uint8_t kRemoteWakeupCap = 0x20;  // configuration bmAttributes

TransferResult withStatus(int32_t status) {
  TransferResult result;
  result.status = status;
  return result;
}

proto::ExportedDevice exportedRecord(const SimIdentity& identity, const std::vector<uint8_t>& dev,
                                     const ConfigurationLayout& config) {
  proto::ExportedDevice exported;
  auto& d = exported.device;
  d.path = identity.path;
  d.busid = identity.busid;
  d.busnum = 0;
  d.devnum = identity.devnum;
  d.speed = identity.speed;
  d.idVendor = static_cast<uint16_t>(dev[8] | (dev[9] << 8));
  d.idProduct = static_cast<uint16_t>(dev[10] | (dev[11] << 8));
  d.bcdDevice = static_cast<uint16_t>(dev[12] | (dev[13] << 8));
  d.bDeviceClass = dev[4];
  d.bDeviceSubClass = dev[5];
  d.bDeviceProtocol = dev[6];
  d.bConfigurationValue = config.value;
  d.bNumConfigurations = dev[17];
  for (const uint8_t number : config.interfaceNumbers()) {
    const InterfaceLayout* first = config.find(number, 0);
    if (first == nullptr) throw std::invalid_argument("interface without alternate setting 0");
    exported.interfaces.push_back(
        {first->interfaceClass, first->interfaceSubClass, first->interfaceProtocol});
  }
  d.bNumInterfaces = static_cast<uint8_t>(exported.interfaces.size());
  return exported;
}

}  // namespace

SetupPacket SetupPacket::parse(const std::array<uint8_t, 8>& raw) {
  return {raw[0], raw[1], static_cast<uint16_t>(raw[2] | (raw[3] << 8)),
          static_cast<uint16_t>(raw[4] | (raw[5] << 8)),
          static_cast<uint16_t>(raw[6] | (raw[7] << 8))};
}

SimulatedDevice::SimulatedDevice(SimIdentity identity, SimDescriptors descriptors,
                                 const SimOptions& options)
    : strings_(std::move(descriptors.strings)), options_(options), clock_(options.manualClock) {
  const auto& dev = descriptors.device;
  if (dev.size() != 18 || dev[0] != 18 || dev[1] != descriptor_type::kDevice) {
    throw std::invalid_argument("simulated device descriptor is not 18 bytes of type 1");
  }
  if (descriptors.configurations.empty() || dev[17] != descriptors.configurations.size()) {
    throw std::invalid_argument("bNumConfigurations differs from the configurations given");
  }
  for (const auto& config : descriptors.configurations) {
    layouts_.push_back(parseConfiguration(config));
  }
  description_.exported = exportedRecord(identity, dev, layouts_.front());
  description_.deviceDescriptor = std::move(descriptors.device);
  description_.configurations = std::move(descriptors.configurations);
  description_.activeConfiguration = layouts_.front().value;
}

void SimulatedDevice::submit(Transfer transfer, Completion done) {
  const uint64_t id = transfer.id;
  queue_.add(std::move(transfer), std::move(done));
  Transfer& t = *queue_.inFlight(id);
  if ((t.endpoint & 0x0f) == 0) {
    if (t.type != proto::TransferType::kControl) return complete(id, withStatus(-EINVAL));
    return handleControl(id, t);
  }
  const EndpointLayout* endpoint = activeEndpoint(t.endpoint);
  // As usb_submit_urb: no such endpoint in the current settings is -ENOENT.
  if (endpoint == nullptr) return complete(id, withStatus(-ENOENT));
  if (endpoint->type() != t.type) return complete(id, withStatus(-EINVAL));
  if (halted_.contains(t.endpoint)) return complete(id, withStatus(-EPIPE));
  startTransfer(id, *endpoint);
}

bool SimulatedDevice::cancel(uint64_t id) {
  // Finished but undelivered still counts as pending: its real result is on its way.
  if (!queue_.holds(id)) return false;
  if (Transfer* t = queue_.inFlight(id)) {
    if ((t->endpoint & 0x0f) != 0) transferAborted(id, *t);
    complete(id, withStatus(-ECONNRESET));
  }
  return true;
}

int SimulatedDevice::setConfiguration(uint8_t value) {
  const bool known = std::any_of(layouts_.begin(), layouts_.end(),
                                 [&](const ConfigurationLayout& l) { return l.value == value; });
  if (value != 0 && !known) return -EINVAL;
  // Endpoints of the old configuration are disabled: the kernel flushes their URBs so.
  abortWhere([](const Transfer& t) { return (t.endpoint & 0x0f) != 0; }, -ESHUTDOWN);
  description_.activeConfiguration = value;
  description_.exported.device.bConfigurationValue = value;
  alternates_.clear();
  halted_.clear();
  classStateReset();
  return 0;
}

int SimulatedDevice::setInterface(uint8_t interface, uint8_t alternateSetting) {
  const ConfigurationLayout* config = activeLayout();
  if (config == nullptr || config->find(interface, alternateSetting) == nullptr) return -EINVAL;
  const InterfaceLayout* current = config->find(interface, alternate(interface));
  const auto belongs = [current](uint8_t address) {
    return std::any_of(current->endpoints.begin(), current->endpoints.end(),
                       [&](const EndpointLayout& e) { return e.address == address; });
  };
  abortWhere([&](const Transfer& t) { return belongs(t.endpoint); }, -ESHUTDOWN);
  std::erase_if(halted_, belongs);
  alternates_[interface] = alternateSetting;
  alternateChanged(interface, alternateSetting);
  return 0;
}

int SimulatedDevice::clearHalt(uint8_t endpoint) {
  if ((endpoint & 0x0f) == 0) return 0;
  if (activeEndpoint(endpoint) == nullptr) return -EINVAL;
  halted_.erase(endpoint);
  return 0;
}

int SimulatedDevice::resetDevice() {
  // A port reset flushes every endpoint; the kernel then restores configuration and alternate
  // settings, so those stay.
  abortWhere([](const Transfer& t) { return (t.endpoint & 0x0f) != 0; }, -ESHUTDOWN);
  halted_.clear();
  remoteWakeup_ = false;
  classStateReset();
  return 0;
}

std::vector<pollfd> SimulatedDevice::pollFds() {
  std::vector<pollfd> fds{queue_.pollFd()};
  if (const auto timer = clock_.pollFd()) fds.push_back(*timer);
  return fds;
}

std::optional<std::chrono::milliseconds> SimulatedDevice::nextTimeout() {
  // The eventfd and the timerfd carry every wake-up.
  return std::nullopt;
}

void SimulatedDevice::handleEvents() {
  queue_.clearWakeup();
  clock_.runDue();
  queue_.deliverReady();
  // In manual mode nothing else would wake the engine for actions still scheduled.
  if (queue_.hasReady() || (clock_.manual() && !clock_.idle())) queue_.signalWakeup();
}

void SimulatedDevice::drain() {
  // Bounded: a completion that resubmits during drain gets at most a few more rounds.
  for (int round = 0; round < 8 && !queue_.empty(); ++round) {
    for (const uint64_t id : queue_.inFlightIds())
      cancel(id);
    queue_.deliverReady();
  }
  if (!queue_.empty()) {
    spdlog::warn("sim {}: transfers still pending after drain", busid());
  }
}

ControlReply SimulatedDevice::classRequest(const SetupPacket&, std::span<const uint8_t>) {
  return ControlReply::stalled();
}

std::optional<std::vector<uint8_t>> SimulatedDevice::interfaceDescriptor(uint8_t, uint8_t,
                                                                         uint8_t) {
  return std::nullopt;
}

void SimulatedDevice::completeIn(uint64_t id, std::span<const uint8_t> bytes) {
  const Transfer* t = queue_.inFlight(id);
  if (t == nullptr) return;
  const size_t room = t->data.size();
  const size_t actual = std::min(room, bytes.size());
  TransferResult result;
  result.actualLength = static_cast<uint32_t>(actual);
  result.data.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(actual));
  if (bytes.size() > room) {
    result.status = -EOVERFLOW;
  } else if (actual < room && t->shortNotOk) {
    result.status = -EREMOTEIO;
  }
  complete(id, std::move(result));
}

void SimulatedDevice::completeOut(uint64_t id, uint32_t acceptedBytes) {
  TransferResult result;
  result.actualLength = acceptedBytes;
  complete(id, std::move(result));
}

void SimulatedDevice::complete(uint64_t id, TransferResult result) {
  queue_.finish(id, std::move(result));
}

void SimulatedDevice::fail(uint64_t id, int32_t status) {
  complete(id, withStatus(status));
}

void SimulatedDevice::after(SimClock::Time delay, std::function<void()> action) {
  clock_.after(delay, std::move(action));
  if (clock_.manual()) queue_.signalWakeup();
}

void SimulatedDevice::handleControl(uint64_t id, Transfer& transfer) {
  const SetupPacket setup = SetupPacket::parse(transfer.setup);
  std::span<const uint8_t> outData;
  if (!setup.isIn()) {
    outData = std::span<const uint8_t>(transfer.data)
                  .first(std::min<size_t>(setup.length, transfer.data.size()));
  }
  ControlReply reply = controlRequest(setup, outData);
  if (reply.stall) {
    spdlog::debug(
        "sim {}: stall for request type {:#04x} request {:#04x} value {:#06x} index "
        "{:#06x} length {}",
        busid(), setup.requestType, setup.request, setup.value, setup.index, setup.length);
    return complete(id, withStatus(-EPIPE));
  }
  if (!setup.isIn()) return completeOut(id, static_cast<uint32_t>(outData.size()));
  if (reply.data.size() > setup.length) reply.data.resize(setup.length);
  completeIn(id, reply.data);
}

ControlReply SimulatedDevice::controlRequest(const SetupPacket& setup,
                                             std::span<const uint8_t> outData) {
  const uint8_t target = lowByte(setup.index);
  if (setup.recipient() == recipient::kInterface && !interfaceExists(target)) {
    return ControlReply::stalled();
  }
  // Class requests may name an endpoint of an alternate setting not selected yet (an audio
  // driver may set the sampling rate before it selects the streaming setting).
  if (setup.recipient() == recipient::kEndpoint && (target & 0x0f) != 0) {
    const bool known = setup.kind() == request_kind::kClass ? endpointInConfiguration(target)
                                                            : activeEndpoint(target) != nullptr;
    if (!known) return ControlReply::stalled();
  }
  switch (setup.kind()) {
    case request_kind::kStandard:
      return standardRequest(setup);
    case request_kind::kClass:
      return classRequest(setup, outData);
    default:
      return ControlReply::stalled();
  }
}

ControlReply SimulatedDevice::standardRequest(const SetupPacket& setup) {
  const uint8_t target = lowByte(setup.index);
  const bool toDevice = setup.recipient() == recipient::kDevice;
  const bool toEndpoint = setup.recipient() == recipient::kEndpoint;
  const ConfigurationLayout* config = activeLayout();
  if (setup.isIn()) {
    switch (setup.request) {
      case standard::kGetStatus: {
        uint8_t status = 0;
        if (toDevice && config != nullptr) {
          status = static_cast<uint8_t>(((config->attributes & kSelfPowered) ? 1 : 0) |
                                        (remoteWakeup_ ? 2 : 0));
        } else if (toEndpoint) {
          status = halted_.contains(target) ? 1 : 0;
        }
        return ControlReply::ok({status, 0});
      }
      case standard::kGetDescriptor:
        if (toDevice) return getDescriptor(setup);
        if (setup.recipient() == recipient::kInterface) {
          if (auto bytes =
                  interfaceDescriptor(target, highByte(setup.value), lowByte(setup.value))) {
            return ControlReply::ok(std::move(*bytes));
          }
        }
        return ControlReply::stalled();
      case standard::kGetConfiguration:
        return ControlReply::ok({description_.activeConfiguration});
      case standard::kGetInterface:
        return ControlReply::ok({alternate(target)});
      default:
        return ControlReply::stalled();
    }
  }
  switch (setup.request) {
    case standard::kClearFeature:
      if (toDevice && setup.value == kFeatureRemoteWakeup) {
        remoteWakeup_ = false;
        return ControlReply::ok();
      }
      if (toEndpoint && setup.value == kFeatureEndpointHalt && clearHalt(target) == 0) {
        return ControlReply::ok();
      }
      return ControlReply::stalled();
    case standard::kSetFeature:
      if (toDevice && setup.value == kFeatureRemoteWakeup && config != nullptr &&
          (config->attributes & kRemoteWakeupCap)) {
        remoteWakeup_ = true;
        return ControlReply::ok();
      }
      if (toEndpoint && setup.value == kFeatureEndpointHalt && (target & 0x0f) != 0) {
        halted_.insert(target);
        return ControlReply::ok();
      }
      return ControlReply::stalled();
    case standard::kSetConfiguration:
      return setConfiguration(lowByte(setup.value)) == 0 ? ControlReply::ok()
                                                         : ControlReply::stalled();
    case standard::kSetInterface:
      return setInterface(target, lowByte(setup.value)) == 0 ? ControlReply::ok()
                                                             : ControlReply::stalled();
    case standard::kSetAddress:  // vhci_hcd answers it itself (rule C3); never reaches a device
    default:
      return ControlReply::stalled();
  }
}

ControlReply SimulatedDevice::getDescriptor(const SetupPacket& setup) {
  const uint8_t index = lowByte(setup.value);
  switch (highByte(setup.value)) {
    case descriptor_type::kDevice:
      return ControlReply::ok(description_.deviceDescriptor);
    case descriptor_type::kConfiguration:
      if (index >= description_.configurations.size()) return ControlReply::stalled();
      return ControlReply::ok(description_.configurations[index]);
    case descriptor_type::kString:
      if (index == 0) return ControlReply::ok(languageDescriptor());
      if (index > strings_.size()) return ControlReply::stalled();
      return ControlReply::ok(stringDescriptor(strings_[index - 1u]));
    default:
      // Every simulated device is full-speed only, and such a device must answer
      // DEVICE_QUALIFIER and OTHER_SPEED_CONFIGURATION with a request error (USB 2.0 9.6.2).
      return ControlReply::stalled();
  }
}

void SimulatedDevice::abortWhere(const std::function<bool(const Transfer&)>& matches,
                                 int32_t status) {
  for (const uint64_t id : queue_.inFlightIds()) {
    const Transfer* t = queue_.inFlight(id);
    if (t == nullptr || (t->endpoint & 0x0f) == 0 || !matches(*t)) continue;
    transferAborted(id, *t);
    complete(id, withStatus(status));
  }
}

const ConfigurationLayout* SimulatedDevice::activeLayout() const {
  for (const auto& layout : layouts_) {
    if (layout.value == description_.activeConfiguration && layout.value != 0) return &layout;
  }
  return nullptr;
}

uint8_t SimulatedDevice::alternate(uint8_t interface) const {
  const auto it = alternates_.find(interface);
  return it == alternates_.end() ? 0 : it->second;
}

const EndpointLayout* SimulatedDevice::activeEndpoint(uint8_t address) const {
  const ConfigurationLayout* config = activeLayout();
  if (config == nullptr) return nullptr;
  for (const uint8_t number : config->interfaceNumbers()) {
    const InterfaceLayout* setting = config->find(number, alternate(number));
    if (setting == nullptr) continue;
    for (const auto& endpoint : setting->endpoints) {
      if (endpoint.address == address) return &endpoint;
    }
  }
  return nullptr;
}

bool SimulatedDevice::endpointInConfiguration(uint8_t address) const {
  const ConfigurationLayout* config = activeLayout();
  if (config == nullptr) return false;
  return std::any_of(config->interfaces.begin(), config->interfaces.end(), [&](const auto& i) {
    return std::any_of(i.endpoints.begin(), i.endpoints.end(),
                       [&](const EndpointLayout& e) { return e.address == address; });
  });
}

bool SimulatedDevice::interfaceExists(uint8_t interface) const {
  const ConfigurationLayout* config = activeLayout();
  return config != nullptr && config->find(interface, 0) != nullptr;
}

}  // namespace usbip::worker::sim
