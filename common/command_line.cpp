#include "common/command_line.h"

#include <stdexcept>

namespace usbip {

std::optional<std::string> takeOptionValue(std::span<const std::string> arguments, size_t& i,
                                           const std::string& name) {
  const std::string& arg = arguments[i];
  if (arg == name) {
    if (i + 1 >= arguments.size()) throw std::invalid_argument("option " + name + " needs a value");
    return arguments[++i];
  }
  if (arg.starts_with(name + "=")) return arg.substr(name.size() + 1);
  return std::nullopt;
}

std::chrono::seconds parsePeerTimeout(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 4 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const unsigned long seconds = digits ? std::stoul(text) : 0;
  if (seconds < 1 || seconds > 3600) {
    throw std::invalid_argument("option --peer-timeout needs whole seconds from 1 to 3600, got '" +
                                text + "'");
  }
  return std::chrono::seconds(seconds);
}

}  // namespace usbip
