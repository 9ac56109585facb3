#include "broker/serve_loops.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "broker/backoff.h"
#include "broker/cli.h"
#include "broker/service_notify.h"
#include "broker/worker_command.h"
#include "broker/worker_supervisor.h"
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

enum class SessionEnd { kEnded, kStopSignal };

SessionEnd waitForSession(WorkerSupervisor& supervisor, StopSignals& stop) {
  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0}, {supervisor.sessionEndedFd(), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 2, -1); });
    if (fds[0].revents && stop.take() != 0) return SessionEnd::kStopSignal;
    if (fds[1].revents && supervisor.reapFinished() == 0) return SessionEnd::kEnded;
  }
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
  auto listener = listenOn(address);
  const auto status =
      "listening on " + address.toString() + ", exporting " + describeExports(registry);
  spdlog::info("{}", status);
  notifyReady(status);

  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0},
                    {supervisor.sessionEndedFd(), POLLIN, 0},
                    {listener.get(), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 3, -1); });
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
      if (stop.sleepFor(kDevicePoll)) break;
      continue;
    }
    waiting = false;
    try {
      auto fd = connectTo(target);
      spdlog::info("connected to {}, exporting {}", where, devices.front().busid());
      const auto started = std::chrono::steady_clock::now();
      supervisor.start({std::move(fd), where}, devices.front().busid());
      if (waitForSession(supervisor, stop) == SessionEnd::kStopSignal) break;
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
