#include "worker/sim/sim_devices.h"

#include <stdexcept>
#include <string>

#include "worker/sim/cdc_acm.h"
#include "worker/sim/hid_keyboard.h"
#include "worker/sim/uac_audio.h"

namespace usbip::worker::sim {

std::unique_ptr<DeviceBackend> makeSimulatedDevice(std::string_view name,
                                                   const SimOptions& options) {
  if (name == "hid") return std::make_unique<HidKeyboard>(options);
  if (name == "cdc") return std::make_unique<CdcAcm>(options);
  if (name == "uac") return std::make_unique<UacAudio>(options);
  throw std::invalid_argument("unknown simulated device '" + std::string(name) +
                              "' (expected hid, cdc or uac)");
}

}  // namespace usbip::worker::sim
