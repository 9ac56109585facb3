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

}  // namespace usbip
