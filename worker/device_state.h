// The device's configuration and alternate settings as the client has set them, and the two
// questions the engine asks about that state for every request: does this endpoint exist, and
// of which type is it (rule F7); may a control request name this interface or endpoint (C4).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "protocol/codec.h"
#include "worker/descriptors.h"
#include "worker/device_backend.h"

namespace usbip::worker {

class DeviceState {
 public:
  // Parses every configuration of `description`. Throws std::invalid_argument when the active
  // configuration cannot be parsed (the device cannot be served without knowing its endpoints);
  // other unparsable configurations are remembered as having no interfaces.
  explicit DeviceState(const DeviceDescription& description);

  // Call after the device accepted the change: a new configuration starts at alternate 0 for
  // every interface.
  void setConfiguration(uint8_t value);
  void setInterface(uint8_t interface, uint8_t alternate);

  uint8_t activeConfiguration() const { return active_; }
  proto::Speed speed() const { return speed_; }

  // Endpoint 0 is control in both directions; others come from the current alternate settings.
  std::optional<proto::EndpointInfo> endpoint(uint32_t number, proto::Direction direction) const;

  // Rule C4, with usbfs's notion of what a request may name: an interface of the active
  // configuration; an endpoint of any alternate setting of those interfaces, or endpoint 0.
  bool hasInterface(uint8_t number) const;
  bool hasEndpoint(uint8_t address) const;

  // Warnings from parsing the configurations, for the log.
  std::vector<std::string> parseWarnings() const;

 private:
  const ConfigurationDescriptors* activeDescriptors() const;
  void rebuildEndpoints();

  proto::Speed speed_;
  std::map<uint8_t, ConfigurationDescriptors> configurations_;  // by bConfigurationValue
  uint8_t active_ = 0;
  std::map<uint8_t, uint8_t> alternates_;  // interface number -> current alternate setting
  // Index: endpoint number * 2 + direction.
  std::array<std::optional<proto::EndpointInfo>, 32> endpoints_{};
};

}  // namespace usbip::worker
