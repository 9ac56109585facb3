// How listen and connect start their workers, from the command line.
#pragma once

#include <string>

#include "broker/cli.h"
#include "broker/export_registry.h"
#include "broker/worker_process.h"

namespace usbip {

// --worker PATH or the usbip-worker next to usbip-host; throws std::runtime_error when that
// program is not there or not executable, before anything is listened on or dialled.
WorkerCommand workerCommandFor(const Invocation& invocation);

// "1-2 (0525:a4a0), 0-1 (sim:hid)" for the start-up log line.
std::string describeExports(const ExportRegistry& registry);

}  // namespace usbip
