// The command line of usbip-host: commands, options, help texts and exit codes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/address.h"

namespace usbip {

// Exit codes scripts can rely on; the help text documents them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a runtime failure, or an invalid policy directory
inline constexpr int kExitUsage = 2;    // the command line was wrong (unknown option, bad DEVICE)

enum class Command { kNone, kListen, kConnect, kList, kCheckPolicy, kExport };

struct Invocation {
  Command command = Command::kNone;
  bool help = false;  // print help for `command` (or the overview when kNone) and exit 0
  std::string logLevel = "info";
  Address address;                        // listen, connect
  std::vector<std::string> devices;       // listen (zero or more), connect (exactly one)
  std::optional<std::string> workerPath;  // listen, connect: overrides the usbip-worker next to us
  bool json = false;                      // list
  // listen, connect: rule F11's timeout, handed to every worker (its default when unset).
  std::optional<unsigned> peerTimeoutSeconds;
  // listen, connect, export: the workers' transfer buffers in memory mapped from usbfs (the
  // default), or on the heap (--no-usbfs-memory; worker/usbfs_memory_pool.h).
  bool usbfsMemory = true;
  // Every command but none: the policy directory given with --policy-dir; without it the
  // default, which may be missing (then no policy file exists), while a directory given
  // explicitly must exist.
  std::optional<std::string> policyDir;
  std::string exportName;  // export: a policy file name (NAME.toml) or a bus ID
};

// Parses argv[1..]. Throws std::invalid_argument with a message naming what was wrong; DEVICE
// arguments are checked for syntax here (not for presence).
Invocation parseCommandLine(std::span<const std::string> arguments);

// The help text for one command, or the overview for Command::kNone.
std::string helpText(Command command);

}  // namespace usbip
