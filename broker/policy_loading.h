// The policy a broker command runs under: the policy directory of the invocation, and the policy
// that naming devices on the command line stands for.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "broker/cli.h"
#include "broker/export_registry.h"
#include "policy/policy_set.h"

namespace usbip {

// --policy-dir DIR, or the default directory.
std::filesystem::path policyDirOf(const Invocation& invocation);

// A missing default directory is an empty policy set (nothing but named devices can be
// exported); a missing --policy-dir is an error.
policy::PolicySet::IfMissing ifMissingOf(const Invocation& invocation);

// Loads the invocation's policy directory, missing as ifMissingOf() says. On errors in
// the files it prints them to stderr exactly as check-policy does and throws
// std::runtime_error, so that the broker refuses to start with exit status 1.
policy::PolicySet loadPolicyOf(const Invocation& invocation);

// The export configuration of listen or connect: the policy directory, and for each DEVICE
// argument what `named(busid)` says naming it stands for; sim:NAME devices are added as such.
// `serves` says which governing policies this command exports.
ExportConfig exportConfigFor(const Invocation& invocation,
                             const std::function<policy::DevicePolicy(const std::string&)>& named,
                             decltype(ExportConfig::serves) serves);

}  // namespace usbip
