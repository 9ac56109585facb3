// usbip-host connect ADDR DEVICE: the reverse direction. The host dials the client helper and then
// serves USB/IP on that connection exactly as on an accepted one (docs/protocol.md, "Reverse
// handshake"); when it ends or cannot be made, it dials again after an exponential back-off.
#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/policy_loading.h"
#include "broker/serve_loops.h"
#include "broker/worker_command.h"

namespace usbip {

int runConnect(const Invocation& invocation) {
  StopSignals stop;  // first: before any thread exists
  const Address target = invocation.address;
  auto config = exportConfigFor(
      invocation, [&](const std::string& busid) { return namedForConnect(busid, target); },
      nullptr);
  // Only the device named, and only under a rule that dials this target: its command-line
  // policy, or a policy file of its own that says so.
  const std::string busid = config.commandLine.at(0).match.busid.value();
  config.serves = [busid, target](const policy::DevicePolicy& p,
                                  const policy::DeviceAttributes& device) {
    const auto& rule = p.exportRule;
    return device.busid == busid && rule.mode == policy::ExportRule::Mode::kConnect &&
           rule.address && rule.address->toString() == target.toString();
  };
  ExportRegistry registry(std::move(config));
  return serveDialer(target, registry, workerCommandFor(invocation), stop);
}

}  // namespace usbip
