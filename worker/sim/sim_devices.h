// The simulated devices by name, as the worker's command line or the broker's policy names them
// ("sim:hid" is the device "hid"). See worker/sim/README.md for what each one does.
#pragma once

#include <memory>
#include <string_view>

#include "worker/device_backend.h"
#include "worker/sim/sim_options.h"

namespace usbip::worker::sim {

// "hid", "cdc" or "uac". Throws std::invalid_argument naming the valid names otherwise.
std::unique_ptr<DeviceBackend> makeSimulatedDevice(std::string_view name,
                                                   const SimOptions& options);

}  // namespace usbip::worker::sim
