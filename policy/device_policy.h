// One device rule, as parsed from one policy file (or made up for a device named on the command
// line): which device it is about, whether it is denied, how it is exported and to whom, and the
// limits the worker enforces. Plain data; parsing and validation live in parser.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "policy/device_attributes.h"
#include "policy/peer_rule.h"
#include "policy/urb_limits.h"

namespace usbip::policy {

struct VidPid {
  uint16_t vid = 0;
  uint16_t pid = 0;

  std::string toString() const;  // "046d:c52b", as lsusb prints it
  bool operator==(const VidPid&) const = default;
};

// Every present field must equal the device's; at least one is present in a valid rule.
struct Match {
  std::optional<std::string> busid;
  std::optional<std::string> portPath;
  std::optional<VidPid> vidPid;
  std::optional<std::string> serial;

  bool matches(const DeviceAttributes& device) const;
  // True when every device `other` matches is matched by this rule too (this rule has a subset
  // of `other`'s fields, with the same values).
  bool covers(const Match& other) const;
  std::string toString() const;  // "busid=1-2 vid_pid=046d:c52b"
  bool operator==(const Match&) const = default;
};

struct ExportRule {
  enum class Mode { kListen, kConnect };
  Mode mode = Mode::kListen;
  // listen: a listener of this device's own, or none to be offered on `usbip-host listen`'s
  // shared listener. connect: where to dial (always present, with a host or CID).
  std::optional<Address> address;
  std::vector<PeerRule> allowedPeers;  // listen only; empty means nobody

  bool operator==(const ExportRule& other) const;
};

struct DevicePolicy {
  std::string name;        // policy file name without ".toml", or the bus ID on the command line
  std::string origin;      // for logs: the file, "command line", or why nothing allows the device
  std::string file;        // the policy file as the loader was given it; empty when not from a file
  uint32_t matchLine = 0;  // where its [match] table is, for diagnostics
  Match match;
  bool deny = false;
  ExportRule exportRule;  // meaningless when deny
  UrbLimits limits;       // meaningless when deny

  bool operator==(const DevicePolicy&) const = default;
};

// What naming a device on the command line stands for: default limits, exported as `how` says.
DevicePolicy commandLinePolicy(const std::string& busid, ExportRule how);

// The policy of a device nothing allows (rule E2): denied, and says why.
DevicePolicy notAllowedPolicy(const DeviceAttributes& device);

}  // namespace usbip::policy
