// Runs one usbip-worker per client connection, each session on its own thread with its own KJ
// event loop, and stops them all on request.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "broker/export_registry.h"
#include "broker/worker_process.h"
#include "common/socket.h"
#include "common/unique_fd.h"

namespace usbip {

class WorkerSupervisor {
 public:
  // `reverseBusid`: set when the connections are dialled by the host (usbip-host connect); the
  // worker then takes an empty import busid to mean this device.
  WorkerSupervisor(ExportRegistry& registry, WorkerCommand command, std::string reverseBusid = {});
  WorkerSupervisor(const WorkerSupervisor&) = delete;
  WorkerSupervisor& operator=(const WorkerSupervisor&) = delete;
  ~WorkerSupervisor();  // stopAll()

  // Starts a worker for `client` and serves its IPC on a new thread. `reverseBusid`, when given,
  // replaces the one of the constructor for this session (a dial made once the device appeared).
  void start(AcceptedConnection client, std::optional<std::string> reverseBusid = std::nullopt);

  // Readable whenever a session has ended; reapFinished() drains it.
  int sessionEndedFd() const { return sessionEnded_.get(); }
  // Joins the threads of ended sessions; returns how many sessions are still running.
  size_t reapFinished();

  // SIGTERM to every worker, SIGKILL to those still running after `grace`; joins every thread.
  void stopAll(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  struct Session {
    std::thread thread;
    pid_t pid = 0;  // 0 before the worker starts and once it has exited
    bool finished = false;
  };

  void run(Session& session, AcceptedConnection client, const std::string& reverseBusid);
  void signalAll(int signal);

  ExportRegistry& registry_;
  const WorkerCommand command_;
  const std::string reverseBusid_;
  UniqueFd sessionEnded_;  // eventfd
  std::mutex mutex_;
  std::list<Session> sessions_;  // guarded by mutex_; std::list: Session addresses stay valid
};

}  // namespace usbip
