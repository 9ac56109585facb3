// attach ADDR BUSID: dial a server, import one device, attach it.
#include <spdlog/spdlog.h>

#include "client-helper/attach_flow.h"
#include "client-helper/commands/commands.h"
#include "client-helper/commands/device_format.h"
#include "client-helper/import.h"
#include "client-helper/printable.h"
#include "common/socket.h"

namespace usbip::client {

int runAttach(const Invocation& invocation, std::ostream& out) {
  const Vhci vhci(invocation.sysfsDir);
  // Before dialling: the server would otherwise hand over (and hold) a device for nothing.
  vhci.requireWriteAccess();
  const PortRecords records(invocation.stateDir);

  spdlog::debug("dialling {}", invocation.address.toString());
  const UniqueFd socket = connectTo(invocation.address);
  const ValidatedImport imported =
      importDevice(socket, invocation.busid, HandshakeOptions{invocation.timeout, {}});
  const Attachment attachment = attachImported(socket, imported, invocation.address, vhci, records);

  if (invocation.json) {
    out << JsonObject()
               .number("port", attachment.port)
               .text("remote", attachment.remote)
               .encoded("device", deviceJson(attachment.device).str())
               .str()
        << "\n";
  } else {
    out << "attached " << printable(attachment.device.busid) << " (" << vidPid(attachment.device)
        << ") from " << attachment.remote << " on port " << attachment.port << "\n";
  }
  return kExitOk;
}

}  // namespace usbip::client
