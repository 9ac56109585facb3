#include "worker/device_state.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace usbip::worker {
namespace {

size_t slot(uint32_t number, proto::Direction direction) {
  return number * 2 + (direction == proto::Direction::kIn ? 1 : 0);
}

}  // namespace

DeviceState::DeviceState(const DeviceDescription& description)
    : speed_(description.exported.device.speed), active_(description.activeConfiguration) {
  for (size_t index = 0; index < description.configurations.size(); ++index) {
    const std::vector<uint8_t>& bytes = description.configurations[index];
    try {
      ConfigurationDescriptors parsed = parseConfiguration(bytes);
      uint8_t value = parsed.bConfigurationValue;
      // A second configuration with the same value could never be selected; the first wins.
      configurations_.try_emplace(value, std::move(parsed));
    } catch (const std::invalid_argument& error) {
      if (active_ != 0 && bytes.size() > 5 && bytes[5] == active_) {
        throw std::invalid_argument("active configuration " + std::to_string(active_) + ": " +
                                    error.what());
      }
      spdlog::warn("configuration descriptor {} ignored: {}", index, error.what());
    }
  }
  if (active_ != 0 && !configurations_.contains(active_)) {
    throw std::invalid_argument("active configuration " + std::to_string(active_) +
                                " has no configuration descriptor");
  }
  rebuildEndpoints();
}

void DeviceState::setConfiguration(uint8_t value) {
  active_ = value;
  alternates_.clear();
  rebuildEndpoints();
}

void DeviceState::setInterface(uint8_t interface, uint8_t alternate) {
  alternates_[interface] = alternate;
  rebuildEndpoints();
}

const ConfigurationDescriptors* DeviceState::activeDescriptors() const {
  auto it = configurations_.find(active_);
  return it == configurations_.end() ? nullptr : &it->second;
}

void DeviceState::rebuildEndpoints() {
  endpoints_.fill(std::nullopt);
  endpoints_[slot(0, proto::Direction::kOut)] = proto::EndpointInfo{};
  endpoints_[slot(0, proto::Direction::kIn)] = proto::EndpointInfo{};
  const ConfigurationDescriptors* config = activeDescriptors();
  if (config == nullptr) return;
  for (const InterfaceDescriptors& interface : config->interfaces) {
    auto chosen = alternates_.find(interface.bInterfaceNumber);
    const AltSetting* alt = interface.findAlt(chosen == alternates_.end() ? 0 : chosen->second);
    if (alt == nullptr) continue;
    for (const EndpointDescriptor& endpoint : alt->endpoints) {
      auto& entry = endpoints_[slot(endpoint.number(), endpoint.direction())];
      // Two interfaces claiming one endpoint is a broken descriptor set; the first one keeps it.
      if (entry) continue;
      proto::EndpointInfo info;
      info.type = endpoint.type();
      if (info.type == proto::TransferType::kIsochronous) {
        info.maxIsoBytesPerInterval = maxIsoBytesPerInterval(endpoint, speed_);
      }
      entry = info;
    }
  }
}

std::optional<proto::EndpointInfo> DeviceState::endpoint(uint32_t number,
                                                         proto::Direction direction) const {
  if (number > 15) return std::nullopt;
  return endpoints_[slot(number, direction)];
}

bool DeviceState::hasInterface(uint8_t number) const {
  const ConfigurationDescriptors* config = activeDescriptors();
  return config != nullptr && config->findInterface(number) != nullptr;
}

bool DeviceState::hasEndpoint(uint8_t address) const {
  if ((address & 0x7f) == 0) return true;
  const ConfigurationDescriptors* config = activeDescriptors();
  if (config == nullptr) return false;
  for (const InterfaceDescriptors& interface : config->interfaces) {
    for (const AltSetting& alt : interface.altSettings) {
      for (const EndpointDescriptor& endpoint : alt.endpoints) {
        if (endpoint.bEndpointAddress == address) return true;
      }
    }
  }
  return false;
}

std::vector<std::string> DeviceState::parseWarnings() const {
  std::vector<std::string> warnings;
  for (const auto& [value, config] : configurations_) {
    for (const std::string& warning : config.warnings) {
      warnings.push_back("configuration " + std::to_string(value) + ": " + warning);
    }
  }
  return warnings;
}

}  // namespace usbip::worker
