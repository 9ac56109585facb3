// All device rules of a policy directory, checked against each other, and the lookup the broker
// does for every device it sees: which rule governs it.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "policy/device_policy.h"

namespace usbip::policy {

inline constexpr std::string_view kDefaultPolicyDir = "/etc/usbip-sandbox/devices.d";

class PolicySet {
 public:
  enum class IfMissing { kError, kEmpty };

  // Loads every "*.toml" file directly in `dir` (names starting with '.' are skipped). Throws
  // PolicyError with the diagnostics of all files, overlaps between files included; throws
  // std::system_error (std::filesystem::filesystem_error) when the directory cannot be read, or
  // is missing and `ifMissing` is kError.
  static PolicySet load(const std::filesystem::path& dir, IfMissing ifMissing = IfMissing::kError);

  PolicySet() = default;
  // Throws PolicyError when two rules overlap statically: one rule's [match] has a subset of the
  // other's fields with the same values, so every device the narrower rule matches would be
  // matched by both. Rules never take precedence over each other.
  explicit PolicySet(std::vector<DevicePolicy> policies);

  const std::vector<DevicePolicy>& policies() const { return policies_; }

  // The one rule whose [match] matches `device`, allowing or denying; nullopt when none does.
  // Throws PolicyError naming every matching file when more than one does.
  std::optional<DevicePolicy> match(const DeviceAttributes& device) const;

  // The policy that governs `device`: the matching rule from the directory (a denying rule wins
  // over the command line); else the first of `commandLine` that matches (see
  // commandLinePolicy); else notAllowedPolicy(device). Throws PolicyError on ambiguity.
  DevicePolicy policyFor(const DeviceAttributes& device,
                         std::span<const DevicePolicy> commandLine = {}) const;

  // The rule loaded from NAME.toml, for `usbip-host@NAME.service`.
  std::optional<DevicePolicy> findByName(std::string_view name) const;

 private:
  std::vector<DevicePolicy> policies_;
};

}  // namespace usbip::policy
