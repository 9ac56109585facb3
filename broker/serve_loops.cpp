#include "broker/serve_loops.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <set>
#include <thread>

#include "broker/backoff.h"
#include "broker/cli.h"
#include "broker/device_monitor.h"
#include "broker/worker_command.h"
#include "broker/worker_supervisor.h"
#include "common/service_notify.h"
#include "common/socket.h"
#include "common/syscall.h"

namespace usbip {
namespace {

// Each connection costs a process; past this many at once, new ones are closed unanswered.
constexpr size_t kMaxConcurrentWorkers = 64;

// A session that lasted this long worked; the next failure starts the back-off from the start.
constexpr auto kHealthySession = std::chrono::seconds(10);

// How often a dialer without its device looks for it again.
constexpr auto kDevicePoll = std::chrono::seconds(1);
constexpr auto kSettle = std::chrono::milliseconds(500);

enum class SessionEnd { kEnded, kStopSignal };

// The hot-plug events, when udev can deliver them; without them the broker still looks at udev
// whenever a client asks, and a dialer looks every kDevicePoll.
std::optional<DeviceMonitor> openMonitor() {
  try {
    return std::make_optional<DeviceMonitor>();
  } catch (const std::system_error& e) {
    spdlog::warn("no hot-plug events ({}); devices are looked up when clients ask", e.what());
    return std::nullopt;
  }
}

int monitorFd(const std::optional<DeviceMonitor>& monitor) {
  return monitor ? monitor->fd() : -1;  // poll() skips a negative descriptor
}

// Logs what a plug or an unplug changed in what is on offer. `offered` is what was offered.
void logOfferChanges(ExportRegistry& registry, std::set<std::string>& offered) {
  std::set<std::string> now;
  for (const auto& d : registry.exportable()) {
    now.insert(d.busid());
    if (!offered.contains(d.busid())) {
      spdlog::info("device {} plugged in: offered under {}", d.busid(), d.policy.origin);
    }
  }
  for (const auto& busid : offered) {
    if (!now.contains(busid)) spdlog::info("device {} is gone: no longer offered", busid);
  }
  offered = std::move(now);
}

std::set<std::string> busidsOf(const std::vector<OfferedDevice>& devices) {
  std::set<std::string> busids;
  for (const auto& d : devices)
    busids.insert(d.busid());
  return busids;
}

bool removed(std::optional<DeviceMonitor>& monitor, const std::string& busid) {
  if (!monitor) return false;
  bool gone = false;
  for (const auto& event : monitor->take()) {
    if (event.kind == DeviceEvent::Kind::kRemoved && event.busid == busid) gone = true;
  }
  return gone;
}

// Waits for the dialled session to end. When its device is unplugged, the session is stopped
// at once rather than left to notice on its own.
SessionEnd waitForSession(WorkerSupervisor& supervisor, StopSignals& stop,
                          std::optional<DeviceMonitor>& monitor, const std::string& busid) {
  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0},
                    {supervisor.sessionEndedFd(), POLLIN, 0},
                    {monitorFd(monitor), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 3, -1); });
    if (fds[0].revents && stop.take() != 0) return SessionEnd::kStopSignal;
    if (fds[1].revents && supervisor.reapFinished() == 0) return SessionEnd::kEnded;
    if (fds[2].revents && removed(monitor, busid)) {
      spdlog::info("device {} unplugged: ending its session", busid);
      supervisor.stopAll();
      return SessionEnd::kEnded;
    }
  }
}

// Sleeps until a USB device is plugged in, `timeout` passes or a stop signal arrives (true).
// After a plug it waits kSettle more: the kernel announces a device before its configuration is
// chosen and its interfaces exist, and only those interfaces can be claimed for the worker.
bool waitForPlug(StopSignals& stop, std::optional<DeviceMonitor>& monitor,
                 std::chrono::milliseconds timeout) {
  pollfd fds[] = {{stop.fd(), POLLIN, 0}, {monitorFd(monitor), POLLIN, 0}};
  retrySyscall("poll", [&] { return ::poll(fds, 2, static_cast<int>(timeout.count())); });
  if (fds[0].revents && stop.take() != 0) return true;
  if (fds[1].revents && !monitor->take().empty()) return stop.sleepFor(kSettle);
  return false;
}

void stopServing(WorkerSupervisor& supervisor, int signal) {
  notifyStopping();
  spdlog::info("stopping on signal {} ({})", signal, ::sigabbrev_np(signal));
  supervisor.stopAll();
}

}  // namespace

int serveListener(const Address& address, ExportRegistry& registry, const WorkerCommand& command,
                  StopSignals& stop) {
  WorkerSupervisor supervisor(registry, command);
  auto monitor = openMonitor();
  auto listener = listenOn(address);
  auto offered = busidsOf(registry.exportable());
  const auto status =
      "listening on " + address.toString() + ", exporting " + describeExports(registry);
  spdlog::info("{}", status);
  notifyReady(status);

  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0},
                    {supervisor.sessionEndedFd(), POLLIN, 0},
                    {listener.get(), POLLIN, 0},
                    {monitorFd(monitor), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 4, -1); });
    // A device unplugged while imported ends its worker's session by itself (its transfers fail
    // with ENODEV); the events only tell the log what is on offer now.
    if (fds[3].revents && !monitor->take().empty()) logOfferChanges(registry, offered);
    if (fds[0].revents) {
      if (const int signal = stop.take()) {
        stopServing(supervisor, signal);
        return kExitOk;
      }
    }
    const size_t running = supervisor.reapFinished();
    if (fds[2].revents) {
      try {
        auto connection = acceptConnection(listener, address);
        if (running >= kMaxConcurrentWorkers) {
          spdlog::warn("client {}: closed unanswered, {} workers are running already",
                       connection.peer, running);
          continue;
        }
        // A client no policy lets in never reaches a worker, let alone the device.
        if (!registry.anyImportableBy(connection.peer)) {
          spdlog::warn("client {}: closed unanswered, no device here may be imported by it",
                       connection.peer);
          continue;
        }
        supervisor.start(std::move(connection));
      } catch (const std::system_error& e) {
        // Out of descriptors or a connection reset before accept: keep serving the others.
        spdlog::warn("{}", e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

int serveDialer(const Address& target, ExportRegistry& registry, const WorkerCommand& command,
                StopSignals& stop) {
  WorkerSupervisor supervisor(registry, command);
  auto monitor = openMonitor();
  const std::string where = target.toString();
  const auto status = "exporting " + describeExports(registry) + " to " + where;
  spdlog::info("{}", status);
  notifyReady(status);

  Backoff backoff;
  bool waiting = false;
  for (;;) {
    const auto devices = registry.exportable();
    if (devices.empty()) {
      if (!waiting) spdlog::info("waiting for the device to export to {}", where);
      waiting = true;
      if (waitForPlug(stop, monitor, kDevicePoll)) break;
      continue;
    }
    waiting = false;
    try {
      auto fd = connectTo(target);
      spdlog::info("connected to {}, exporting {}", where, devices.front().busid());
      const auto started = std::chrono::steady_clock::now();
      supervisor.start({std::move(fd), where}, devices.front().busid());
      if (waitForSession(supervisor, stop, monitor, devices.front().busid()) ==
          SessionEnd::kStopSignal) {
        break;
      }
      if (std::chrono::steady_clock::now() - started >= kHealthySession) backoff.reset();
    } catch (const std::runtime_error& e) {  // std::invalid_argument (bad ADDR) goes up
      spdlog::warn("cannot connect to {}: {}", where, e.what());
    }
    const auto delay = backoff.next();
    spdlog::info("reconnecting to {} in {} ms", where, delay.count());
    if (stop.sleepFor(delay)) break;
  }
  notifyStopping();
  spdlog::info("stopping on signal");
  supervisor.stopAll();
  return kExitOk;
}

}  // namespace usbip
