// sd_notify(3) for Type=notify units: "started" means the listener is bound or the export is set
// up. Without $NOTIFY_SOCKET (not run by systemd) these do nothing.
#pragma once

#include <string>

namespace usbip {

// READY=1 with a STATUS= line for `systemctl status`.
void notifyReady(const std::string& status);
// STOPPING=1: the broker is stopping its workers.
void notifyStopping();

}  // namespace usbip
