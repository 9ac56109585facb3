// The one table of what the sandboxed worker may call. Before adding a row, ask whether the call
// can happen before enterSandbox() instead (libusb_init, creating the event loop, opening
// anything): the sandbox is entered after the IPC bootstrap precisely so that this list can stay
// this short. Deliberately absent, among everything else: socket, connect, bind, accept, open,
// openat, execve, execveat, ptrace, mount, umount2, pivot_root, chroot, unshare, setns, clone,
// clone3, fork, vfork, kill, bpf, keyctl, perf_event_open, process_vm_*, setuid and friends.
#include "worker/sandbox/syscall_allowlist.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>

namespace usbip::worker::sandbox {

namespace {

std::vector<PermittedValue> ioctlRequests() {
  return {
      // The URB loop.
      {USBDEVFS_SUBMITURB, "USBDEVFS_SUBMITURB", "queues a URB: every transfer the client sends"},
      {USBDEVFS_REAPURBNDELAY, "USBDEVFS_REAPURBNDELAY", "collects completed URBs, never blocking"},
      {USBDEVFS_DISCARDURB, "USBDEVFS_DISCARDURB", "cancels a URB (CMD_UNLINK, timeouts)"},
      // Standard requests the client makes that usbfs must perform itself.
      {USBDEVFS_SETCONFIGURATION, "USBDEVFS_SETCONFIGURATION", "SET_CONFIGURATION from the client"},
      {USBDEVFS_SETINTERFACE, "USBDEVFS_SETINTERFACE", "SET_INTERFACE (alternate setting)"},
      {USBDEVFS_CLEAR_HALT, "USBDEVFS_CLEAR_HALT", "CLEAR_FEATURE(ENDPOINT_HALT) after a stall"},
      {USBDEVFS_RESET, "USBDEVFS_RESET", "port reset requested by the client"},
      {USBDEVFS_CLAIMINTERFACE, "USBDEVFS_CLAIMINTERFACE",
       "claims an interface the broker freed of its kernel driver"},
      {USBDEVFS_RELEASEINTERFACE, "USBDEVFS_RELEASEINTERFACE",
       "releases it (also libusb, around a reset)"},
      // What libusb_wrap_sys_device() and libusb_open-time set-up ask.
      {USBDEVFS_GET_CAPABILITIES, "USBDEVFS_GET_CAPABILITIES",
       "libusb learns zero-packet, bulk continuation and scatter-gather support"},
      {USBDEVFS_CONNECTINFO, "USBDEVFS_CONNECTINFO",
       "libusb reads the device number (its /proc readlink is refused, see below)"},
      {USBDEVFS_GET_SPEED, "USBDEVFS_GET_SPEED", "libusb reads the device speed"},
      {USBDEVFS_CONTROL, "USBDEVFS_CONTROL",
       "libusb reads the active configuration with a synchronous GET_CONFIGURATION"},
      {USBDEVFS_GETDRIVER, "USBDEVFS_GETDRIVER",
       "read-only: which driver holds an interface (libusb before re-claiming after a reset)"},
      // Refused: each would let the worker unbind or drive kernel drivers, which is the broker's
      // job. The errnos make libusb take its old-kernel path and end in a plain claim, which the
      // kernel refuses (EBUSY) if a driver does hold the interface.
      {USBDEVFS_DISCONNECT_CLAIM, "USBDEVFS_DISCONNECT_CLAIM",
       "refused as not implemented: it detaches a kernel driver; libusb falls back", ENOTTY},
      {USBDEVFS_IOCTL, "USBDEVFS_IOCTL",
       "refused as 'no driver bound': a multiplexer into interface drivers (DISCONNECT/CONNECT "
       "among them) whose sub-request the filter cannot see; libusb then claims plainly",
       ENODATA},
      // Descriptors the event loop wraps.
      {FIONBIO, "FIONBIO", "kj makes a wrapped fd non-blocking"},
      {FIOCLEX, "FIOCLEX", "kj marks a wrapped fd close-on-exec"},
      {TCGETS, "TCGETS", "refused as 'not a terminal': isatty() from stdio", ENOTTY},
  };
}

std::vector<PermittedValue> fcntlCommands() {
  return {
      {F_GETFD, "F_GETFD", "libusb and kj read descriptor flags"},
      {F_SETFD, "F_SETFD", "close-on-exec on received fds"},
      {F_GETFL, "F_GETFL", "status flags (non-blocking)"},
      {F_SETFL, "F_SETFL", "non-blocking mode on libusb's and kj's fds"},
      {F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC",
       "keep an fd received over IPC (client socket, usbfs) once Cap'n Proto closes its copy"},
  };
}

std::vector<AllowedSyscall> buildAllowlist() {
  using enum ArgumentRule;
  return {
      // Memory: glibc malloc, C++ new, kj arenas. Never executable: no JIT, no dlopen.
      {.name = "brk", .why = "malloc grows the main heap"},
      {.name = "mmap",
       .why = "malloc's large blocks and arenas; transfer buffers mapped from the usbfs fd",
       .rule = kWithoutBits,
       .argument = 2,
       .forbiddenBits = PROT_EXEC},
      {.name = "mprotect",
       .why = "malloc arenas grow by making reserved pages writable; guard pages",
       .rule = kWithoutBits,
       .argument = 2,
       .forbiddenBits = PROT_EXEC},
      {.name = "munmap", .why = "free() of large blocks"},
      {.name = "mremap", .why = "realloc() of large blocks (URB buffers)"},
      {.name = "madvise", .why = "free() hands pages back (MADV_DONTNEED/MADV_FREE)"},

      // Descriptors and I/O, on the fds the worker was handed or created before entering.
      {.name = "read",
       .why = "client and IPC sockets, eventfd/timerfd counters, usbfs descriptors"},
      {.name = "write", .why = "client socket, log on stderr, eventfd wake-ups"},
      {.name = "readv", .why = "scattered reads of URB payloads (kj, the codec)"},
      {.name = "writev", .why = "header and payload in one write (RET_SUBMIT, kj messages)"},
      {.name = "recvmsg", .why = "IPC from the broker, with fds (the usbfs fd) in SCM_RIGHTS"},
      {.name = "recvfrom", .why = "recv() on the connected client socket (no address)"},
      {.name = "sendmsg", .why = "IPC to the broker"},
      {.name = "shutdown", .why = "orderly end of the client stream (kj shutdownWrite)"},
      {.name = "close", .why = "fds the worker is done with"},
      {.name = "lseek", .why = "libusb rewinds the usbfs fd to read the descriptors"},
      {.name = "fcntl",
       .why = "descriptor flags only",
       .rule = kOneOf,
       .argument = 1,
       .values = fcntlCommands()},
      {.name = "ioctl",
       .why = "the usbfs requests libusb makes, and two fd flags",
       .rule = kOneOf,
       .argument = 1,
       .values = ioctlRequests()},
      {.name = "fstat", .why = "stdio and libusb look at an fd's type"},
      {.name = "newfstatat", .why = "glibc's fstat(); by path it finds nothing: the root is empty"},
      {.name = "readlink",
       .why = "refused as 'no such file': libusb_wrap_sys_device asks /proc/self/fd/N for the "
              "device path and falls back to USBDEVFS_CONNECTINFO",
       .refuseWith = ENOENT},
      {.name = "readlinkat", .why = "the same, spelled the newer way", .refuseWith = ENOENT},

      // Waiting for events.
      {.name = "poll", .why = "libusb's event wait; the worker's own loop"},
      {.name = "ppoll", .why = "the same with a signal mask"},
      {.name = "epoll_wait", .why = "kj's event loop"},
      {.name = "epoll_pwait", .why = "kj's event loop with a signal mask"},
      {.name = "epoll_ctl", .why = "kj watches a new fd (the received usbfs fd)"},
      {.name = "epoll_create1", .why = "an event loop made after entering (anonymous, capped)"},
      {.name = "eventfd2", .why = "libusb and kj wake-ups (anonymous, capped by RLIMIT_NOFILE)"},
      {.name = "signalfd4", .why = "kj's event loop, made after entering, takes signals this way"},
      {.name = "timerfd_create", .why = "libusb transfer timeouts"},
      {.name = "timerfd_settime", .why = "libusb arms the next timeout"},
      {.name = "timerfd_gettime", .why = "libusb reads the armed timeout"},

      // Time. Usually answered by the vDSO without a system call; these are the fallbacks.
      {.name = "clock_gettime", .why = "timestamps, timeouts, log time"},
      {.name = "clock_getres", .why = "timer resolution"},
      {.name = "gettimeofday", .why = "wall clock for logs"},
      {.name = "nanosleep", .why = "short back-offs"},
      {.name = "clock_nanosleep", .why = "the same, as glibc spells it"},

      // Threads and signals, within this process only.
      {.name = "futex", .why = "mutexes and condition variables (libusb, spdlog, libstdc++)"},
      {.name = "sched_yield", .why = "spin locks back off"},
      {.name = "getcpu", .why = "sched_getcpu() in kj when rseq does not answer it"},
      {.name = "rt_sigreturn", .why = "return from a signal handler"},
      {.name = "rt_sigprocmask", .why = "kj and abort() mask signals"},
      {.name = "rt_sigaction", .why = "the worker, as PID 1, installs its SIGTERM handler"},
      {.name = "restart_syscall", .why = "the kernel restarts an interrupted wait"},
      {.name = "tgkill",
       .why = "abort() and raise() signal this process; no other",
       .rule = kOwnProcess,
       .argument = 0},
      {.name = "getpid", .why = "logs, raise()"},
      {.name = "gettid", .why = "spdlog and libusb tag log lines with the thread id"},
      {.name = "getrandom", .why = "std::random_device and hash seeds; reads the kernel RNG only"},
      {.name = "exit", .why = "end of the (only) thread"},
      {.name = "exit_group", .why = "end of the worker"},
#if defined(__SANITIZE_ADDRESS__)
      // AddressSanitizer builds only (CI's build-asan): before every throw and noreturn call
      // its runtime asks where the signal stack is, to unpoison it.
      {.name = "sigaltstack", .why = "AddressSanitizer builds only: the runtime's stack query"},
#endif

      // The self-check right after the filter goes in.
      {.name = "prctl",
       .why = "reading the seccomp mode only",
       .rule = kOneOf,
       .argument = 0,
       .values = {{PR_GET_SECCOMP, "PR_GET_SECCOMP", "the self-check confirms filter mode"}}},
  };
}

}  // namespace

const std::vector<AllowedSyscall>& syscallAllowlist() {
  static const std::vector<AllowedSyscall> allowlist = buildAllowlist();
  return allowlist;
}

}  // namespace usbip::worker::sandbox
