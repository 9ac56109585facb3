#include "protocol/fixed_string.h"

#include <algorithm>

namespace usbip::proto {

std::string readNulTerminated(std::span<const uint8_t> field, Rule rule, const std::string& name) {
  auto nul = std::find(field.begin(), field.end(), uint8_t{0});
  if (nul == field.end()) {
    throw ProtocolError(rule, name,
                        "no NUL terminator within its " + std::to_string(field.size()) + " bytes");
  }
  return std::string(field.begin(), nul);
}

}  // namespace usbip::proto
