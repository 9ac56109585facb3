// The two ways usbip-host serves its exports, shared by listen, connect and export NAME.
#pragma once

#include "broker/export_registry.h"
#include "broker/stop_signals.h"
#include "broker/worker_process.h"
#include "common/address.h"

namespace usbip {

// Listens on `address` and starts a worker for every client that may import one of the
// exportable devices now; others are closed unanswered. Returns the exit code after a stop
// signal.
int serveListener(const Address& address, ExportRegistry& registry, const WorkerCommand& command,
                  StopSignals& stop);

// Dials `target` while the registry has its one device to export, and again with back-off
// whenever the connection fails or ends; waits while the device is absent. Returns the exit code
// after a stop signal.
int serveDialer(const Address& target, ExportRegistry& registry, const WorkerCommand& command,
                StopSignals& stop);

}  // namespace usbip
