#include "broker/export_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "policy/decision.h"
#include "policy/policy_error.h"
#include "policy/urb_limits.h"

namespace usbip {
namespace {

template <typename Entries>
auto findBusid(Entries& entries, std::string_view busid) {
  return std::find_if(entries.begin(), entries.end(),
                      [&](const auto& e) { return e.offered.busid() == busid; });
}

std::string exportedWhere(const policy::DevicePolicy& p) {
  const bool connect = p.exportRule.mode == policy::ExportRule::Mode::kConnect;
  std::string text = connect ? "connect" : "listen";
  if (p.exportRule.address) text += " " + p.exportRule.address->toString();
  return text;
}

}  // namespace

Lease::Lease(ExportRegistry& registry, ExportSource source, OfferedDevice offered,
             std::optional<UsbfsClaim> claim)
    : registry_(&registry),
      source_(std::move(source)),
      offered_(std::move(offered)),
      claim_(std::move(claim)) {}

Lease::Lease(Lease&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)),
      source_(std::move(other.source_)),
      offered_(std::move(other.offered_)),
      claim_(std::move(other.claim_)) {
  other.claim_.reset();
}

Lease::~Lease() {
  if (!registry_) return;  // moved from
  claim_.reset();          // drivers back first, so the next importer finds the device as it was
  registry_->release(candidate().exported.device.busid);
}

UniqueFd Lease::takeWorkerFd() {
  return claim_ ? claim_->takeWorkerFd() : UniqueFd();
}

ExportRegistry::ExportRegistry(ExportConfig config) : config_(std::move(config)) {
  const auto all = entries(false);
  for (const auto& named : config_.commandLine) {
    const std::string& busid = named.match.busid.value();
    const auto found = findBusid(all, busid);
    if (found == all.end()) {
      throw std::invalid_argument("no USB device with bus ID " + busid +
                                  " is attached (see 'usbip-host list')");
    }
    const auto& governing = found->offered.policy;
    const auto verdict = policy::mayExport(governing, found->offered.attributes);
    if (!verdict) throw std::invalid_argument(verdict.reason);
    if (!config_.serves(governing, found->offered.attributes)) {
      throw std::invalid_argument("device " + busid + " is governed by " + governing.origin +
                                  ", which exports it by " + exportedWhere(governing) +
                                  ", not by this command");
    }
  }
}

std::vector<ExportRegistry::Entry> ExportRegistry::entries(bool allowedOnly) const {
  std::vector<Entry> found;
  const auto add = [&](ExportSource source, const ExportCandidate& candidate,
                       policy::DeviceAttributes attributes) {
    try {
      auto governing = config_.directory.policyFor(attributes, config_.commandLine);
      if (allowedOnly &&
          (!config_.serves(governing, attributes) || !policy::mayExport(governing, attributes))) {
        return;
      }
      found.push_back(
          {std::move(source), {candidate, std::move(attributes), std::move(governing)}});
    } catch (const policy::PolicyError& e) {
      spdlog::warn("device {} is not exported, its policy is ambiguous: {}", attributes.busid,
                   e.what());
    }
  };
  for (const auto& sim : config_.simulated)
    add(sim, sim.candidate, attributesOf(sim.candidate));
  for (auto& device : config_.enumerate()) {
    const auto candidate = device.candidate;
    auto attributes = device.attributes;
    add(std::move(device), candidate, std::move(attributes));
  }
  return found;
}

std::vector<OfferedDevice> ExportRegistry::exportable() const {
  std::vector<OfferedDevice> list;
  for (auto& e : entries(true))
    list.push_back(std::move(e.offered));
  return list;
}

std::vector<OfferedDevice> ExportRegistry::offeredTo(std::string_view peer) const {
  const auto table = exportable();
  std::lock_guard lock(mutex_);
  std::vector<OfferedDevice> list;
  for (const auto& d : table) {
    if (held_.contains(d.busid())) continue;
    if (decideImport(d.busid(), peer, table).allowed) list.push_back(d);
  }
  return list;
}

bool ExportRegistry::anyImportableBy(std::string_view peer) const {
  const auto table = exportable();
  return std::any_of(table.begin(), table.end(), [&](const OfferedDevice& d) {
    return decideImport(d.busid(), peer, table).allowed;
  });
}

std::variant<Lease, Refusal> ExportRegistry::acquire(std::string_view busid,
                                                     std::string_view peer) {
  auto all = entries(true);
  std::vector<OfferedDevice> table;
  for (const auto& e : all)
    table.push_back(e.offered);
  const auto decision = decideImport(busid, peer, table);
  if (!decision.allowed) return Refusal{decision.reason};
  const std::string key(busid);
  auto entry = std::move(*findBusid(all, key));
  {
    std::lock_guard lock(mutex_);
    if (held_.contains(key)) return Refusal{"device " + key + " is imported by another client"};
    held_.insert(key);
  }
  const auto* device = std::get_if<UsbDevice>(&entry.source);
  if (!device) return Lease(*this, std::move(entry.source), std::move(entry.offered), std::nullopt);
  // The device is ours from here on; every way out that does not return a Lease frees it.
  try {
    const auto mask = policy::claimableInterfaceMask(entry.offered.policy.limits,
                                                     entry.offered.attributes.interfaces);
    UsbfsClaim claim(*device, mask);
    return Lease(*this, std::move(entry.source), std::move(entry.offered), std::move(claim));
  } catch (const std::exception& e) {
    release(key);
    return Refusal{e.what()};
  }
}

void ExportRegistry::release(const std::string& busid) {
  std::lock_guard lock(mutex_);
  held_.erase(busid);
}

policy::DevicePolicy namedForListen(const std::string& busid) {
  // Anyone who can reach the listener, as before policy files existed: the administrator named
  // the device, and the listener's address decides who can reach it.
  return policy::commandLinePolicy(
      busid, {policy::ExportRule::Mode::kListen, std::nullopt, {policy::PeerRule{}}});
}

policy::DevicePolicy namedForConnect(const std::string& busid, const Address& target) {
  return policy::commandLinePolicy(busid, {policy::ExportRule::Mode::kConnect, target, {}});
}

}  // namespace usbip
