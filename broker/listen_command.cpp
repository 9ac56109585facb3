// usbip-host listen ADDR [DEVICE...]: usbipd's job, with every connection served by a worker.
#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/policy_loading.h"
#include "broker/serve_loops.h"
#include "broker/worker_command.h"
#include "policy/decision.h"

namespace usbip {

int runListen(const Invocation& invocation) {
  StopSignals stop;  // first: before any thread exists
  const Address listener = invocation.address;
  ExportRegistry registry(
      exportConfigFor(invocation, namedForListen,
                      [listener](const policy::DevicePolicy& p, const policy::DeviceAttributes&) {
                        return policy::offeredOn(p, listener);
                      }));
  return serveListener(listener, registry, workerCommandFor(invocation), stop);
}

}  // namespace usbip
