// The name of a USB speed as the kernel numbers it (enum usb_device_speed), for people: the
// broker's device list and the client helper's show the same words.
#pragma once

#include <cstdint>
#include <string>

namespace usbip::proto {

// "low", "full", "high", "wireless", "super", "super-plus"; "unknown" for 0 and "speed N" for
// anything else (values read from the kernel or a peer are shown, never trusted to be known).
std::string speedName(uint32_t speed);

}  // namespace usbip::proto
