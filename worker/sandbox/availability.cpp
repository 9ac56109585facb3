// sandboxUnavailableReason(): whether this process has what building the sandbox takes. It checks
// the prerequisites only (namespaces can be created, seccomp exists), never the sandbox itself,
// so that a broken sandbox fails its tests instead of skipping them.
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "worker/sandbox/sandbox.h"

namespace usbip::worker {

std::optional<std::string> sandboxUnavailableReason() {
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    return "this kernel has no seccomp: " + std::string(std::strerror(errno));
  }
  const bool privileged = ::geteuid() == 0;
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  if (!privileged) flags |= CLONE_NEWUSER;

  // Tried in a throw-away child so that this process keeps its namespaces.
  const pid_t probe = ::fork();
  if (probe < 0) return "fork failed: " + std::string(std::strerror(errno));
  if (probe == 0) ::_exit(::unshare(flags) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(probe, &status, 0) < 0) {
    if (errno != EINTR) return "waitpid failed: " + std::string(std::strerror(errno));
  }
  if (!WIFEXITED(status)) return "the namespace probe died";
  if (WEXITSTATUS(status) == 0) return std::nullopt;
  return std::string(privileged ? "root cannot create namespaces here"
                                : "unprivileged user namespaces are not allowed here") +
         " (unshare: " + std::strerror(WEXITSTATUS(status)) + ")";
}

}  // namespace usbip::worker
