#include "policy/policy_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "policy/file_trust.h"
#include "policy/parser.h"
#include "policy/policy_error.h"

namespace usbip::policy {
namespace {

std::string where(const DevicePolicy& policy) {
  return policy.file + ":" + std::to_string(policy.matchLine) + " (" + policy.match.toString() +
         ")";
}

std::vector<Diagnostic> overlaps(const std::vector<DevicePolicy>& policies) {
  std::vector<Diagnostic> found;
  for (size_t i = 0; i < policies.size(); ++i) {
    for (size_t j = i + 1; j < policies.size(); ++j) {
      const auto& a = policies[i];
      const auto& b = policies[j];
      const bool aCoversB = a.match.covers(b.match);
      const bool bCoversA = b.match.covers(a.match);
      if (aCoversB && bCoversA) {
        found.push_back({b.file, b.matchLine, "match",
                         "same match as " + where(a) + ": a device would match both"});
      } else if (aCoversB || bCoversA) {
        const auto& narrow = aCoversB ? b : a;
        const auto& wide = aCoversB ? a : b;
        found.push_back({narrow.file, narrow.matchLine, "match",
                         "every device this rule matches is also matched by " + where(wide) +
                             "; rules must not overlap, so narrow or remove one"});
      }
    }
  }
  return found;
}

std::string describe(const DeviceAttributes& device) {
  return "device " + device.busid + " (" + VidPid{device.vid, device.pid}.toString() + ")";
}

}  // namespace

PolicySet PolicySet::load(const std::filesystem::path& dir, IfMissing ifMissing) {
  if (ifMissing == IfMissing::kEmpty && !std::filesystem::exists(dir)) return PolicySet();
  std::vector<Diagnostic> diagnostics;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (auto why = untrustedWriter(st, "the policy directory"); !why.empty()) {
      diagnostics.push_back({dir.string(), 0, "(directory)", why});
    }
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() == ".toml" && !name.starts_with('.'))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<DevicePolicy> policies;
  for (const auto& file : files) {
    try {
      policies.push_back(parsePolicyFile(file));
    } catch (const PolicyError& e) {
      diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  try {
    PolicySet set(std::move(policies));
    if (diagnostics.empty()) return set;
  } catch (const PolicyError& e) {
    diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
  }
  throw PolicyError(std::move(diagnostics));
}

PolicySet::PolicySet(std::vector<DevicePolicy> policies) : policies_(std::move(policies)) {
  auto found = overlaps(policies_);
  if (!found.empty()) throw PolicyError(std::move(found));
}

std::optional<DevicePolicy> PolicySet::match(const DeviceAttributes& device) const {
  std::vector<const DevicePolicy*> matching;
  for (const auto& policy : policies_) {
    if (policy.match.matches(device)) matching.push_back(&policy);
  }
  if (matching.empty()) return std::nullopt;
  if (matching.size() == 1) return *matching.front();
  std::vector<Diagnostic> ambiguous;
  for (const auto* policy : matching) {
    std::string others;
    for (const auto* other : matching) {
      if (other != policy) others += (others.empty() ? "" : ", ") + where(*other);
    }
    ambiguous.push_back({policy->file, policy->matchLine, "match",
                         describe(device) + " is also matched by " + others +
                             "; refusing to choose, the device is not exported"});
  }
  throw PolicyError(std::move(ambiguous));
}

DevicePolicy PolicySet::policyFor(const DeviceAttributes& device,
                                  std::span<const DevicePolicy> commandLine) const {
  if (auto fromFile = match(device)) return *std::move(fromFile);
  for (const auto& named : commandLine) {
    if (named.match.matches(device)) return named;
  }
  return notAllowedPolicy(device);
}

std::optional<DevicePolicy> PolicySet::findByName(std::string_view name) const {
  for (const auto& policy : policies_) {
    if (policy.name == name) return policy;
  }
  return std::nullopt;
}

}  // namespace usbip::policy
