#include "broker/capabilities.h"

#include <cap-ng.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <stdexcept>

#include "common/syscall.h"
#include "common/threads.h"

namespace usbip {
namespace {

// Why these and no others. The worker is executed as root and confines itself (worker/sandbox/);
// root's execve() hands it the broker's bounding set (cut down to the broker's permitted set
// under no_new_privs, which the systemd units set), so what the sandbox needs must stay in both.
// Not kept, and why nothing breaks without them:
//   CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: the usbfs nodes (/dev/bus/usb/BBB/DDD),
//     sysfs, udev's database, the policy files and unix-socket directories belong to root,
//     whose owner permissions suffice.
//   CAP_SYS_RAWIO, CAP_SYS_ADMIN for usbfs: opening a node and the ioctls the broker makes
//     (USBDEVFS_DISCONNECT_CLAIM, USBDEVFS_DROP_PRIVILEGES, USBDEVFS_IOCTL(CONNECT)) check file
//     permissions only. (CAP_SYS_ADMIN is kept, but for the worker's namespaces.)
//   CAP_NET_ADMIN: libudev's larger monitor receive buffer (SO_RCVBUFFORCE) falls back to
//     SO_RCVBUF; vsock and tcp listening need nothing above port 1023.
//   CAP_SYS_CHROOT: the sandbox uses pivot_root(), which takes CAP_SYS_ADMIN, never chroot().
//   CAP_SYS_RESOURCE: the worker only lowers its limits.
//   CAP_SYS_PTRACE, CAP_CHOWN, CAP_MKNOD, CAP_NET_RAW, CAP_SYS_MODULE and the rest: never used.
constexpr CapabilityUse kServing[] = {
    {CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
     "worker sandbox: unshare() of its mount, pid, ipc, uts and net namespaces, mount() of its "
     "empty tmpfs root, pivot_root(), sethostname()"},
    {CAP_SETUID, "CAP_SETUID", "worker sandbox: setresuid() to the usbip-worker user"},
    {CAP_SETGID, "CAP_SETGID", "worker sandbox: setgroups(0) and setresgid()"},
    {CAP_SETPCAP, "CAP_SETPCAP",
     "worker sandbox: emptying its own bounding set; the broker: narrowing its bounding set here"},
    {CAP_KILL, "CAP_KILL", "broker: SIGTERM and SIGKILL to its workers, which run as another user"},
};
constexpr CapabilityUse kLowPort{CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE",
                                 "broker: listening on a tcp or vsock port below 1024"};

// Ports below 1024 take CAP_NET_BIND_SERVICE, for vsock always, for tcp by default
// (net.ipv4.ip_unprivileged_port_start).
bool isPrivilegedPort(const Address& address) {
  const bool bindsAPort =
      address.kind == Address::Kind::kTcp || address.kind == Address::Kind::kVsock;
  return bindsAPort && address.port != 0 && address.port < 1024;
}

// libcap-ng reports failure as a negative number and may leave errno unset.
void checkCapng(int rc, const std::string& what) {
  if (rc < 0) throwErrno(errno != 0 ? errno : EPERM, what);
}

std::string extraInBoundingSet(std::span<const CapabilityUse> keep) {
  std::string extra;
  for (int capability = 0; capability <= CAP_LAST_CAP; ++capability) {
    bool kept = false;
    for (const auto& use : keep)
      kept = kept || use.capability == capability;
    if (!kept && capng_have_capability(CAPNG_BOUNDING_SET, static_cast<unsigned>(capability))) {
      if (!extra.empty()) extra += ' ';
      const char* name = capng_capability_to_name(static_cast<unsigned>(capability));
      extra += name != nullptr ? name : std::to_string(capability);
    }
  }
  return extra;
}

}  // namespace

std::vector<CapabilityUse> capabilitiesNeeded(const Invocation& invocation) {
  switch (invocation.command) {
    case Command::kListen: {
      std::vector<CapabilityUse> needed(std::begin(kServing), std::end(kServing));
      if (isPrivilegedPort(invocation.address)) needed.push_back(kLowPort);
      return needed;
    }
    case Command::kConnect:  // dials out: no port to bind
      return {std::begin(kServing), std::end(kServing)};
    case Command::kExport:
      // Listens or dials as NAME.toml says, read after this drop; like the unit that runs it,
      // it keeps no right to bind a port below 1024 (USB/IP's is 3240): such a policy address
      // fails to bind, with the error naming it.
      return {std::begin(kServing), std::end(kServing)};
    case Command::kList:         // reads sysfs and udev, both readable by root without a capability
    case Command::kCheckPolicy:  // reads root-owned files only
    case Command::kNone:
      break;
  }
  return {};
}

std::string capabilityNames(std::span<const CapabilityUse> capabilities) {
  std::string names;
  for (const auto& use : capabilities) {
    if (!names.empty()) names += ' ';
    names += use.name;
  }
  return names.empty() ? "none" : names;
}

void keepOnlyCapabilities(std::span<const CapabilityUse> keep) {
  if (const int threads = countThreads(); threads != 1) {
    throw std::logic_error("keepOnlyCapabilities: the process has " + std::to_string(threads) +
                           " threads; capabilities must be dropped while single-threaded");
  }
  errno = 0;
  checkCapng(capng_get_caps_process(), "capng_get_caps_process");
  if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) {
    // Its bounding set stays as it is: that only matters when executing a set-uid program,
    // and the worker is none.
    spdlog::info("running without capabilities: nothing to drop");
    return;
  }
  const bool canNarrowBounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) != 0;
  std::vector<CapabilityUse> held;
  std::string missing;
  for (const auto& use : keep) {
    if (capng_have_capability(CAPNG_PERMITTED, static_cast<unsigned>(use.capability))) {
      held.push_back(use);
    } else {
      missing += std::string(missing.empty() ? "" : " ") + use.name;
    }
  }
  if (!missing.empty()) {
    spdlog::warn("started without {}: the workers' sandbox or stopping them may fail", missing);
  }

  capng_clear(CAPNG_SELECT_ALL);
  for (const auto& use : held) {
    checkCapng(capng_update(CAPNG_ADD,
                            static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED |
                                                      CAPNG_BOUNDING_SET),
                            static_cast<unsigned>(use.capability)),
               std::string("capng_update(") + use.name + ")");
  }
  // The bounding set first: narrowing it takes CAP_SETPCAP, which the last step may remove.
  // One set at a time, because capng_apply(CAPNG_SELECT_ALL) reports only the last result.
  if (canNarrowBounds) {
    checkCapng(capng_apply(CAPNG_SELECT_BOUNDS), "capng_apply: narrow the bounding set");
  }
  checkCapng(capng_apply(CAPNG_SELECT_AMBIENT), "capng_apply: empty the ambient set");
  checkCapng(capng_apply(CAPNG_SELECT_CAPS), "capng_apply: keep only the needed capabilities");

  checkCapng(capng_get_caps_process(), "capng_get_caps_process");
  const std::string extra = extraInBoundingSet(held);
  if (!extra.empty()) {
    spdlog::warn("without CAP_SETPCAP the bounding set keeps {} as well", extra);
  }
  // Worth a line at start-up for a serving broker; list and check-policy print for a person,
  // whose output it would only clutter.
  spdlog::log(held.empty() ? spdlog::level::debug : spdlog::level::info,
              "capabilities kept: {}; every other one dropped, bounding set included",
              capabilityNames(held));
}

}  // namespace usbip
