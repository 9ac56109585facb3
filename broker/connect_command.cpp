// usbip-host connect ADDR DEVICE: the reverse direction. The host dials the client helper and then
// serves USB/IP on that connection exactly as on an accepted one (docs/protocol.md, "Reverse
// handshake"); when it ends or cannot be made, it dials again after an exponential back-off.
#include <poll.h>
#include <spdlog/spdlog.h>

#include "broker/backoff.h"
#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/stop_signals.h"
#include "broker/worker_command.h"
#include "broker/worker_supervisor.h"
#include "common/socket.h"
#include "common/syscall.h"

namespace usbip {
namespace {

// A session that lasted this long worked; the next failure starts the back-off from the start.
constexpr auto kHealthySession = std::chrono::seconds(10);

enum class SessionEnd { kEnded, kStopSignal };

SessionEnd waitForSession(WorkerSupervisor& supervisor, StopSignals& stop) {
  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0}, {supervisor.sessionEndedFd(), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 2, -1); });
    if (fds[0].revents && stop.take() != 0) return SessionEnd::kStopSignal;
    if (fds[1].revents && supervisor.reapFinished() == 0) return SessionEnd::kEnded;
  }
}

}  // namespace

int runConnect(const Invocation& invocation) {
  StopSignals stop;  // first: before any thread exists
  ExportRegistry registry(resolveDevices(invocation.devices));
  // The one device this connection exports: what the helper's empty import busid means.
  WorkerSupervisor supervisor(registry, workerCommandFor(invocation),
                              registry.policy().allowedBusids.at(0));
  const std::string target = invocation.address.toString();
  spdlog::info("exporting {} to {}", describeExports(registry), target);

  Backoff backoff;
  for (;;) {
    try {
      auto fd = connectTo(invocation.address);
      spdlog::info("connected to {}", target);
      const auto started = std::chrono::steady_clock::now();
      supervisor.start({std::move(fd), target});
      if (waitForSession(supervisor, stop) == SessionEnd::kStopSignal) break;
      if (std::chrono::steady_clock::now() - started >= kHealthySession) backoff.reset();
    } catch (const std::runtime_error& e) {  // std::invalid_argument (bad ADDR) goes up
      spdlog::warn("cannot connect to {}: {}", target, e.what());
    }
    const auto delay = backoff.next();
    spdlog::info("reconnecting to {} in {} ms", target, delay.count());
    if (stop.sleepFor(delay)) break;
  }
  spdlog::info("stopping on signal");
  supervisor.stopAll();
  return kExitOk;
}

}  // namespace usbip
