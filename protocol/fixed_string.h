// NUL-padded string fields (busid, path): the text ends at the first NUL, which must exist.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "protocol/errors.h"

namespace usbip::proto {

// Throws ProtocolError(rule, field) when the field holds no NUL.
std::string readNulTerminated(std::span<const uint8_t> field, Rule rule, const std::string& name);

}  // namespace usbip::proto
