#include "client-helper/cli.h"

#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "client-helper/port_record.h"
#include "client-helper/vhci.h"
#include "common/command_line.h"

namespace usbip::client {
namespace {

constexpr size_t kMaxBusidLength = 31;  // the wire's 32-byte field less its NUL
constexpr uint32_t kMaxTimeoutSeconds = 3600;

constexpr const char* kExitCodes =
    "\nExit status:\n"
    "  0  success (listen: stopped by SIGINT or SIGTERM)\n"
    "  1  failure (refused import, no free port, vhci_hcd missing, protocol violation...)\n"
    "  2  usage error (unknown command or option, bad argument)\n";

constexpr const char* kAddressForms =
    "ADDR is tcp:HOST:PORT, tcp:[IPV6]:PORT, vsock:CID:PORT, fc-vsock:PATH:PORT or unix:PATH\n"
    "(listen also takes tcp:PORT and vsock:PORT).\n";

constexpr const char* kCommonOptions =
    "  --log-level LEVEL  trace, debug, info (default), warn, error, critical or off\n"
    "  -h, --help         show this help\n";

constexpr const char* kTimeoutOption =
    "  --timeout SECONDS  how long a server may take to answer (default 10)\n";

constexpr const char* kVhciOptions =
    "  --sysfs DIR        where vhci_hcd.0 is (default /sys/devices/platform; for tests)\n"
    "  --state-dir DIR    where port records are kept (default /var/run/vhci_hcd)\n";

constexpr const char* kJsonOption = "  --json             print JSON instead of a table\n";

[[noreturn]] void usage(const std::string& message) {
  throw std::invalid_argument(message);
}

Command commandNamed(const std::string& name) {
  if (name == "attach") return Command::kAttach;
  if (name == "listen") return Command::kListen;
  if (name == "list") return Command::kList;
  if (name == "port") return Command::kPort;
  if (name == "detach") return Command::kDetach;
  usage("unknown command '" + name + "' (expected attach, listen, list, port or detach)");
}

uint32_t parseNumber(const std::string& text, const std::string& what, uint32_t min, uint32_t max) {
  uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    usage(what + " '" + text + "' is not a number from " + std::to_string(min) + " to " +
          std::to_string(max));
  }
  return value;
}

void checkBusid(const std::string& busid) {
  if (busid.empty() || busid.size() > kMaxBusidLength) {
    usage("BUSID '" + busid + "' must be 1 to " + std::to_string(kMaxBusidLength) + " characters");
  }
  for (const char c : busid) {
    if (c <= ' ' || c > '~') usage("BUSID '" + busid + "' holds a space or a control character");
  }
}

void expectArguments(const std::vector<std::string>& positional, size_t count,
                     const std::string& form) {
  if (positional.size() != count) {
    usage("expected '" + form + "', got " + std::to_string(positional.size()) + " argument(s)");
  }
}

}  // namespace

Invocation parseCommandLine(std::span<const std::string> arguments) {
  Invocation inv;
  inv.sysfsDir = kDefaultPlatformDir;
  inv.stateDir = kDefaultStateDir;
  std::vector<std::string> positional;
  bool timeoutGiven = false, vhciDirsGiven = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& arg = arguments[i];
    const auto optionValue = [&](const std::string& name) {
      return takeOptionValue(arguments, i, name);
    };
    if (arg == "-h" || arg == "--help") {
      inv.help = true;
    } else if (auto level = optionValue("--log-level")) {
      inv.logLevel = *level;
    } else if (arg == "--json") {
      inv.json = true;
    } else if (auto seconds = optionValue("--timeout")) {
      inv.timeout = std::chrono::seconds(parseNumber(*seconds, "--timeout", 1, kMaxTimeoutSeconds));
      timeoutGiven = true;
    } else if (auto sysfs = optionValue("--sysfs")) {
      if (sysfs->empty()) usage("option --sysfs needs a directory");
      inv.sysfsDir = *sysfs;
      vhciDirsGiven = true;
    } else if (auto state = optionValue("--state-dir")) {
      if (state->empty()) usage("option --state-dir needs a directory");
      inv.stateDir = *state;
      vhciDirsGiven = true;
    } else if (arg == "--") {
      positional.insert(positional.end(), arguments.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                        arguments.end());
      break;
    } else if (arg.starts_with("-") && arg.size() > 1) {
      usage("unknown option '" + arg + "'");
    } else if (inv.command == Command::kNone) {
      inv.command = commandNamed(arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (inv.help) return inv;

  const Command c = inv.command;
  if (inv.json && c != Command::kAttach && c != Command::kList && c != Command::kPort) {
    usage("option --json applies to attach, list and port only");
  }
  if (timeoutGiven && c != Command::kAttach && c != Command::kListen && c != Command::kList) {
    usage("option --timeout applies to attach, listen and list only");
  }
  if (vhciDirsGiven && c == Command::kList)
    usage("options --sysfs and --state-dir do not apply to list");
  switch (c) {
    case Command::kNone:
      usage("no command given (expected attach, listen, list, port or detach; see --help)");
    case Command::kAttach:
      expectArguments(positional, 2, "attach ADDR BUSID");
      inv.address = parseAddress(positional[0]);
      inv.busid = positional[1];
      checkBusid(inv.busid);
      break;
    case Command::kListen:
      expectArguments(positional, 1, "listen ADDR");
      inv.address = parseAddress(positional[0]);
      break;
    case Command::kList:
      expectArguments(positional, 1, "list ADDR");
      inv.address = parseAddress(positional[0]);
      break;
    case Command::kPort:
      expectArguments(positional, 0, "port");
      break;
    case Command::kDetach:
      expectArguments(positional, 1, "detach PORT");
      inv.port = parseNumber(positional[0], "PORT", 0, 65535);
      break;
  }
  return inv;
}

std::string helpText(Command command) {
  std::string text;
  switch (command) {
    case Command::kNone:
      text =
          "Usage: usbip-client-helper COMMAND [OPTIONS] [ARGUMENTS]\n"
          "\n"
          "Imports USB devices over USB/IP into this machine's vhci_hcd, in place of the kernel's\n"
          "'usbip attach'. Every reply of a server is checked before its socket reaches the\n"
          "kernel.\n"
          "\n"
          "Commands:\n"
          "  attach ADDR BUSID   import BUSID from the server at ADDR and attach it\n"
          "  listen ADDR         accept 'usbip-host connect' connections and attach their device\n"
          "  list ADDR           show the devices the server at ADDR exports\n"
          "  port                show the attached devices and where they come from\n"
          "  detach PORT         detach the device on vhci_hcd port PORT\n"
          "\n"
          "Run 'usbip-client-helper COMMAND --help' for a command's options.\n"
          "\n"
          "Options:\n";
      text += kCommonOptions;
      break;
    case Command::kAttach:
      text =
          "Usage: usbip-client-helper attach ADDR BUSID [OPTIONS]\n"
          "\n"
          "Dials the USB/IP server at ADDR (the kernel's usbipd or 'usbip-host listen'), imports\n"
          "the device BUSID, checks the reply, and attaches the connection to a free vhci_hcd\n"
          "port of the device's speed (USB 3 devices go to super-speed ports, others to\n"
          "high-speed ports). Prints the port. Needs root and vhci_hcd (modprobe vhci-hcd).\n"
          "\n";
      text += kAddressForms;
      text += "\nOptions:\n";
      text += kJsonOption;
      text += kTimeoutOption;
      text += kVhciOptions;
      text += kCommonOptions;
      break;
    case Command::kListen:
      text =
          "Usage: usbip-client-helper listen ADDR [OPTIONS]\n"
          "\n"
          "Reverse mode: listens on ADDR for hosts running 'usbip-host connect', imports the\n"
          "device each connection exports, and attaches it to a free vhci_hcd port. When a host\n"
          "goes away vhci_hcd frees the port; when it reconnects the device comes back. Runs\n"
          "until SIGINT or SIGTERM. Connections are served one at a time, each handshake bounded\n"
          "by --timeout. Needs root and vhci_hcd (modprobe vhci-hcd).\n"
          "\n";
      text += kAddressForms;
      text += "\nOptions:\n";
      text += kTimeoutOption;
      text += kVhciOptions;
      text += kCommonOptions;
      break;
    case Command::kList:
      text =
          "Usage: usbip-client-helper list ADDR [OPTIONS]\n"
          "\n"
          "Asks the USB/IP server at ADDR for the devices it exports (OP_REQ_DEVLIST) and shows\n"
          "their bus ID, vendor:product, speed, class and interfaces.\n"
          "\n";
      text += kAddressForms;
      text += "\nOptions:\n";
      text += kJsonOption;
      text += kTimeoutOption;
      text += kCommonOptions;
      break;
    case Command::kPort:
      text =
          "Usage: usbip-client-helper port [OPTIONS]\n"
          "\n"
          "Shows the vhci_hcd ports in use: port, hub, state, speed, the local bus ID, the\n"
          "device on the server (bus/dev) and where it came from (also for devices attached by\n"
          "the kernel's 'usbip attach').\n"
          "\n"
          "Options:\n";
      text += kJsonOption;
      text += kVhciOptions;
      text += kCommonOptions;
      break;
    case Command::kDetach:
      text =
          "Usage: usbip-client-helper detach PORT [OPTIONS]\n"
          "\n"
          "Detaches the device on vhci_hcd port PORT (see 'usbip-client-helper port'); the\n"
          "connection to its server is closed. Needs root.\n"
          "\n"
          "Options:\n";
      text += kVhciOptions;
      text += kCommonOptions;
      break;
  }
  return text + kExitCodes;
}

}  // namespace usbip::client
