#include "protocol/speed_name.h"

#include "protocol/messages.h"

namespace usbip::proto {

std::string speedName(uint32_t speed) {
  switch (static_cast<Speed>(speed)) {
    case Speed::kUnknown:
      return "unknown";
    case Speed::kLow:
      return "low";
    case Speed::kFull:
      return "full";
    case Speed::kHigh:
      return "high";
    case Speed::kWireless:
      return "wireless";
    case Speed::kSuper:
      return "super";
    case Speed::kSuperPlus:
      return "super-plus";
  }
  return "speed " + std::to_string(speed);
}

}  // namespace usbip::proto
