// The command line of usbip-client-helper: commands, options, help texts and exit codes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "common/address.h"

namespace usbip::client {

// Exit codes scripts can rely on; the help text documents them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a runtime failure: refused import, no free port...
inline constexpr int kExitUsage = 2;    // the command line was wrong

enum class Command { kNone, kAttach, kListen, kList, kPort, kDetach };

struct Invocation {
  Command command = Command::kNone;
  bool help = false;  // print help for `command` (or the overview when kNone) and exit 0
  std::string logLevel = "info";
  bool json = false;                         // attach, list, port
  Address address;                           // attach, listen, list
  std::string busid;                         // attach
  uint32_t port = 0;                         // detach
  std::chrono::milliseconds timeout{10000};  // attach, listen, list: for the server's reply
  std::filesystem::path sysfsDir;            // where vhci_hcd.0 lives (tests point it elsewhere)
  std::filesystem::path stateDir;            // where the port records live
};

// Parses argv[1..]. Throws std::invalid_argument with a message naming what was wrong.
Invocation parseCommandLine(std::span<const std::string> arguments);

// The help text for one command, or the overview for Command::kNone.
std::string helpText(Command command);

}  // namespace usbip::client
