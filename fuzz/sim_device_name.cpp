#include "fuzz/sim_device_name.h"

#ifndef USBIP_FUZZ_SIM_DEVICE
#error "USBIP_FUZZ_SIM_DEVICE names the simulated device (fuzz/CMakeLists.txt sets it)"
#endif

namespace usbip::fuzz {

std::string_view simDeviceName() {
  return USBIP_FUZZ_SIM_DEVICE;
}

}  // namespace usbip::fuzz
