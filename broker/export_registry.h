// What this broker exports and which of it is in use: shared by every worker session (each on its
// own thread), so every member is behind one mutex.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "broker/device_resolver.h"
#include "broker/export_policy.h"
#include "broker/usbfs_claim.h"
#include "common/unique_fd.h"

namespace usbip {

class ExportRegistry;

// One import in progress. While it lives, no other worker can import the device; destroying it
// hands a real device's interfaces back to their kernel drivers and frees the device at once.
// Destroy it only after the worker holding its descriptor has exited.
class Lease {
 public:
  Lease(ExportRegistry& registry, ExportSource source, std::optional<UsbfsClaim> claim);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  const ExportSource& source() const { return source_; }
  const ExportCandidate& candidate() const { return candidateOf(source_); }
  // The opened usbfs descriptor for the worker (real devices only; empty afterwards).
  UniqueFd takeWorkerFd();

 private:
  ExportRegistry* registry_;
  ExportSource source_;
  std::optional<UsbfsClaim> claim_;
};

struct Refusal {
  std::string reason;
};

class ExportRegistry {
 public:
  // The policy is "exactly the devices named" (rule E2). Every source must pass decideExport();
  // otherwise std::invalid_argument names the device and the rule (E1).
  explicit ExportRegistry(std::vector<ExportSource> sources);

  const ExportPolicy& policy() const { return policy_; }
  // The devices a client may see in OP_REP_DEVLIST: those the policy allows and no worker holds.
  std::vector<ExportCandidate> offered() const;

  // The broker's check of an import request: decideImport() on its own table (the worker's
  // pre-check, re-done here), then "not held by another worker", then, for a real device, a
  // fresh look at udev (it may have been replugged) and the usbfs claim.
  std::variant<Lease, Refusal> acquire(std::string_view busid);

 private:
  friend class Lease;
  void release(const std::string& busid);

  const ExportPolicy policy_;
  mutable std::mutex mutex_;
  std::vector<ExportSource> sources_;  // guarded by mutex_ (real devices' records are refreshed)
  std::set<std::string> held_;         // guarded by mutex_
};

}  // namespace usbip
