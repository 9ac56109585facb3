// USB speeds as the kernel numbers them (enum usb_device_speed) and the vhci_hcd root hub each
// one needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.h"

namespace usbip::client {

// vhci_hcd has two root hubs per controller: a USB 2.0 hub ("hs") for low, full, high and
// wireless devices and a USB 3 hub ("ss") for super and super-plus devices. A device must go to a
// port of the hub its speed needs: the kernel picks the hub from the speed, not from the port.
enum class HubSpeed { kHigh, kSuper };

HubSpeed hubSpeedFor(proto::Speed speed);

// "hs" or "ss", as vhci_hcd's status files spell them.
std::string_view hubSpeedName(HubSpeed hub);

}  // namespace usbip::client
