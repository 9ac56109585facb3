// The confinement the worker enters before it reads a single byte from the network. See
// docs/security.md ("Worker sandbox") for the steps, why they are in this order, and the
// worker's start-up around it: libusb_init() before, the kj event loop after.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace usbip::worker {

struct SandboxConfig {
  // Descriptors that stay open; every other one is closed. Borrowed: the caller's UniqueFds
  // still own them. Typically stderr (the log), the IPC socket (fd 3) and libusb's event and
  // timer fds (libusb_get_pollfds); the client socket and the usbfs fd too if the worker already
  // holds them. Each must be a socket, pipe or device: a directory or regular file would be a
  // way back to the host file system and is refused. Fds an event loop opened itself (kj's
  // epoll) cannot be listed: make the loop after entering.
  std::vector<int> keepFds{STDERR_FILENO};

  // Who the worker runs as. Both or neither: when neither is set, the system user `userName` is
  // looked up (before the file system disappears), falling back to 65534 (nobody) with a warning.
  // Root (0) is refused. Ignored when started unprivileged: then the invoking user is kept.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string userName = "usbip-worker";

  // RLIMIT_DATA: heap and every other private writable mapping together.
  uint64_t memoryCapBytes = 256ull << 20;
  // RLIMIT_NOFILE: limits fd *numbers*, so it must be above every kept fd.
  uint64_t fdCap = 64;

  // Started without root, the other namespaces can only be created inside a new user namespace.
  // Has no effect when started as root (the worker then switches to the unprivileged uid instead).
  bool useUserNamespaceWhenUnprivileged = true;

  // Set only by `--insecure-no-sandbox`: enterSandbox() then logs a loud warning and confines
  // nothing. For debugging the worker under gdb or strace, never for serving real clients.
  bool insecureNoSandbox = false;

  // Test only: runs inside the sandbox after the self-check and before the seccomp filter, so a
  // test can look at what the filter would forbid (listing "/", for one). Empty in production.
  std::function<void()> testHookBeforeSeccomp;
};

// Confines the calling process; see docs/security.md. The process must be single-threaded. It
// forks once: the caller's code continues in the child, as PID 1 of a new PID namespace, while
// the parent stays behind as a small unprivileged supervisor that forwards SIGTERM/SIGINT/SIGHUP
// and exits exactly as the worker did (same code, or the same fatal signal), so whoever started
// the worker still reaps the real exit reason. Throws std::invalid_argument for a bad config and
// std::system_error when a step fails; either is fatal: the caller must exit, never serve. If the
// final self-check finds the confinement incomplete, the process exits with
// kSandboxSelfCheckFailedExitCode instead of returning.
void enterSandbox(const SandboxConfig& config);

inline constexpr int kSandboxSelfCheckFailedExitCode = 70;  // EX_SOFTWARE

// Empty when this process may build the sandbox (can create the namespaces, has seccomp);
// otherwise why not, in words fit for a test's skip message.
std::optional<std::string> sandboxUnavailableReason();

// The warning `--insecure-no-sandbox` logs; enterSandbox() calls it when the flag is set.
void warnInsecureNoSandbox();

}  // namespace usbip::worker
