#include "fuzz/any_setting_endpoints.h"

#include <algorithm>
#include <map>
#include <utility>

#include "fuzz/check.h"
#include "worker/descriptors.h"

namespace usbip::fuzz {

EndpointTable anySettingEndpoints(const worker::DeviceDescription& description) {
  std::map<std::pair<uint8_t, proto::Direction>, proto::EndpointInfo> found;
  proto::Speed speed = description.exported.device.speed;
  for (const std::vector<uint8_t>& bytes : description.configurations) {
    worker::ConfigurationDescriptors configuration = worker::parseConfiguration(bytes);
    for (const worker::InterfaceDescriptors& interface : configuration.interfaces) {
      for (const worker::AltSetting& alt : interface.altSettings) {
        for (const worker::EndpointDescriptor& endpoint : alt.endpoints) {
          proto::EndpointInfo info{endpoint.type(), 0};
          if (info.type == proto::TransferType::kIsochronous) {
            info.maxIsoBytesPerInterval = worker::maxIsoBytesPerInterval(endpoint, speed);
          }
          auto [it, added] = found.try_emplace({endpoint.number(), endpoint.direction()}, info);
          if (!added) {
            FUZZ_REQUIRE(it->second.type == info.type);
            it->second.maxIsoBytesPerInterval =
                std::max(it->second.maxIsoBytesPerInterval, info.maxIsoBytesPerInterval);
          }
        }
      }
    }
  }
  std::vector<EndpointEntry> entries;
  for (const auto& [key, info] : found) {
    entries.push_back({key.first, key.second, info});
  }
  return EndpointTable(std::move(entries));
}

}  // namespace usbip::fuzz
