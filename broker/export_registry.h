// What this broker exports and which of it is in use: shared by every worker session (each on its
// own thread). Which devices are on offer is decided afresh from udev and the policy whenever a
// client asks, so a device that is plugged in later is offered, one that is unplugged is not,
// and a re-plugged one comes back without anyone running a command.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/device_resolver.h"
#include "broker/export_policy.h"
#include "broker/usbfs_claim.h"
#include "common/unique_fd.h"
#include "policy/policy_set.h"

namespace usbip {

class ExportRegistry;

// One import in progress. While it lives, no other worker can import the device; destroying it
// hands a real device's interfaces back to their kernel drivers and frees the device at once.
// Destroy it only after the worker holding its descriptor has exited.
class Lease {
 public:
  Lease(ExportRegistry& registry, ExportSource source, OfferedDevice offered,
        std::optional<UsbfsClaim> claim);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  const ExportSource& source() const { return source_; }
  const ExportCandidate& candidate() const { return offered_.candidate; }
  // The policy the import was allowed under: its limits go to the worker.
  const policy::DevicePolicy& policy() const { return offered_.policy; }
  // The opened usbfs descriptor for the worker (real devices only; empty afterwards).
  UniqueFd takeWorkerFd();

 private:
  ExportRegistry* registry_;
  ExportSource source_;
  OfferedDevice offered_;
  std::optional<UsbfsClaim> claim_;
};

struct Refusal {
  std::string reason;
};

// What a broker exports: the policy directory, the devices named on its command line, and which
// of the governing policies its listener (or its dial) serves.
struct ExportConfig {
  policy::PolicySet directory;
  // What naming a device stands for (commandLinePolicy); a matching policy file still wins.
  std::vector<policy::DevicePolicy> commandLine;
  std::vector<SimulatedDevice> simulated;  // named sim:NAME devices
  // Whether this broker serves a device under the policy that governs it: offeredOn(policy,
  // listener) for `listen`, the named device under a rule that dials this target for `connect`,
  // one policy file for `export NAME`.
  std::function<bool(const policy::DevicePolicy&, const policy::DeviceAttributes&)> serves;
  // The real devices present now; a stand-in in tests.
  std::function<std::vector<UsbDevice>()> enumerate = enumerateUsbDevices;
};

class ExportRegistry {
 public:
  // Throws std::invalid_argument naming the device and the rule when a device named on the
  // command line is not exported here after all (a hub, denied by a policy file, governed by a
  // file that exports it elsewhere), and policy::PolicyError when its policy is ambiguous.
  explicit ExportRegistry(ExportConfig config);

  // The devices present now that this broker serves and the policy lets out (mayExport), with
  // the policy that governs each. Ambiguous devices are left out with a warning.
  std::vector<OfferedDevice> exportable() const;
  // What OP_REP_DEVLIST shows `peer`: exportable devices it may import and no worker holds.
  std::vector<OfferedDevice> offeredTo(std::string_view peer) const;
  // Whether `peer` may import any exportable device, held or not: a client for which this is
  // false gets no worker.
  bool anyImportableBy(std::string_view peer) const;

  // The broker's check of an import request: decideImport() on its own table for the peer it
  // accepted (the worker's pre-check, re-done here), then "not held by another worker", then,
  // for a real device, the usbfs claim of the interfaces its policy lets the client claim.
  std::variant<Lease, Refusal> acquire(std::string_view busid, std::string_view peer);

 private:
  friend class Lease;
  struct Entry {
    ExportSource source;
    OfferedDevice offered;
  };
  // Every device present now with its governing policy; `allowedOnly` keeps only the served and
  // exportable ones.
  std::vector<Entry> entries(bool allowedOnly) const;
  void release(const std::string& busid);

  const ExportConfig config_;
  mutable std::mutex mutex_;
  std::set<std::string> held_;  // guarded by mutex_
};

// The policy that naming a device on the command line stands for, in each mode.
policy::DevicePolicy namedForListen(const std::string& busid);
policy::DevicePolicy namedForConnect(const std::string& busid, const Address& target);

}  // namespace usbip
