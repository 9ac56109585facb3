#include "broker/cli.h"

#include <stdexcept>

#include "broker/device_spec.h"
#include "common/command_line.h"

namespace usbip {
namespace {

constexpr const char* kExitCodes =
    "Exit status:\n"
    "  0  success (listen, connect, export: stopped by SIGINT or SIGTERM)\n"
    "  1  runtime failure (a device or socket error), or an invalid policy (check-policy)\n"
    "  2  usage error (unknown command or option, bad ADDR or DEVICE)\n";

constexpr const char* kCommonOptions =
    "  --log-level LEVEL  trace, debug, info (default), warn, error, critical or off\n"
    "  -h, --help         show this help\n";

constexpr const char* kDeviceForms =
    "DEVICE is a bus ID (1-2, 1-2.3), a device node (/dev/bus/usb/001/002) or a simulated device\n"
    "(sim:hid, sim:cdc, sim:uac). Hubs and devices attached through vhci_hcd are never exported.\n";

constexpr const char* kPolicyOption =
    "  --policy-dir DIR   policy files (default /etc/usbip-sandbox/devices.d; a missing default\n"
    "                     directory means no policy files, a missing DIR is an error)\n";

constexpr const char* kWorkerOption =
    "  --worker PATH      the usbip-worker program (default: next to usbip-host)\n";

constexpr const char* kPeerTimeoutOption =
    "  --peer-timeout SECONDS  cut off a client that leaves a message unfinished or does\n"
    "                     not read its replies for this long (default 30)\n";

constexpr const char* kUsbfsMemoryOption =
    "  --no-usbfs-memory  keep transfer buffers in ordinary memory, which usbfs copies, not in\n"
    "                     memory mapped from the device's usbfs node (the default, which it\n"
    "                     does not copy; --usbfs-memory says so explicitly). For hosts whose\n"
    "                     USB controller maps that memory uncached (docs/performance.md)\n";

constexpr const char* kPolicyRule =
    "Nothing is exported that no policy file allows or the command line names. A device named\n"
    "here stands for a policy with the default limits; a policy file that matches it still\n"
    "governs it (and one with deny = true refuses it). A broker whose policy directory has\n"
    "errors does not start: it prints them as check-policy does and exits with status 1.\n";

constexpr const char* kAddressForms =
    "ADDR is tcp:PORT, tcp:HOST:PORT, tcp:[IPV6]:PORT, vsock:PORT, vsock:CID:PORT,\n"
    "fc-vsock:PATH:PORT or unix:PATH.\n";

[[noreturn]] void usage(const std::string& message) {
  throw std::invalid_argument(message);
}

Command commandNamed(const std::string& name) {
  if (name == "listen") return Command::kListen;
  if (name == "connect") return Command::kConnect;
  if (name == "list") return Command::kList;
  if (name == "check-policy") return Command::kCheckPolicy;
  if (name == "export") return Command::kExport;
  usage("unknown command '" + name + "' (expected listen, connect, export, list or check-policy)");
}

const char* commandName(Command command) {
  switch (command) {
    case Command::kListen:
      return "listen";
    case Command::kConnect:
      return "connect";
    case Command::kList:
      return "list";
    case Command::kCheckPolicy:
      return "check-policy";
    case Command::kExport:
      return "export";
    case Command::kNone:
      break;
  }
  return "usbip-host";
}

}  // namespace

Invocation parseCommandLine(std::span<const std::string> arguments) {
  Invocation inv;
  std::string bufferOption;  // --usbfs-memory or --no-usbfs-memory, when given
  std::vector<std::string> positional;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& arg = arguments[i];
    const auto optionValue = [&](const std::string& name) {
      return takeOptionValue(arguments, i, name);
    };
    if (arg == "-h" || arg == "--help") {
      inv.help = true;
    } else if (auto level = optionValue("--log-level")) {
      inv.logLevel = *level;
    } else if (auto worker = optionValue("--worker")) {
      if (worker->empty()) usage("option --worker needs a path");
      inv.workerPath = *worker;
    } else if (auto dir = optionValue("--policy-dir")) {
      if (dir->empty()) usage("option --policy-dir needs a directory");
      inv.policyDir = *dir;
    } else if (auto timeout = optionValue("--peer-timeout")) {
      inv.peerTimeoutSeconds = static_cast<unsigned>(parsePeerTimeout(*timeout).count());
    } else if (arg == "--usbfs-memory" || arg == "--no-usbfs-memory") {
      inv.usbfsMemory = arg == "--usbfs-memory";
      bufferOption = arg;
    } else if (arg == "--json") {
      inv.json = true;
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

  const std::string name = commandName(inv.command);
  const bool startsWorkers = inv.command == Command::kListen || inv.command == Command::kConnect ||
                             inv.command == Command::kExport;
  if (inv.workerPath && !startsWorkers) {
    usage("option --worker applies to listen, connect and export only");
  }
  if (!bufferOption.empty() && !startsWorkers) {
    usage("option " + bufferOption + " applies to listen, connect and export only");
  }
  if (inv.peerTimeoutSeconds && inv.command != Command::kListen &&
      inv.command != Command::kConnect) {
    usage("option --peer-timeout applies to listen and connect only");
  }
  if (inv.json && inv.command != Command::kList) usage("option --json applies to list only");
  switch (inv.command) {
    case Command::kNone:
      usage(
          "no command given (expected listen, connect, export, list or check-policy; see "
          "--help)");
    case Command::kList:
    case Command::kCheckPolicy:
      if (!positional.empty()) {
        usage(name + " takes no arguments, got '" + positional[0] + "'");
      }
      break;
    case Command::kExport:
      if (positional.size() != 1) {
        usage("export needs exactly one NAME (a policy file name or a bus ID), got " +
              std::to_string(positional.size()));
      }
      inv.exportName = positional[0];
      if (inv.exportName.find('/') != std::string::npos || inv.exportName.starts_with('.')) {
        usage("bad NAME '" + inv.exportName + "': a policy file name without .toml, or a bus ID");
      }
      break;
    case Command::kListen:
    case Command::kConnect:
      if (positional.empty()) usage(name + " needs ADDR");
      inv.address = parseAddress(positional[0]);
      inv.devices.assign(positional.begin() + 1, positional.end());
      if (inv.command == Command::kConnect && inv.devices.size() != 1) {
        usage("connect needs exactly one DEVICE after ADDR, got " +
              std::to_string(inv.devices.size()));
      }
      for (const auto& device : inv.devices)
        parseDeviceSpec(device);
      break;
  }
  return inv;
}

std::string helpText(Command command) {
  std::string text;
  switch (command) {
    case Command::kNone:
      text =
          "Usage: usbip-host COMMAND [OPTIONS] [ARGUMENTS]\n"
          "\n"
          "Shares USB devices over USB/IP. Client bytes are parsed only by an unprivileged\n"
          "usbip-worker process, one per connection.\n"
          "\n"
          "Commands:\n"
          "  listen ADDR [DEVICE...]  serve USB/IP clients (stock 'usbip list -r', 'usbip "
          "attach')\n"
          "  connect ADDR DEVICE      dial a usbip-client-helper and export DEVICE to it\n"
          "  export NAME              export the device of policy file NAME.toml as it says\n"
          "  list [--json]            show the USB devices of this host and their policy\n"
          "  check-policy             validate the policy files\n"
          "\n"
          "Run 'usbip-host COMMAND --help' for a command's options.\n"
          "\n"
          "Options:\n";
      text += kCommonOptions;
      break;
    case Command::kListen:
      text =
          "Usage: usbip-host listen ADDR [DEVICE...] [--policy-dir DIR] [--worker PATH]\n"
          "                         [--peer-timeout SECONDS] [--no-usbfs-memory]\n"
          "                         [--log-level LEVEL]\n"
          "\n"
          "Listens on ADDR and speaks USB/IP as usbipd does: OP_REQ_DEVLIST lists the devices the\n"
          "client may import, OP_REQ_IMPORT imports one of them. Offered are the DEVICEs and the\n"
          "devices present whose policy file exports them in listen mode on this listener (no\n"
          "export.address, or this ADDR), to the peers in export.allowed_peers; devices plugged "
          "in\n"
          "later are offered too. A client that may import nothing is closed unanswered. Each\n"
          "connection gets its own usbip-worker; a device is imported by one client at a time and\n"
          "can be imported again once that client detaches.\n"
          "\n";
      text += kAddressForms;
      text += kDeviceForms;
      text += kPolicyRule;
      text += "\nOptions:\n";
      text += kWorkerOption;
      text += kPeerTimeoutOption;
      text += kUsbfsMemoryOption;
      text += kPolicyOption;
      text += kCommonOptions;
      break;
    case Command::kConnect:
      text =
          "Usage: usbip-host connect ADDR DEVICE [--policy-dir DIR] [--worker PATH]\n"
          "                          [--peer-timeout SECONDS] [--no-usbfs-memory]\n"
          "                          [--log-level LEVEL]\n"
          "\n"
          "Dials a usbip-client-helper listening on ADDR and exports DEVICE over that connection\n"
          "(the plain USB/IP protocol with the roles of dialer and listener swapped). Reconnects\n"
          "with exponential back-off whenever the connection fails or ends, until SIGINT or\n"
          "SIGTERM. A policy file that governs DEVICE must say mode = \"connect\".\n"
          "\n";
      text += kAddressForms;
      text += kDeviceForms;
      text += kPolicyRule;
      text += "\nOptions:\n";
      text += kWorkerOption;
      text += kPeerTimeoutOption;
      text += kUsbfsMemoryOption;
      text += kPolicyOption;
      text += kCommonOptions;
      break;
    case Command::kExport:
      text =
          "Usage: usbip-host export NAME [--policy-dir DIR] [--worker PATH] [--no-usbfs-memory]\n"
          "                         [--log-level LEVEL]\n"
          "\n"
          "Exports the one device that policy file NAME.toml describes, as its [export] table "
          "says:\n"
          "mode = \"listen\" listens on export.address (default tcp:3240) for the peers in\n"
          "export.allowed_peers; mode = \"connect\" dials export.address whenever the device is\n"
          "present. NAME may also be a bus ID (1-2) that one policy file's [match] names. The\n"
          "device need not be plugged in yet: it is exported while it is present. This is what\n"
          "usbip-host@NAME.service runs.\n"
          "\n"
          "Options:\n";
      text += kWorkerOption;
      text += kUsbfsMemoryOption;
      text += kPolicyOption;
      text += kCommonOptions;
      break;
    case Command::kCheckPolicy:
      text =
          "Usage: usbip-host check-policy [--policy-dir DIR] [--log-level LEVEL]\n"
          "\n"
          "Validates every policy file of the directory and prints each problem as\n"
          "'file:line: key: what is wrong', or one summary line when there is none. Exit status 1\n"
          "when there are errors. The systemd units run it as ExecStartPre=.\n"
          "\n"
          "Options:\n";
      text += kPolicyOption;
      text += kCommonOptions;
      break;
    case Command::kList:
      text =
          "Usage: usbip-host list [--json] [--policy-dir DIR] [--log-level LEVEL]\n"
          "\n"
          "Shows this host's USB devices: bus ID, vendor:product, speed, the kernel drivers bound\n"
          "to the interfaces, whether it can be exported at all (never a hub or a device attached\n"
          "through vhci_hcd), the policy file that matches it and what that file decides,\n"
          "manufacturer and product.\n"
          "\n"
          "Options:\n"
          "  --json             one JSON array instead of a table\n";
      text += kPolicyOption;
      text += kCommonOptions;
      break;
  }
  return text + "\n" + kExitCodes;
}

}  // namespace usbip
