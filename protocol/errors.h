// A peer broke a rule of docs/input-rules.md (the USB/IP input rules, identified F1, I2, ...).
// Every decoder failure is one of these: it names the rule and the field, never crashes.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace usbip::proto {

// The rule identifiers of the input-rules table (F = framing, I = isochronous, C = control,
// T = transfer flags, U = unlink, R = replies a client receives, E = export).
enum class Rule {
  F1,
  F2,
  F3,
  F4,
  F5,
  F6,
  F7,
  F8,
  F9,
  F10,
  F11,
  I1,
  I2,
  I3,
  I4,
  I5,
  C1,
  C2,
  C3,
  C4,
  T1,
  U1,
  U2,
  R1,
  R2,
  E1,
  E2
};

std::string_view ruleName(Rule rule);

class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(Rule rule, std::string field, const std::string& detail);
  Rule rule() const noexcept { return rule_; }
  const std::string& field() const noexcept { return field_; }

 private:
  Rule rule_;
  std::string field_;
};

}  // namespace usbip::proto
