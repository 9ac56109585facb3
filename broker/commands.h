// The commands of usbip-host. Each returns an exit code (cli.h); bad user input throws
// std::invalid_argument, failures of the system throw std::system_error or std::runtime_error.
#pragma once

#include "broker/cli.h"

namespace usbip {

int runListen(const Invocation& invocation);
int runConnect(const Invocation& invocation);
int runList(const Invocation& invocation);
int runExport(const Invocation& invocation);
int runCheckPolicy(const Invocation& invocation);

}  // namespace usbip
