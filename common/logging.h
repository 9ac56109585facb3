// Shared logging set-up for every program: a level name from the command line, stderr sink.
#pragma once

#include <string_view>

namespace usbip {

// Accepts trace, debug, info, warn, error, critical, off. Throws std::invalid_argument naming
// the bad value otherwise.
void setupLogging(std::string_view level, std::string_view programName);

}  // namespace usbip
