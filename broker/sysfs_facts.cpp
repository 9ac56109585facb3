#include <algorithm>

#include "broker/usb_device.h"

namespace usbip {

proto::Speed speedFromSysfs(std::string_view mbps) {
  // The strings drivers/usb/core/sysfs.c prints for each enum usb_device_speed.
  if (mbps == "1.5") return proto::Speed::kLow;
  if (mbps == "12") return proto::Speed::kFull;
  if (mbps == "480") return proto::Speed::kHigh;
  if (mbps == "53.3-480") return proto::Speed::kWireless;
  if (mbps == "5000") return proto::Speed::kSuper;
  if (mbps == "10000" || mbps == "20000") return proto::Speed::kSuperPlus;
  return proto::Speed::kUnknown;
}

bool isBehindVhci(const std::vector<SysfsAncestor>& ancestors) {
  return std::any_of(ancestors.begin(), ancestors.end(), [](const SysfsAncestor& a) {
    return a.driver == "vhci_hcd" || a.sysname.starts_with("vhci_hcd.");
  });
}

}  // namespace usbip
