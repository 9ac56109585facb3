// The device's configuration and alternate settings as the client has set them, and the
// questions the engine asks about that state for every request: does this endpoint exist, and
// of which type is it (rule F7); may a request name or use this interface or endpoint (C4, with
// the policy's claimable interfaces); may the client switch to that configuration or alternate
// setting (policy::mayClaimInterface for every interface it would bring up).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "policy/urb_limits.h"
#include "protocol/codec.h"
#include "worker/descriptors.h"
#include "worker/device_backend.h"

namespace usbip::worker {

// A SCSI Bulk-Only Transport interface of the current alternate settings (what guards.read_only
// inspects): its number and the addresses of its two bulk endpoints.
struct BulkOnlyInterface {
  uint8_t number = 0;
  uint8_t bulkIn = 0;   // address, 0x80 set
  uint8_t bulkOut = 0;  // address

  bool operator==(const BulkOnlyInterface&) const = default;
};

class DeviceState {
 public:
  // Parses every configuration of `description`. Throws std::invalid_argument when the active
  // configuration cannot be parsed (the device cannot be served without knowing its endpoints);
  // other unparsable configurations are remembered as having no interfaces. `limits` decides
  // which interfaces are claimable: policy::claimableInterfaceMask over every interface
  // descriptor of every configuration, the mask the broker restricted the usbfs fd to.
  explicit DeviceState(const DeviceDescription& description, policy::UrbLimits limits = {});

  // Call after the device accepted the change: a new configuration starts at alternate 0 for
  // every interface.
  void setConfiguration(uint8_t value);
  void setInterface(uint8_t interface, uint8_t alternate);

  uint8_t activeConfiguration() const { return active_; }
  proto::Speed speed() const { return speed_; }

  // Endpoint 0 is control in both directions; others come from the current alternate settings.
  std::optional<proto::EndpointInfo> endpoint(uint32_t number, proto::Direction direction) const;

  // Rule C4, with usbfs's notion of what a request may name: a claimable interface of the
  // active configuration; an endpoint of any alternate setting of those interfaces, or endpoint 0.
  bool mayNameInterface(uint8_t number) const;
  bool mayNameEndpoint(uint8_t address) const;
  // Whether a transfer may use this (existing) endpoint: endpoint 0, or one of a claimable
  // interface. usbfs refuses the others on a real device (-EACCES); this says the same for every
  // backend.
  bool mayUseEndpoint(uint32_t number, proto::Direction direction) const;

  // Whether SET_CONFIGURATION / SET_INTERFACE may reach the device: the target exists and every
  // interface descriptor it brings up passes policy::mayClaimInterface (so hid_only keeps a
  // device pure HID). Re-selecting the active configuration changes nothing and is always fine.
  bool mayEnterConfiguration(uint8_t value) const;
  bool mayEnterAltSetting(uint8_t interface, uint8_t alternate) const;

  // The SCSI Bulk-Only interfaces of the active configuration's current alternate settings.
  std::vector<BulkOnlyInterface> bulkOnlyInterfaces() const;

  const policy::UrbLimits& limits() const { return limits_; }

  // Warnings from parsing the configurations, for the log.
  std::vector<std::string> parseWarnings() const;

 private:
  const ConfigurationDescriptors* activeDescriptors() const;
  const AltSetting* currentAlt(const InterfaceDescriptors& interface) const;
  bool claimable(uint8_t interfaceNumber) const;
  void rebuildEndpoints();

  policy::UrbLimits limits_;
  uint32_t claimableMask_ = 0;
  proto::Speed speed_;
  std::map<uint8_t, ConfigurationDescriptors> configurations_;  // by bConfigurationValue
  uint8_t active_ = 0;
  std::map<uint8_t, uint8_t> alternates_;  // interface number -> current alternate setting
  // Index: endpoint number * 2 + direction.
  std::array<std::optional<proto::EndpointInfo>, 32> endpoints_{};
  std::array<uint8_t, 32> endpointInterface_{};  // the interface number owning each endpoint
};

}  // namespace usbip::worker
