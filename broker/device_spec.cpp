#include "broker/device_spec.h"

#include <array>
#include <charconv>
#include <stdexcept>

namespace usbip {
namespace {

constexpr std::string_view kForms =
    "expected a bus ID like 1-2 or 1-2.3, a device node like /dev/bus/usb/001/002, or sim:hid, "
    "sim:cdc or sim:uac";
constexpr std::string_view kDeviceNodePrefix = "/dev/bus/usb/";
constexpr std::array<std::string_view, 3> kSimulatedNames = {"hid", "cdc", "uac"};

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw std::invalid_argument("bad device '" + std::string(text) + "': " + std::string(why) + " (" +
                              std::string(kForms) + ")");
}

// A decimal number from 1 to `max` without sign or leading zero, as the kernel names devices.
bool isCanonicalNumber(std::string_view text, uint32_t max) {
  if (text.empty() || text.front() == '0') return false;
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() && value <= max;
}

// usbfs node names are zero-padded to three digits.
uint32_t parseNodeNumber(std::string_view part, std::string_view text, const char* field,
                         uint32_t max) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (part.size() != 3 || ec != std::errc() || ptr != part.data() + part.size() || value == 0 ||
      value > max) {
    fail(text, std::string(field) + " '" + std::string(part) + "' is not a number from 001 to " +
                   std::to_string(max));
  }
  return value;
}

}  // namespace

bool isValidBusId(std::string_view text) {
  if (text.empty() || text.size() > 31) return false;
  const auto dash = text.find('-');
  if (dash == std::string_view::npos || !isCanonicalNumber(text.substr(0, dash), 255)) {
    return false;
  }
  std::string_view ports = text.substr(dash + 1);
  for (;;) {
    const auto dot = ports.find('.');
    if (!isCanonicalNumber(ports.substr(0, dot), 255)) return false;
    if (dot == std::string_view::npos) return true;
    ports = ports.substr(dot + 1);
  }
}

DeviceSpec parseDeviceSpec(std::string_view text) {
  if (text.starts_with("sim:")) {
    const auto name = text.substr(4);
    for (const auto known : kSimulatedNames) {
      if (name == known) return SimulatedSpec{std::string(name)};
    }
    fail(text, "unknown simulated device '" + std::string(name) + "'");
  }
  if (text.starts_with(kDeviceNodePrefix)) {
    const auto rest = text.substr(kDeviceNodePrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) fail(text, "device node needs BUS/DEV");
    const uint32_t busnum = parseNodeNumber(rest.substr(0, slash), text, "bus number", 255);
    const uint32_t devnum = parseNodeNumber(rest.substr(slash + 1), text, "device number", 127);
    return DeviceNodeSpec{busnum, devnum};
  }
  if (text.starts_with("/")) fail(text, "not a device node under /dev/bus/usb/");
  if (!isValidBusId(text)) fail(text, "not a bus ID");
  return BusIdSpec{std::string(text)};
}

}  // namespace usbip
