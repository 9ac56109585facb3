#include "protocol/errors.h"

#include <array>
#include <utility>

namespace usbip::proto {

std::string_view ruleName(Rule rule) {
  static constexpr std::array<std::string_view, 25> kNames = {
      "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "I1", "I2",
      "I3", "I4", "I5", "C1", "C2", "C3", "C4", "T1", "U1", "U2",  "R1",  "R2"};
  auto index = static_cast<size_t>(rule);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown rule");
}

ProtocolError::ProtocolError(Rule rule, std::string field, const std::string& detail)
    : std::runtime_error("USB/IP rule " + std::string(ruleName(rule)) + " violated by field " +
                         field + ": " + detail),
      rule_(rule),
      field_(std::move(field)) {}

}  // namespace usbip::proto
