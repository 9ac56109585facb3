#include "broker/export_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace usbip {
namespace {

ExportPolicy policyNaming(const std::vector<ExportSource>& sources) {
  ExportPolicy policy;
  for (const auto& s : sources)
    policy.allowedBusids.push_back(candidateOf(s).exported.device.busid);
  return policy;
}

}  // namespace

Lease::Lease(ExportRegistry& registry, ExportSource source, std::optional<UsbfsClaim> claim)
    : registry_(&registry), source_(std::move(source)), claim_(std::move(claim)) {}

Lease::Lease(Lease&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)),
      source_(std::move(other.source_)),
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

ExportRegistry::ExportRegistry(std::vector<ExportSource> sources)
    : policy_(policyNaming(sources)), sources_(std::move(sources)) {
  for (const auto& s : sources_) {
    const auto decision = decideExport(candidateOf(s), policy_);
    if (!decision.allowed) throw std::invalid_argument(decision.reason);
  }
}

std::vector<ExportCandidate> ExportRegistry::offered() const {
  std::lock_guard lock(mutex_);
  std::vector<ExportCandidate> list;
  for (const auto& s : sources_) {
    const auto& candidate = candidateOf(s);
    if (held_.contains(candidate.exported.device.busid)) continue;
    if (decideExport(candidate, policy_).allowed) list.push_back(candidate);
  }
  return list;
}

std::variant<Lease, Refusal> ExportRegistry::acquire(std::string_view busid) {
  ExportSource source;
  {
    std::lock_guard lock(mutex_);
    std::vector<ExportCandidate> table;
    for (const auto& s : sources_)
      table.push_back(candidateOf(s));
    const auto decision = decideImport(busid, table, policy_);
    if (!decision.allowed) return Refusal{decision.reason};
    const std::string key(busid);
    if (held_.contains(key)) return Refusal{"device " + key + " is imported by another client"};
    source = *std::find_if(sources_.begin(), sources_.end(), [&](const ExportSource& s) {
      return candidateOf(s).exported.device.busid == key;
    });
    held_.insert(key);
  }
  const std::string key(busid);
  if (!std::holds_alternative<UsbDevice>(source)) {
    return Lease(*this, std::move(source), std::nullopt);
  }
  // The device is ours from here on; every way out that does not return a Lease frees it.
  try {
    // The device may have been replugged since start-up (new devnum, maybe now behind a hub of
    // another kind): look again and decide again on what is there now.
    const UsbDevice current = findUsbDevice(BusIdSpec{key}, enumerateUsbDevices());
    const auto decision = decideExport(current.candidate, policy_);
    if (!decision.allowed) {
      release(key);
      return Refusal{decision.reason};
    }
    UsbfsClaim claim(current);
    {
      std::lock_guard lock(mutex_);
      for (auto& s : sources_) {
        if (candidateOf(s).exported.device.busid == key) s = current;
      }
    }
    return Lease(*this, current, std::move(claim));
  } catch (const std::exception& e) {
    release(key);
    return Refusal{e.what()};
  }
}

void ExportRegistry::release(const std::string& busid) {
  std::lock_guard lock(mutex_);
  held_.erase(busid);
}

}  // namespace usbip
