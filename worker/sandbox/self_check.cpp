// Step 8: the worker checks its own confinement before it serves. Each check tries something the
// sandbox must forbid and expects it to fail, or reads back what a step set. Failing checks are
// all logged, then the process exits: a worker that is less confined than designed never reads
// a client byte.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

namespace {

// Empty when the check passed, else what was wrong.
using Finding = std::optional<std::string>;

Finding rootIsEmpty() {
  std::unique_ptr<DIR, int (*)(DIR*)> root(::opendir("/"), &::closedir);
  if (!root) return "cannot list /: " + std::string(std::strerror(errno));
  while (const dirent* entry = ::readdir(root.get())) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") return "/ is not empty: it holds " + name;
  }
  return std::nullopt;
}

Finding hostFilesUnreachable() {
  UniqueFd file(::open("/etc/passwd", O_RDONLY | O_CLOEXEC));
  if (file) return "/etc/passwd can be opened";
  return std::nullopt;
}

Finding rootIsReadOnly() {
  constexpr const char* kProbe = "/sandbox-self-check-probe";
  if (::mkdir(kProbe, 0700) != 0) return std::nullopt;
  ::rmdir(kProbe);  // run unconfined (in a test), the check must not leave litter behind
  return "a directory can be created in /";
}

Finding runsAsWorkerIdentity(const Identity& identity) {
  uid_t realUid = 0, effectiveUid = 0, savedUid = 0;
  gid_t realGid = 0, effectiveGid = 0, savedGid = 0;
  if (::getresuid(&realUid, &effectiveUid, &savedUid) != 0 ||
      ::getresgid(&realGid, &effectiveGid, &savedGid) != 0) {
    return "cannot read the process's ids";
  }
  for (const uid_t uid : {realUid, effectiveUid, savedUid}) {
    if (uid == 0 || uid != identity.uid) return "uid is " + std::to_string(uid);
  }
  for (const gid_t gid : {realGid, effectiveGid, savedGid}) {
    if (gid == 0 || gid != identity.gid) return "gid is " + std::to_string(gid);
  }
  // A user namespace cannot drop supplementary groups; they show as the overflow gid there.
  if (!identity.inUserNamespace && ::getgroups(0, nullptr) != 0) {
    return "supplementary groups remain";
  }
  return std::nullopt;
}

Finding cannotBecomeRoot() {
  if (::setuid(0) == 0) return "setuid(0) succeeded";
  return std::nullopt;
}

Finding hasNoCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct sets[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, sets) != 0) {
    return "capget failed: " + std::string(std::strerror(errno));
  }
  for (const auto& set : sets) {
    if (set.effective != 0 || set.permitted != 0 || set.inheritable != 0) {
      return "effective, permitted or inheritable capabilities remain";
    }
  }
  // PR_CAPBSET_READ fails with EINVAL past the last capability this kernel knows.
  for (unsigned long capability = 0;; ++capability) {
    const int inBounding = ::prctl(PR_CAPBSET_READ, capability, 0, 0, 0);
    if (inBounding < 0) break;
    if (inBounding == 1)
      return "capability " + std::to_string(capability) + " is in the bounding set";
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability, 0, 0) == 1) {
      return "capability " + std::to_string(capability) + " is in the ambient set";
    }
  }
  return std::nullopt;
}

Finding cannotGainPrivileges() {
  if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return "no_new_privs is not set";
  if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return "the process is dumpable";
  return std::nullopt;
}

// An empty network namespace still lets a socket be created; it has nowhere to go: the only
// interface is the loopback, and it is down.
Finding hasNoNetwork() {
  UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe) return std::nullopt;
  sockaddr_in documentationAddress{};
  documentationAddress.sin_family = AF_INET;
  documentationAddress.sin_port = htons(9);
  documentationAddress.sin_addr.s_addr = htonl(0xc0000201);  // 192.0.2.1, TEST-NET-1
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&documentationAddress),
                sizeof documentationAddress) == 0) {
    return "a route out exists (connect to 192.0.2.1 succeeded)";
  }
  return std::nullopt;
}

Finding isAloneInItsNamespaces() {
  if (::getpid() != 1)
    return "not PID 1 of a new PID namespace (pid " + std::to_string(getpid()) + ")";
  char hostName[64] = {};
  if (::gethostname(hostName, sizeof hostName - 1) != 0) return "cannot read the host name";
  if (std::string(hostName) != "usbip-worker") return "host name is " + std::string(hostName);
  return std::nullopt;
}

Finding hasLimits(const ResourceCaps& caps) {
  struct Expected {
    int resource;
    const char* name;
    rlim_t value;
  };
  const Expected expected[] = {
    {RLIMIT_NPROC, "RLIMIT_NPROC", 0},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE", 0},
    {RLIMIT_CORE, "RLIMIT_CORE", 0},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE", caps.fds},
#if !defined(__SANITIZE_ADDRESS__)
    {RLIMIT_DATA, "RLIMIT_DATA", caps.memoryBytes},
#endif
  };
  for (const auto& [resource, name, value] : expected) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) != 0) return std::string("getrlimit(") + name + ") failed";
    if (limit.rlim_cur != value || limit.rlim_max != value) {
      return std::string(name) + " is " + std::to_string(limit.rlim_max) + ", not " +
             std::to_string(value);
    }
  }
  return std::nullopt;
}

[[noreturn]] void refuseToServe(const std::vector<std::string>& problems) {
  for (const std::string& problem : problems) {
    spdlog::critical("worker sandbox self-check failed: {}", problem);
  }
  spdlog::critical("worker sandbox incomplete; exiting before serving");
  spdlog::default_logger()->flush();
  // Not abort(): as PID 1 of its namespace the worker ignores its own SIGABRT.
  ::_exit(kSandboxSelfCheckFailedExitCode);
}

}  // namespace

void checkConfinementBeforeSeccomp(const Identity& identity, const ResourceCaps& caps) {
  const Finding findings[] = {
      rootIsEmpty(),
      hostFilesUnreachable(),
      rootIsReadOnly(),
      runsAsWorkerIdentity(identity),
      cannotBecomeRoot(),
      hasNoCapabilities(),
      cannotGainPrivileges(),
      hasNoNetwork(),
      isAloneInItsNamespaces(),
      hasLimits(caps),
  };
  std::vector<std::string> problems;
  for (const Finding& finding : findings) {
    if (finding) problems.push_back(*finding);
  }
  if (!problems.empty()) refuseToServe(problems);
}

void checkSeccompActive() {
  const int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  if (mode != 2) refuseToServe({"seccomp mode is " + std::to_string(mode) + ", not 2 (filter)"});
}

}  // namespace usbip::worker::sandbox
