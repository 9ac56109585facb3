// The simulated device a worker_session_* fuzz target serves: "hid", "cdc" or "uac", fixed per
// target at build time (USBIP_FUZZ_SIM_DEVICE, set in fuzz/CMakeLists.txt).
#pragma once

#include <string_view>

namespace usbip::fuzz {

std::string_view simDeviceName();

}  // namespace usbip::fuzz
