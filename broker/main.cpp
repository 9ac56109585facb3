// usbip-host: the privileged broker. Finds and opens devices, accepts or dials connections, and
// starts one unprivileged usbip-worker per connection; it never reads a byte a client sends.
#include <spdlog/spdlog.h>

#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/cli.h"
#include "broker/commands.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  using namespace usbip;
  Invocation invocation;
  try {
    invocation = parseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
    if (invocation.help) {
      std::cout << helpText(invocation.command);
      return kExitOk;
    }
    setupLogging(invocation.logLevel, "usbip-host");
  } catch (const std::invalid_argument& e) {
    std::cerr << "usbip-host: " << e.what() << "\n(see usbip-host --help)\n";
    return kExitUsage;
  }
  try {
    switch (invocation.command) {
      case Command::kListen:
        return runListen(invocation);
      case Command::kConnect:
        return runConnect(invocation);
      case Command::kList:
        return runList(invocation);
      case Command::kExport:
        return runExport(invocation);
      case Command::kCheckPolicy:
        return runCheckPolicy(invocation);
      case Command::kNone:
        break;
    }
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}
