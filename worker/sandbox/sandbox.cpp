// enterSandbox(): the order of the confinement steps, read top to bottom. Each step is a function
// of its own (steps.h); this file only checks the config and runs them.
#include "worker/sandbox/sandbox.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "worker/sandbox/preparation.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker {

namespace {

sandbox::ResourceCaps resourceCapsFrom(const SandboxConfig& config) {
  return {.memoryBytes = config.memoryCapBytes, .fds = config.fdCap};
}

}  // namespace

void enterSandbox(const SandboxConfig& config) {
  if (config.insecureNoSandbox) {
    warnInsecureNoSandbox();
    return;
  }

  // Everything that needs the host's files happens before step 1: reading the config's user
  // from the user database, checking the kept fds, loading what libc loads lazily.
  sandbox::requireSingleThreaded();
  sandbox::requireAcceptableKeptFds(config.keepFds, config.fdCap);
  const sandbox::Identity identity = sandbox::resolveIdentity(config);
  const sandbox::ResourceCaps caps = resourceCapsFrom(config);
  sandbox::warmUpLazyInitialisation();

  sandbox::closeOtherFds(config.keepFds);
  UniqueFd supervisorLifeline = sandbox::unshareNamespaces(identity);  // now PID 1
  sandbox::setupEmptyRoot();
  sandbox::dropSuperuser(identity);
  sandbox::stayTiedToSupervisor(std::move(supervisorLifeline));
  sandbox::dropCapabilities();
  sandbox::setResourceLimits(caps);
  sandbox::checkConfinementBeforeSeccomp(identity, caps);
  if (config.testHookBeforeSeccomp) config.testHookBeforeSeccomp();
  // Seccomp last, so that the steps above may use what it forbids (mount, unshare, open, ...).
  sandbox::installSeccompFilter();
  sandbox::checkSeccompActive();

  spdlog::info("worker sandbox entered: uid {} gid {}, empty root, no capabilities, seccomp on",
               identity.uid, identity.gid);
}

void warnInsecureNoSandbox() {
  static constexpr const char* kLines[] = {
      "**************************************************************************",
      "* --insecure-no-sandbox: the worker runs WITHOUT its sandbox.            *",
      "* No namespaces, no seccomp filter, the starting user's privileges kept. *",
      "* Client bytes are parsed with full access to this host. Debugging only; *",
      "* never serve an untrusted client like this.                             *",
      "**************************************************************************",
  };
  for (const char* line : kLines) {
    spdlog::critical("{}", line);
  }
}

}  // namespace usbip::worker
