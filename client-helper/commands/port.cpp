// port: what is attached to vhci_hcd, and where it came from.
#include <optional>

#include "client-helper/commands/commands.h"
#include "client-helper/commands/device_format.h"
#include "client-helper/port_record.h"
#include "client-helper/printable.h"
#include "client-helper/speed.h"
#include "client-helper/table.h"
#include "client-helper/vhci.h"
#include "protocol/speed_name.h"

namespace usbip::client {

int runPort(const Invocation& invocation, std::ostream& out) {
  const Vhci vhci(invocation.sysfsDir);
  const PortRecords records(invocation.stateDir);
  const auto ports = vhci.ports();

  struct Used {
    VhciPort port;
    std::optional<PortRecord> record;
  };
  std::vector<Used> used;
  for (const auto& port : ports) {
    if (!port.isFree()) used.push_back({port, records.read(port.port)});
  }

  if (invocation.json) {
    std::vector<std::string> items;
    for (const auto& [port, record] : used) {
      JsonObject json;
      json.number("port", port.port)
          .text("hub", hubSpeedName(port.hub))
          .text("state", portStatusName(port.status))
          .text("speed", proto::speedName(port.speed))
          .text("localBusid", port.localBusid)
          .number("remoteBusnum", port.devid >> 16)
          .number("remoteDevnum", port.devid & 0xffff);
      if (record) {
        json.text("remote", remoteOf(*record)).text("remoteBusid", record->busid);
      } else {
        json.null("remote").null("remoteBusid");
      }
      items.push_back(json.str());
    }
    out << JsonObject().encoded("ports", jsonArray(items)).str() << "\n";
    return kExitOk;
  }

  if (used.empty()) {
    out << "no devices attached (" << ports.size() << " vhci_hcd ports, all free)\n";
    return kExitOk;
  }
  Table table(
      {"PORT", "HUB", "STATE", "SPEED", "LOCAL-BUSID", "REMOTE-BUS/DEV", "REMOTE", "REMOTE-BUSID"});
  for (const auto& [port, record] : used) {
    table.addRow({std::to_string(port.port), std::string(hubSpeedName(port.hub)),
                  portStatusName(port.status), proto::speedName(port.speed), port.localBusid,
                  busDev(port.devid >> 16, port.devid & 0xffff),
                  record ? printable(remoteOf(*record)) : "unknown",
                  record ? printable(record->busid) : "unknown"});
  }
  out << table.render();
  return kExitOk;
}

}  // namespace usbip::client
