// detach PORT
#include <spdlog/spdlog.h>

#include "client-helper/commands/commands.h"
#include "client-helper/port_record.h"
#include "client-helper/vhci.h"

namespace usbip::client {

int runDetach(const Invocation& invocation, std::ostream& out) {
  const Vhci vhci(invocation.sysfsDir);
  vhci.detach(invocation.port);
  try {
    PortRecords(invocation.stateDir).remove(invocation.port);
  } catch (const std::exception& e) {
    spdlog::warn("port {}: detached, but its record could not be removed: {}", invocation.port,
                 e.what());
  }
  out << "detached port " << invocation.port << "\n";
  return kExitOk;
}

}  // namespace usbip::client
