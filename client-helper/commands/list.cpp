// list ADDR: the devices a server exports.
#include "client-helper/commands/commands.h"
#include "client-helper/commands/device_format.h"
#include "client-helper/import.h"
#include "client-helper/printable.h"
#include "client-helper/speed.h"
#include "client-helper/table.h"
#include "common/socket.h"
#include "protocol/speed_name.h"

namespace usbip::client {
namespace {

std::string interfacesText(const std::vector<proto::InterfaceRecord>& interfaces) {
  std::string text;
  for (const auto& i : interfaces) {
    if (!text.empty()) text += ",";
    text += classTriple(i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol);
  }
  return text.empty() ? "-" : text;
}

}  // namespace

int runList(const Invocation& invocation, std::ostream& out) {
  const UniqueFd socket = connectTo(invocation.address);
  const auto list = listDevices(socket, HandshakeOptions{invocation.timeout, {}});

  if (invocation.json) {
    std::vector<std::string> devices;
    for (const auto& exported : list.devices) {
      std::vector<std::string> interfaces;
      for (const auto& i : exported.interfaces) {
        interfaces.push_back(JsonObject()
                                 .text("class", classTriple(i.bInterfaceClass, i.bInterfaceSubClass,
                                                            i.bInterfaceProtocol))
                                 .str());
      }
      devices.push_back(
          deviceJson(exported.device).encoded("interfaces", jsonArray(interfaces)).str());
    }
    out << JsonObject()
               .text("server", invocation.address.toString())
               .encoded("devices", jsonArray(devices))
               .str()
        << "\n";
    return kExitOk;
  }

  if (list.devices.empty()) {
    out << invocation.address.toString() << " exports no devices\n";
    return kExitOk;
  }
  Table table({"BUSID", "VID:PID", "SPEED", "CLASS", "INTERFACES"});
  for (const auto& exported : list.devices) {
    const auto& d = exported.device;
    table.addRow({printable(d.busid), vidPid(d), proto::speedName(static_cast<uint32_t>(d.speed)),
                  classTriple(d.bDeviceClass, d.bDeviceSubClass, d.bDeviceProtocol),
                  interfacesText(exported.interfaces)});
  }
  out << table.render();
  return kExitOk;
}

}  // namespace usbip::client
