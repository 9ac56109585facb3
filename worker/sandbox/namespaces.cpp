// Step 2: unshareNamespaces().
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"
#include "worker/sandbox/supervisor.h"

namespace usbip::worker::sandbox {

namespace {

void writeProcFile(const char* path, std::string_view content) {
  UniqueFd file(retrySyscall(std::string("open(") + path + ")",
                             [path] { return ::open(path, O_WRONLY | O_CLOEXEC); }));
  // The id map files take their whole content in one write.
  const ssize_t written = retrySyscall(std::string("write(") + path + ")", [&] {
    return ::write(file.get(), content.data(), content.size());
  });
  if (static_cast<size_t>(written) != content.size()) {
    throwErrno(EIO, std::string("short write to ") + path);
  }
}

// Unprivileged, the only mapping the kernel allows is our own uid and gid, and the gid map only
// once setgroups() has been denied for good in the namespace.
void mapOwnIdentity(const Identity& identity) {
  writeProcFile("/proc/self/setgroups", "deny");
  writeProcFile("/proc/self/gid_map",
                std::to_string(identity.gid) + " " + std::to_string(identity.gid) + " 1\n");
  writeProcFile("/proc/self/uid_map",
                std::to_string(identity.uid) + " " + std::to_string(identity.uid) + " 1\n");
}

// A new PID namespace applies to the children of the caller only, never to the caller itself.
// Two ways to put the worker inside one: the broker spawns it with clone(CLONE_NEWPID), or the
// worker forks once more after unshare(). We fork here, so the sandbox is one self-contained
// call that works however the worker was started (broker, test, by hand). The parent stays
// behind as a supervisor that drops every privilege and fd, forwards termination signals, and
// exits exactly as the worker did, so the broker's waitpid() on the pid it spawned still sees
// the worker's real exit code or fatal signal (SIGSYS after a seccomp kill, for one).
UniqueFd becomePidOneOfNewNamespace(const Identity& identity) {
  int lifelineFds[2];
  checkSyscall(::pipe2(lifelineFds, O_CLOEXEC), "pipe2 for the supervisor lifeline");
  UniqueFd lifelineRead(lifelineFds[0]);
  UniqueFd lifelineWrite(lifelineFds[1]);

  const pid_t worker = checkSyscall(::fork(), "fork into the new PID namespace");
  if (worker != 0) superviseWorker(worker, std::move(lifelineWrite), identity);  // never returns
  lifelineWrite.reset();
  return lifelineRead;
}

}  // namespace

UniqueFd unshareNamespaces(const Identity& identity) {
  // Mount: a private view to empty (step 3). IPC: no host SysV objects or POSIX queues. UTS: a
  // neutral host name. Network: only the loopback interface, down; the worker uses the sockets it
  // was handed and can reach nothing else, not even abstract unix sockets on the host.
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  if (identity.inUserNamespace) flags |= CLONE_NEWUSER;
  checkSyscall(::unshare(flags), identity.inUserNamespace
                                     ? "unshare(user, mount, pid, ipc, uts, net)"
                                     : "unshare(mount, pid, ipc, uts, net)");
  if (identity.inUserNamespace) mapOwnIdentity(identity);

  static constexpr std::string_view kHostName = "usbip-worker";
  checkSyscall(::sethostname(kHostName.data(), kHostName.size()),
               "sethostname in the new UTS namespace");
  return becomePidOneOfNewNamespace(identity);
}

}  // namespace usbip::worker::sandbox
