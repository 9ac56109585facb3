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

}  // namespace usbip
