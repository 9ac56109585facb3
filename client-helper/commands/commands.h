// One function per command. Each writes its result for people (or JSON) to `out`, returns the
// exit code, and lets failures escape as exceptions for main() to report.
#pragma once

#include <ostream>

#include "client-helper/cli.h"

namespace usbip::client {

int runAttach(const Invocation& invocation, std::ostream& out);
int runListen(const Invocation& invocation, std::ostream& out);
int runList(const Invocation& invocation, std::ostream& out);
int runPort(const Invocation& invocation, std::ostream& out);
int runDetach(const Invocation& invocation, std::ostream& out);

}  // namespace usbip::client
