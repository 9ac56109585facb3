#include "broker/worker_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

namespace usbip {

WorkerCommand workerCommandFor(const Invocation& invocation) {
  WorkerCommand command{invocation.workerPath.value_or(defaultWorkerPath()), invocation.logLevel,
                        invocation.peerTimeoutSeconds, invocation.usbfsMemory};
  if (::access(command.path.c_str(), X_OK) != 0) {
    throw std::runtime_error("worker program " + command.path +
                             " is missing or not executable (use --worker PATH)");
  }
  return command;
}

std::string describeExports(const ExportRegistry& registry) {
  const auto offered = registry.exportable();
  if (offered.empty()) return "no device yet";
  std::string text;
  for (const auto& d : offered) {
    const auto& r = d.candidate.exported.device;
    if (!text.empty()) text += ", ";
    text += fmt::format("{} ({:04x}:{:04x})", r.busid, r.idVendor, r.idProduct);
  }
  return text;
}

}  // namespace usbip
