#include "broker/policy_loading.h"

#include <iostream>
#include <stdexcept>

#include "policy/check_policy.h"
#include "policy/policy_error.h"

namespace usbip {

std::filesystem::path policyDirOf(const Invocation& invocation) {
  return invocation.policyDir ? std::filesystem::path(*invocation.policyDir)
                              : std::filesystem::path(policy::kDefaultPolicyDir);
}

policy::PolicySet::IfMissing ifMissingOf(const Invocation& invocation) {
  return invocation.policyDir ? policy::PolicySet::IfMissing::kError
                              : policy::PolicySet::IfMissing::kEmpty;
}

policy::PolicySet loadPolicyOf(const Invocation& invocation) {
  const auto dir = policyDirOf(invocation);
  try {
    return policy::PolicySet::load(dir, ifMissingOf(invocation));
  } catch (const policy::PolicyError& e) {
    policy::printPolicyErrors(e, std::cerr);
    throw std::runtime_error("refusing to start: " + std::to_string(e.diagnostics().size()) +
                             " error(s) in the policy directory " + dir.string() +
                             " (see usbip-host check-policy)");
  } catch (const std::filesystem::filesystem_error& e) {
    throw std::runtime_error(dir.string() +
                             ": cannot read the policy directory: " + e.code().message());
  }
}

ExportConfig exportConfigFor(const Invocation& invocation,
                             const std::function<policy::DevicePolicy(const std::string&)>& named,
                             decltype(ExportConfig::serves) serves) {
  auto sources = resolveDevices(invocation.devices);  // usage errors before the policy's
  ExportConfig config;
  config.directory = loadPolicyOf(invocation);
  config.serves = std::move(serves);
  for (auto& source : sources) {
    config.commandLine.push_back(named(candidateOf(source).exported.device.busid));
    if (auto* sim = std::get_if<SimulatedDevice>(&source)) config.simulated.push_back(*sim);
  }
  return config;
}

}  // namespace usbip
