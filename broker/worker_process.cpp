#include "broker/worker_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/spawn.h"
#include "common/syscall.h"

namespace usbip {

std::string defaultWorkerPath() {
  const auto self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path() / "usbip-worker").string();
}

pid_t spawnWorker(const WorkerCommand& command, const UniqueFd& ipcEnd, const UniqueFd& stderrEnd) {
  std::vector<std::string> arguments = {"--log-level", command.logLevel};
  if (command.peerTimeoutSeconds) {
    arguments.insert(arguments.end(),
                     {"--peer-timeout", std::to_string(*command.peerTimeoutSeconds)});
  }
  if (!command.usbfsMemory) arguments.emplace_back("--no-usbfs-memory");
  return spawnWorkerProgram(command.path, arguments, ipcEnd, stderrEnd);
}

pid_t spawnWorkerProgram(const std::string& path, const std::vector<std::string>& arguments,
                         const UniqueFd& ipcEnd, const UniqueFd& stderrEnd) {
  // dup2(fd, fd) would leave close-on-exec set; keep the source away from the target number.
  UniqueFd moved;
  int source = ipcEnd.get();
  if (source == kWorkerIpcFd) {
    moved = UniqueFd(checkSyscall(::fcntl(source, F_DUPFD_CLOEXEC, kWorkerIpcFd + 1),
                                  "move the worker's IPC descriptor"));
    source = moved.get();
  }
  SpawnFileActions files;
  checkSpawn(
      posix_spawn_file_actions_addopen(&files.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
      "spawn: stdin from /dev/null");
  checkSpawn(posix_spawn_file_actions_adddup2(&files.actions, stderrEnd.get(), STDERR_FILENO),
             "spawn: log pipe as stderr");
  checkSpawn(posix_spawn_file_actions_adddup2(&files.actions, source, kWorkerIpcFd),
             "spawn: IPC descriptor as fd 3");
  // Everything of ours is close-on-exec already; this makes sure of it.
  checkSpawn(posix_spawn_file_actions_addclosefrom_np(&files.actions, kWorkerIpcFd + 1),
             "spawn: close other descriptors");

  SpawnAttributes attrs;
  sigset_t none, defaults;
  sigemptyset(&none);
  sigfillset(&defaults);
  checkSpawn(posix_spawnattr_setsigmask(&attrs.attributes, &none), "spawn: signal mask");
  checkSpawn(posix_spawnattr_setsigdefault(&attrs.attributes, &defaults), "spawn: signals");
  checkSpawn(
      posix_spawnattr_setflags(&attrs.attributes,
                               POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID),
      "spawn: flags");

  std::vector<std::string> args = {path};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv = spawnArgv(args);
  char* envp[] = {nullptr};
  pid_t pid = 0;
  checkSpawn(posix_spawn(&pid, path.c_str(), &files.actions, &attrs.attributes, argv.data(), envp),
             ("start worker " + path).c_str());
  return pid;
}

void waitForExit(pid_t pid) {
  siginfo_t info{};
  retrySyscall("wait for worker " + std::to_string(pid),
               [&] { return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT); });
}

WorkerEnd reapWorker(pid_t pid) {
  int status = 0;
  // wait4: the usage it reports includes the children the worker reaped, so its peak resident
  // size covers the sandboxed worker behind the supervisor too.
  rusage usage{};
  retrySyscall("reap worker " + std::to_string(pid),
               [&] { return ::wait4(pid, &status, 0, &usage); });
  const auto peak = static_cast<uint64_t>(std::max<long>(usage.ru_maxrss, 0));
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return {code == 0, "exited with status " + std::to_string(code), peak};
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::sigdescr_np(sig);
    return {false,
            "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")" +
                (WCOREDUMP(status) ? ", core dumped" : ""),
            peak};
  }
  return {false, "ended with wait status " + std::to_string(status), peak};
}

}  // namespace usbip
