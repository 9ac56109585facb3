#include "broker/cli.h"

#include <stdexcept>

#include "broker/device_spec.h"
#include "common/command_line.h"

namespace usbip {
namespace {

constexpr const char* kExitCodes =
    "Exit status:\n"
    "  0  success (listen and connect: stopped by SIGINT or SIGTERM)\n"
    "  1  runtime failure (a device or socket error)\n"
    "  2  usage error (unknown command or option, bad ADDR or DEVICE)\n";

constexpr const char* kCommonOptions =
    "  --log-level LEVEL  trace, debug, info (default), warn, error, critical or off\n"
    "  -h, --help         show this help\n";

constexpr const char* kDeviceForms =
    "DEVICE is a bus ID (1-2, 1-2.3), a device node (/dev/bus/usb/001/002) or a simulated device\n"
    "(sim:hid, sim:cdc, sim:uac). Hubs and devices attached through vhci_hcd are never exported.\n";

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
  usage("unknown command '" + name + "' (expected listen, connect or list)");
}

const char* commandName(Command command) {
  switch (command) {
    case Command::kListen:
      return "listen";
    case Command::kConnect:
      return "connect";
    case Command::kList:
      return "list";
    case Command::kNone:
      break;
  }
  return "usbip-host";
}

}  // namespace

Invocation parseCommandLine(std::span<const std::string> arguments) {
  Invocation inv;
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
    } else if (auto timeout = optionValue("--peer-timeout")) {
      inv.peerTimeoutSeconds = static_cast<unsigned>(parsePeerTimeout(*timeout).count());
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
  if (inv.workerPath && inv.command != Command::kListen && inv.command != Command::kConnect) {
    usage("option --worker applies to listen and connect only");
  }
  if (inv.peerTimeoutSeconds && inv.command != Command::kListen &&
      inv.command != Command::kConnect) {
    usage("option --peer-timeout applies to listen and connect only");
  }
  if (inv.json && inv.command != Command::kList) usage("option --json applies to list only");
  switch (inv.command) {
    case Command::kNone:
      usage("no command given (expected listen, connect or list; see --help)");
    case Command::kList:
      if (!positional.empty()) usage("list takes no arguments, got '" + positional[0] + "'");
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
          "  list [--json]            show the USB devices of this host\n"
          "\n"
          "Run 'usbip-host COMMAND --help' for a command's options.\n"
          "\n"
          "Options:\n";
      text += kCommonOptions;
      break;
    case Command::kListen:
      text =
          "Usage: usbip-host listen ADDR [DEVICE...] [--worker PATH] [--log-level LEVEL]\n"
          "\n"
          "Listens on ADDR and speaks USB/IP as usbipd does: OP_REQ_DEVLIST lists the DEVICEs,\n"
          "OP_REQ_IMPORT imports one of them. Each connection gets its own usbip-worker; a device\n"
          "is imported by one client at a time and can be imported again once that client\n"
          "detaches.\n"
          "\n";
      text += kAddressForms;
      text += kDeviceForms;
      text +=
          "\nOptions:\n"
          "  --worker PATH      the usbip-worker program (default: next to usbip-host)\n"
          "  --peer-timeout SECONDS  cut off a client that leaves a message unfinished or does\n"
          "                     not read its replies for this long (default 30)\n";
      text += kCommonOptions;
      break;
    case Command::kConnect:
      text =
          "Usage: usbip-host connect ADDR DEVICE [--worker PATH] [--log-level LEVEL]\n"
          "\n"
          "Dials a usbip-client-helper listening on ADDR and exports DEVICE over that connection\n"
          "(the plain USB/IP protocol with the roles of dialer and listener swapped). Reconnects\n"
          "with exponential back-off whenever the connection fails or ends, until SIGINT or\n"
          "SIGTERM.\n"
          "\n";
      text += kAddressForms;
      text += kDeviceForms;
      text +=
          "\nOptions:\n"
          "  --worker PATH      the usbip-worker program (default: next to usbip-host)\n"
          "  --peer-timeout SECONDS  cut off a client that leaves a message unfinished or does\n"
          "                     not read its replies for this long (default 30)\n";
      text += kCommonOptions;
      break;
    case Command::kList:
      text =
          "Usage: usbip-host list [--json] [--log-level LEVEL]\n"
          "\n"
          "Shows this host's USB devices: bus ID, vendor:product, speed, manufacturer and\n"
          "product, the kernel drivers bound to the interfaces, and whether it can be exported.\n"
          "\n"
          "Options:\n"
          "  --json             one JSON array instead of a table\n";
      text += kCommonOptions;
      break;
  }
  return text + "\n" + kExitCodes;
}

}  // namespace usbip
