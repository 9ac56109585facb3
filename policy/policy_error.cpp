#include "policy/policy_error.h"

#include <utility>

namespace usbip::policy {
namespace {

std::string joinLines(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.toString();
  }
  return text;
}

}  // namespace

std::string Diagnostic::toString() const {
  return file + ":" + std::to_string(line) + ": " + key + ": " + message;
}

PolicyError::PolicyError(std::vector<Diagnostic> diagnostics)
    : std::invalid_argument(joinLines(diagnostics)), diagnostics_(std::move(diagnostics)) {}

}  // namespace usbip::policy
