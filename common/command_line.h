// Pieces of command-line parsing that every program of the project shares.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

namespace usbip {

// If arguments[i] is option `name`, written `--name VALUE` or `--name=VALUE`, returns VALUE and
// leaves `i` on the last argument it used; otherwise returns nullopt and leaves `i` alone.
// Throws std::invalid_argument ("option --name needs a value") when `--name` is the last argument.
std::optional<std::string> takeOptionValue(std::span<const std::string> arguments, size_t& i,
                                           const std::string& name);

// `--peer-timeout SECONDS`: whole seconds from 1 to an hour, in decimal digits. Throws
// std::invalid_argument naming the option otherwise.
std::chrono::seconds parsePeerTimeout(const std::string& text);

}  // namespace usbip
