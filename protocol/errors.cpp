#include "protocol/errors.h"

#include <utility>

namespace usbip::proto {

std::string_view ruleName(Rule rule) {
  // A switch without default, so that a rule added to the enum but not here fails to compile.
  switch (rule) {
    case Rule::F1:
      return "F1";
    case Rule::F2:
      return "F2";
    case Rule::F3:
      return "F3";
    case Rule::F4:
      return "F4";
    case Rule::F5:
      return "F5";
    case Rule::F6:
      return "F6";
    case Rule::F7:
      return "F7";
    case Rule::F8:
      return "F8";
    case Rule::F9:
      return "F9";
    case Rule::F10:
      return "F10";
    case Rule::F11:
      return "F11";
    case Rule::I1:
      return "I1";
    case Rule::I2:
      return "I2";
    case Rule::I3:
      return "I3";
    case Rule::I4:
      return "I4";
    case Rule::I5:
      return "I5";
    case Rule::C1:
      return "C1";
    case Rule::C2:
      return "C2";
    case Rule::C3:
      return "C3";
    case Rule::C4:
      return "C4";
    case Rule::T1:
      return "T1";
    case Rule::U1:
      return "U1";
    case Rule::U2:
      return "U2";
    case Rule::R1:
      return "R1";
    case Rule::R2:
      return "R2";
    case Rule::E1:
      return "E1";
    case Rule::E2:
      return "E2";
  }
  return "unknown rule";
}

ProtocolError::ProtocolError(Rule rule, std::string field, const std::string& detail)
    : std::runtime_error("USB/IP rule " + std::string(ruleName(rule)) + " violated by field " +
                         field + ": " + detail),
      rule_(rule),
      field_(std::move(field)) {}

}  // namespace usbip::proto
