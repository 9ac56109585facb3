#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace usbip {

void setupLogging(std::string_view level, std::string_view programName) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + std::string(level) +
                                "' (expected trace, debug, info, warn, error, critical or off)");
  }
  auto logger = spdlog::stderr_color_mt(std::string(programName));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %^%l%$: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace usbip
