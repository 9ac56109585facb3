#include "policy/device_policy.h"

#include <cstdio>
#include <utility>

namespace usbip::policy {
namespace {

// A field absent from `narrow` but present in `wide` means `narrow` matches devices `wide` does
// not.
template <typename T>
bool fieldCovers(const std::optional<T>& wide, const std::optional<T>& narrow) {
  return !wide || wide == narrow;
}

}  // namespace

std::string VidPid::toString() const {
  char text[10] = {};
  std::snprintf(text, sizeof text, "%04x:%04x", vid, pid);
  return text;
}

bool Match::matches(const DeviceAttributes& device) const {
  if (busid && *busid != device.busid) return false;
  if (portPath && *portPath != device.portPath) return false;
  if (vidPid && *vidPid != VidPid{device.vid, device.pid}) return false;
  // A device without a serial number never matches a rule that names one.
  if (serial && (device.serial.empty() || *serial != device.serial)) return false;
  return true;
}

bool Match::covers(const Match& other) const {
  return fieldCovers(busid, other.busid) && fieldCovers(portPath, other.portPath) &&
         fieldCovers(vidPid, other.vidPid) && fieldCovers(serial, other.serial);
}

std::string Match::toString() const {
  std::string text;
  const auto add = [&](const char* key, const std::string& value) {
    if (!text.empty()) text += ' ';
    text += key;
    text += '=';
    text += value;
  };
  if (busid) add("busid", *busid);
  if (portPath) add("port_path", *portPath);
  if (vidPid) add("vid_pid", vidPid->toString());
  if (serial) add("serial", *serial);
  return text;
}

bool ExportRule::operator==(const ExportRule& other) const {
  const auto addressText = [](const std::optional<Address>& a) {
    return a ? a->toString() : std::string();
  };
  return mode == other.mode && addressText(address) == addressText(other.address) &&
         allowedPeers == other.allowedPeers;
}

DevicePolicy commandLinePolicy(const std::string& busid, ExportRule how) {
  DevicePolicy policy;
  policy.name = busid;
  policy.origin = "command line";
  policy.match.busid = busid;
  policy.exportRule = std::move(how);
  return policy;
}

DevicePolicy notAllowedPolicy(const DeviceAttributes& device) {
  DevicePolicy policy;
  policy.name = device.busid;
  policy.origin = "no policy file or command line argument allows it";
  policy.match.busid = device.busid;
  policy.deny = true;
  return policy;
}

}  // namespace usbip::policy
