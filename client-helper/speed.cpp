#include "client-helper/speed.h"

namespace usbip::client {

HubSpeed hubSpeedFor(proto::Speed speed) {
  return speed == proto::Speed::kSuper || speed == proto::Speed::kSuperPlus ? HubSpeed::kSuper
                                                                            : HubSpeed::kHigh;
}

std::string_view hubSpeedName(HubSpeed hub) {
  return hub == HubSpeed::kSuper ? "ss" : "hs";
}

}  // namespace usbip::client
