#include "client-helper/reverse_connection.h"

#include <spdlog/spdlog.h>

#include "client-helper/errors.h"
#include "protocol/errors.h"

namespace usbip::client {
namespace {

// The host as an address for the port record; a unix peer has no address of its own, so the
// socket it came through stands for it.
Address remoteFor(const std::string& peer, const Address& listenAddress) {
  try {
    return parseAddress(peer);
  } catch (const std::invalid_argument&) {
    return listenAddress;
  }
}

}  // namespace

std::optional<Attachment> serveReverseConnection(AcceptedConnection connection,
                                                 const Address& listenAddress, const Vhci& vhci,
                                                 const PortRecords& records,
                                                 const HandshakeOptions& options) {
  const std::string& peer = connection.peer;
  spdlog::info("{}: host connected", peer);
  try {
    // The empty busid asks for the one device this connection exports.
    const ValidatedImport imported = importDevice(connection.fd, "", options);
    return attachImported(connection.fd, imported, remoteFor(peer, listenAddress), vhci, records);
  } catch (const proto::ProtocolError& e) {
    spdlog::error("{}: dropped: the host broke the USB/IP protocol: {}", peer, e.what());
  } catch (const ImportRefused& e) {
    spdlog::warn("{}: dropped: {}", peer, e.what());
  } catch (const std::exception& e) {
    spdlog::error("{}: dropped: {}", peer, e.what());
  }
  return std::nullopt;
}

}  // namespace usbip::client
