#include "broker/simulated_exports.h"

#include "worker/sim/sim_devices.h"

namespace usbip {

// The record comes from the simulated device itself, so that the broker's DEVLIST and the
// worker's OP_REP_IMPORT cannot disagree.
ExportCandidate simulatedCandidate(std::string_view name) {
  worker::sim::SimOptions options;
  options.manualClock = true;  // only the description is wanted: no timers
  const auto device = worker::sim::makeSimulatedDevice(name, options);
  return {device->description().exported, false};
}

ExportConfig simulatedOnly(std::initializer_list<const char*> names) {
  ExportConfig config;
  for (const char* name : names) {
    config.simulated.push_back(SimulatedDevice{name, simulatedCandidate(name)});
    config.commandLine.push_back(
        namedForListen(config.simulated.back().candidate.exported.device.busid));
  }
  config.serves = [](const policy::DevicePolicy&, const policy::DeviceAttributes&) { return true; };
  config.enumerate = [] { return std::vector<UsbDevice>(); };
  return config;
}

}  // namespace usbip
