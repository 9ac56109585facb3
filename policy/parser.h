// Policy files: one TOML file per device rule, parsed into a validated DevicePolicy. The format
// is described in docs/policy.md and, key by key, in policy/examples/1-2.toml.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "policy/device_policy.h"

namespace usbip::policy {

// Parses the text of one policy file. `file` names it in diagnostics; `name` is the rule's name
// (the file name without ".toml"). Throws PolicyError listing every problem in the file.
DevicePolicy parsePolicy(std::string_view text, const std::string& file, const std::string& name);

// Reads and parses one policy file. A file that users other than its owner may write is refused:
// whoever can write a policy file can widen access to a device. Throws PolicyError.
DevicePolicy parsePolicyFile(const std::filesystem::path& path);

// Looks up an interface class name used in [interfaces] classes ("hid", "mass_storage", ...).
std::optional<uint8_t> interfaceClassByName(std::string_view name);

}  // namespace usbip::policy
