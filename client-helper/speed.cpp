#include "client-helper/speed.h"

namespace usbip::client {

HubSpeed hubSpeedFor(proto::Speed speed) {
  return speed == proto::Speed::kSuper || speed == proto::Speed::kSuperPlus ? HubSpeed::kSuper
                                                                            : HubSpeed::kHigh;
}

std::string_view hubSpeedName(HubSpeed hub) {
  return hub == HubSpeed::kSuper ? "ss" : "hs";
}

std::string speedName(uint32_t speed) {
  switch (static_cast<proto::Speed>(speed)) {
    case proto::Speed::kUnknown:
      return "unknown";
    case proto::Speed::kLow:
      return "low";
    case proto::Speed::kFull:
      return "full";
    case proto::Speed::kHigh:
      return "high";
    case proto::Speed::kWireless:
      return "wireless";
    case proto::Speed::kSuper:
      return "super";
    case proto::Speed::kSuperPlus:
      return "super-plus";
  }
  return "speed " + std::to_string(speed);
}

}  // namespace usbip::client
