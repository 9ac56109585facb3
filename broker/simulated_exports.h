// The export records of the simulated devices (sim:hid, sim:cdc, sim:uac). They sit on bus 0,
// which no real host controller uses, so their bus IDs never clash with a real device's.
#pragma once

#include <string_view>

#include "broker/export_policy.h"
#include "broker/export_registry.h"

namespace usbip {

// Throws std::invalid_argument for an unknown name.
ExportCandidate simulatedCandidate(std::string_view name);

// A configuration exporting exactly these simulated devices, named as on a command line, to
// anyone, with no real device (no udev): for tests and the IPC fuzz target.
ExportConfig simulatedOnly(std::initializer_list<const char*> names);

}  // namespace usbip
