// How a device record is shown, the same way in every command.
#pragma once

#include <string>

#include "client-helper/json.h"
#include "protocol/messages.h"

namespace usbip::client {

// "1d6b:0104"
std::string vidPid(const proto::DeviceRecord& device);
// "ff/00/00": class/subclass/protocol
std::string classTriple(uint8_t cls, uint8_t subclass, uint8_t protocol);
// "001/002": bus and device number on the server, as `usbip port` shows them
std::string busDev(uint32_t busnum, uint32_t devnum);

// busid, path, busnum, devnum, devid, speed, vendor, product, bcdDevice, class; strings from the
// server are escaped by the JSON encoder.
JsonObject deviceJson(const proto::DeviceRecord& device);

}  // namespace usbip::client
