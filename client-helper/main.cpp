// usbip-client-helper: imports USB/IP devices into vhci_hcd, checking every server reply before
// a socket reaches the kernel.
#include <spdlog/spdlog.h>

#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "client-helper/cli.h"
#include "client-helper/commands/commands.h"
#include "common/logging.h"
#include "protocol/errors.h"

int main(int argc, char** argv) {
  using namespace usbip::client;
  Invocation invocation;
  try {
    invocation = parseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
    if (invocation.help) {
      std::cout << helpText(invocation.command);
      return kExitOk;
    }
    usbip::setupLogging(invocation.logLevel, "usbip-client-helper");
  } catch (const std::invalid_argument& e) {
    std::cerr << "usbip-client-helper: " << e.what() << "\n(see usbip-client-helper --help)\n";
    return kExitUsage;
  }
  try {
    switch (invocation.command) {
      case Command::kAttach:
        return runAttach(invocation, std::cout);
      case Command::kListen:
        return runListen(invocation, std::cout);
      case Command::kList:
        return runList(invocation, std::cout);
      case Command::kPort:
        return runPort(invocation, std::cout);
      case Command::kDetach:
        return runDetach(invocation, std::cout);
      case Command::kNone:
        break;
    }
    return kExitUsage;
  } catch (const usbip::proto::ProtocolError& e) {
    spdlog::error("the server does not speak USB/IP as expected: {}", e.what());
    return kExitFailure;
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}
