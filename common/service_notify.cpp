#include "common/service_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>

namespace usbip {
namespace {

void notify(const std::string& state) {
  const int rc = ::sd_notify(0, state.c_str());
  // A failed notification only delays systemd's view; it is no reason to stop serving.
  if (rc < 0) spdlog::warn("sd_notify({}) failed: {}", state, std::strerror(-rc));
}

}  // namespace

void notifyReady(const std::string& status) {
  notify("READY=1\nSTATUS=" + status);
}

void notifyStopping() {
  notify("STOPPING=1");
}

}  // namespace usbip
