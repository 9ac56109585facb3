// listen ADDR: reverse mode. Hosts running `usbip-host connect` dial us; each connection brings
// one device. Connections are served one after the other: each handshake is bounded by the
// timeout, and a host that stalls holds the others back by at most that long.
#include <poll.h>
#include <spdlog/spdlog.h>

#include "client-helper/commands/commands.h"
#include "client-helper/reverse_connection.h"
#include "client-helper/stop_signals.h"
#include "common/service_notify.h"
#include "common/socket.h"
#include "common/syscall.h"

namespace usbip::client {

int runListen(const Invocation& invocation, std::ostream& /*out*/) {
  StopSignals stop;  // first: before anything could start a thread
  const Vhci vhci(invocation.sysfsDir);
  vhci.requireWriteAccess();
  const PortRecords records(invocation.stateDir);
  const HandshakeOptions options{invocation.timeout, {}};
  const UniqueFd listener = listenOn(invocation.address);
  const std::string status = "listening on " + invocation.address.toString() + " for hosts";
  spdlog::info("{}", status);
  notifyReady(status);

  for (;;) {
    pollfd fds[] = {{stop.fd().get(), POLLIN, 0}, {listener.get(), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 2, -1); });
    if (fds[0].revents != 0 && stop.take()) break;
    if (fds[1].revents == 0) continue;
    try {
      serveReverseConnection(acceptConnection(listener, invocation.address), invocation.address,
                             vhci, records, options);
    } catch (const std::system_error& e) {  // accept failed: that connection is lost, not us
      spdlog::warn("{}", e.what());
    }
  }
  notifyStopping();
  spdlog::info("stopping on signal");
  return kExitOk;
}

}  // namespace usbip::client
