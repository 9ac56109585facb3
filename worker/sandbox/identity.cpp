// resolveIdentity(): which unprivileged user the worker becomes.
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/syscall.h"
#include "worker/sandbox/preparation.h"

namespace usbip::worker::sandbox {

namespace {

constexpr uid_t kNobody = 65534;

std::optional<Identity> lookUpUser(const std::string& name) {
  long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<size_t>(suggested) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
         ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (rc != 0) throwErrno(rc, "getpwnam_r(" + name + ")");
  if (found == nullptr) return std::nullopt;
  return Identity{.uid = found->pw_uid, .gid = found->pw_gid, .inUserNamespace = false};
}

Identity unprivilegedIdentity(const SandboxConfig& config) {
  if (!config.useUserNamespaceWhenUnprivileged) {
    throw std::invalid_argument(
        "enterSandbox: started without root and useUserNamespaceWhenUnprivileged is false; "
        "without either the namespaces cannot be created");
  }
  // Unprivileged, the only uid that can be mapped into the new user namespace is our own.
  return Identity{.uid = ::getuid(), .gid = ::getgid(), .inUserNamespace = true};
}

Identity privilegedIdentity(const SandboxConfig& config) {
  if (config.uid.has_value() != config.gid.has_value()) {
    throw std::invalid_argument("SandboxConfig: set both uid and gid, or neither");
  }
  Identity identity;
  if (config.uid) {
    identity = {.uid = *config.uid, .gid = *config.gid, .inUserNamespace = false};
  } else if (auto user = lookUpUser(config.userName)) {
    identity = *user;
  } else {
    spdlog::warn(
        "worker sandbox: no user '{}' on this system; running as nobody ({}). Create "
        "the system user (systemd/sysusers.d) so workers do not share nobody's uid",
        config.userName, kNobody);
    identity = {.uid = kNobody, .gid = kNobody, .inUserNamespace = false};
  }
  if (identity.uid == 0 || identity.gid == 0) {
    throw std::invalid_argument("SandboxConfig: the worker identity must not be root (uid " +
                                std::to_string(identity.uid) + ", gid " +
                                std::to_string(identity.gid) + ")");
  }
  return identity;
}

}  // namespace

Identity resolveIdentity(const SandboxConfig& config) {
  return ::geteuid() == 0 ? privilegedIdentity(config) : unprivilegedIdentity(config);
}

}  // namespace usbip::worker::sandbox
