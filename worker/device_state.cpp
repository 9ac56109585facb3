#include "worker/device_state.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace usbip::worker {
namespace {

size_t slot(uint32_t number, proto::Direction direction) {
  return number * 2 + (direction == proto::Direction::kIn ? 1 : 0);
}

policy::InterfaceInfo infoOf(uint8_t number, const AltSetting& alt) {
  return {number, alt.bInterfaceClass, alt.bInterfaceSubClass, alt.bInterfaceProtocol};
}

bool isBulkOnlyStorage(const AltSetting& alt) {
  return alt.bInterfaceClass == policy::kClassMassStorage &&
         alt.bInterfaceSubClass == policy::kMassStorageSubclassScsi &&
         alt.bInterfaceProtocol == policy::kMassStorageProtocolBulkOnly;
}

}  // namespace

DeviceState::DeviceState(const DeviceDescription& description, policy::UrbLimits limits)
    : limits_(std::move(limits)),
      speed_(description.exported.device.speed),
      active_(description.activeConfiguration) {
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
  std::vector<policy::InterfaceInfo> every;
  for (const auto& [value, config] : configurations_) {
    for (const InterfaceDescriptors& interface : config.interfaces) {
      for (const AltSetting& alt : interface.altSettings)
        every.push_back(infoOf(interface.bInterfaceNumber, alt));
    }
  }
  claimableMask_ = policy::claimableInterfaceMask(limits_, every);
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

const AltSetting* DeviceState::currentAlt(const InterfaceDescriptors& interface) const {
  auto chosen = alternates_.find(interface.bInterfaceNumber);
  return interface.findAlt(chosen == alternates_.end() ? 0 : chosen->second);
}

bool DeviceState::claimable(uint8_t interfaceNumber) const {
  return interfaceNumber <= policy::kMaxClaimableInterfaceNumber &&
         (claimableMask_ & (1u << interfaceNumber)) != 0;
}

void DeviceState::rebuildEndpoints() {
  endpoints_.fill(std::nullopt);
  endpoints_[slot(0, proto::Direction::kOut)] = proto::EndpointInfo{};
  endpoints_[slot(0, proto::Direction::kIn)] = proto::EndpointInfo{};
  const ConfigurationDescriptors* config = activeDescriptors();
  if (config == nullptr) return;
  for (const InterfaceDescriptors& interface : config->interfaces) {
    const AltSetting* alt = currentAlt(interface);
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
      endpointInterface_[slot(endpoint.number(), endpoint.direction())] =
          interface.bInterfaceNumber;
    }
  }
}

std::optional<proto::EndpointInfo> DeviceState::endpoint(uint32_t number,
                                                         proto::Direction direction) const {
  if (number > 15) return std::nullopt;
  return endpoints_[slot(number, direction)];
}

bool DeviceState::mayNameInterface(uint8_t number) const {
  const ConfigurationDescriptors* config = activeDescriptors();
  return config != nullptr && config->findInterface(number) != nullptr && claimable(number);
}

bool DeviceState::mayNameEndpoint(uint8_t address) const {
  if ((address & 0x7f) == 0) return true;
  const ConfigurationDescriptors* config = activeDescriptors();
  if (config == nullptr) return false;
  for (const InterfaceDescriptors& interface : config->interfaces) {
    if (!claimable(interface.bInterfaceNumber)) continue;
    for (const AltSetting& alt : interface.altSettings) {
      for (const EndpointDescriptor& endpoint : alt.endpoints) {
        if (endpoint.bEndpointAddress == address) return true;
      }
    }
  }
  return false;
}

bool DeviceState::mayUseEndpoint(uint32_t number, proto::Direction direction) const {
  if (number == 0) return true;
  if (!endpoint(number, direction)) return false;
  return claimable(endpointInterface_[slot(number, direction)]);
}

bool DeviceState::mayEnterConfiguration(uint8_t value) const {
  if (value == active_ || value == 0) return true;
  auto it = configurations_.find(value);
  if (it == configurations_.end()) return false;
  for (const InterfaceDescriptors& interface : it->second.interfaces) {
    for (const AltSetting& alt : interface.altSettings) {
      if (!policy::mayClaimInterface(limits_, infoOf(interface.bInterfaceNumber, alt))) {
        return false;
      }
    }
  }
  return true;
}

bool DeviceState::mayEnterAltSetting(uint8_t interface, uint8_t alternate) const {
  const ConfigurationDescriptors* config = activeDescriptors();
  const InterfaceDescriptors* found = config ? config->findInterface(interface) : nullptr;
  const AltSetting* alt = found ? found->findAlt(alternate) : nullptr;
  return alt != nullptr && policy::mayClaimInterface(limits_, infoOf(interface, *alt));
}

std::vector<BulkOnlyInterface> DeviceState::bulkOnlyInterfaces() const {
  std::vector<BulkOnlyInterface> found;
  const ConfigurationDescriptors* config = activeDescriptors();
  if (config == nullptr) return found;
  for (const InterfaceDescriptors& interface : config->interfaces) {
    const AltSetting* alt = currentAlt(interface);
    if (alt == nullptr || !isBulkOnlyStorage(*alt)) continue;
    BulkOnlyInterface bot{interface.bInterfaceNumber, 0, 0};
    for (const EndpointDescriptor& endpoint : alt->endpoints) {
      if (endpoint.type() != proto::TransferType::kBulk) continue;
      uint8_t& address = endpoint.direction() == proto::Direction::kIn ? bot.bulkIn : bot.bulkOut;
      if (address == 0) address = endpoint.bEndpointAddress;
    }
    found.push_back(bot);
  }
  return found;
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
