// usbip-host listen ADDR [DEVICE...]: usbipd's job, with every connection served by a worker.
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <thread>

#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/stop_signals.h"
#include "broker/worker_command.h"
#include "broker/worker_supervisor.h"
#include "common/socket.h"
#include "common/syscall.h"

namespace usbip {
namespace {

// Each connection costs a process; past this many at once, new ones are closed unanswered.
constexpr size_t kMaxConcurrentWorkers = 64;

}  // namespace

int runListen(const Invocation& invocation) {
  StopSignals stop;  // first: before any thread exists
  ExportRegistry registry(resolveDevices(invocation.devices));
  WorkerSupervisor supervisor(registry, workerCommandFor(invocation));
  auto listener = listenOn(invocation.address);
  spdlog::info("listening on {}, exporting {}", invocation.address.toString(),
               describeExports(registry));

  for (;;) {
    pollfd fds[] = {{stop.fd(), POLLIN, 0},
                    {supervisor.sessionEndedFd(), POLLIN, 0},
                    {listener.get(), POLLIN, 0}};
    retrySyscall("poll", [&] { return ::poll(fds, 3, -1); });
    if (fds[0].revents) {
      if (const int signal = stop.take()) {
        spdlog::info("stopping on signal {} ({})", signal, ::sigabbrev_np(signal));
        supervisor.stopAll();
        return kExitOk;
      }
    }
    const size_t running = supervisor.reapFinished();
    if (fds[2].revents) {
      try {
        auto connection = acceptConnection(listener, invocation.address);
        if (running >= kMaxConcurrentWorkers) {
          spdlog::warn("client {}: closed unanswered, {} workers are running already",
                       connection.peer, running);
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

}  // namespace usbip
