#include "client-helper/attach_flow.h"

#include <spdlog/spdlog.h>

#include "client-helper/printable.h"

namespace usbip::client {

Attachment attachImported(const UniqueFd& socket, const ValidatedImport& imported,
                          const Address& remote, const Vhci& vhci, const PortRecords& records) {
  const auto& device = imported.device();
  Attachment attachment;
  attachment.device = device;
  attachment.remote = remote.toString();
  attachment.port = vhci.attach(socket, device.devid(), device.speed);
  try {
    records.write(attachment.port, recordFor(remote, device.busid));
  } catch (const std::exception& e) {
    spdlog::warn("port {}: attached, but where it came from could not be recorded: {}",
                 attachment.port, e.what());
  }
  spdlog::info("attached {} ({:04x}:{:04x}) from {} on vhci port {}", printable(device.busid),
               device.idVendor, device.idProduct, attachment.remote, attachment.port);
  return attachment;
}

}  // namespace usbip::client
