#include "broker/worker_supervisor.h"

#include <capnp/rpc-twoparty.h>
#include <fcntl.h>
#include <kj/async-io.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cstring>

#include "broker/worker_log_relay.h"
#include "broker/worker_session.h"
#include "common/syscall.h"
#include "ipc/send_only_fd_stream.h"
#include "ipc/worker_message_limits.h"

namespace usbip {
namespace {

// Serves ipc::Broker on `brokerEnd` until the worker disconnects, kills the worker if it broke
// the session table, then relays its log until it has exited.
void serveWorker(ExportRegistry& registry, UniqueFd brokerEnd, UniqueFd logReadEnd, pid_t pid,
                 AcceptedConnection client, const std::string& reverseBusid,
                 const std::string& context, std::optional<Lease>& lease) {
  auto io = kj::setupAsyncIo();
  auto relay =
      relayWorkerLog(io.lowLevelProvider->wrapInputFd(
                         logReadEnd.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                                   kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC))
          .eagerlyEvaluate(nullptr);
  auto stream = io.lowLevelProvider->wrapUnixSocketFd(
      brokerEnd.release(),
      kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP | kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
  // Descriptors go to the worker, never from it.
  ipc::SendOnlyFdStream messages(*stream);
  capnp::TwoPartyVatNetwork network(messages, ipc::kMaxFdsPerBrokerMessage,
                                    capnp::rpc::twoparty::Side::SERVER, ipc::workerMessageLimits());
  auto violation = kj::newPromiseAndFulfiller<void>();
  auto rpc = capnp::makeRpcServer(
      network, kj::heap<WorkerSession>(registry, std::move(client), reverseBusid, context, lease,
                                       std::move(violation.fulfiller)));
  bool violated = false;
  network.onDisconnect()
      .exclusiveJoin(violation.promise.then([&] { violated = true; }))
      .wait(io.waitScope);
  if (violated) ::kill(pid, SIGKILL);
  relay.wait(io.waitScope);
}

}  // namespace

WorkerSupervisor::WorkerSupervisor(ExportRegistry& registry, WorkerCommand command,
                                   std::string reverseBusid)
    : registry_(registry),
      command_(std::move(command)),
      reverseBusid_(std::move(reverseBusid)),
      sessionEnded_(checkSyscall(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")) {}

WorkerSupervisor::~WorkerSupervisor() {
  stopAll();
}

void WorkerSupervisor::start(AcceptedConnection client, std::optional<std::string> reverseBusid) {
  std::lock_guard lock(mutex_);
  auto& session = sessions_.emplace_back();
  session.thread = std::thread(
      [this, &session, c = std::move(client), r = reverseBusid.value_or(reverseBusid_)]() mutable {
        run(session, std::move(c), r);
      });
}

void WorkerSupervisor::run(Session& session, AcceptedConnection client,
                           const std::string& reverseBusid) {
  std::string context = "client " + client.peer;
  try {
    int pair[2];
    checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), "IPC socketpair");
    UniqueFd brokerEnd(pair[0]), workerEnd(pair[1]);
    int logPipe[2];
    checkSyscall(::pipe2(logPipe, O_CLOEXEC), "worker log pipe");
    UniqueFd logReadEnd(logPipe[0]), logWriteEnd(logPipe[1]);
    pid_t pid = spawnWorker(command_, workerEnd, logWriteEnd);
    workerEnd.reset();
    logWriteEnd.reset();
    {
      std::lock_guard lock(mutex_);
      session.pid = pid;
    }
    context += " (worker " + std::to_string(pid) + ")";
    spdlog::info("{}: connected", context);

    std::optional<Lease> lease;  // outlives the IPC session: released only after the exit
    serveWorker(registry_, std::move(brokerEnd), std::move(logReadEnd), pid, std::move(client),
                reverseBusid, context, lease);
    waitForExit(pid);
    {
      std::lock_guard lock(mutex_);
      session.pid = 0;  // from now on nobody signals this pid, which reaping frees for reuse
    }
    const auto end = reapWorker(pid);
    if (end.clean) {
      spdlog::info("{}: worker {}, peak memory {} KiB", context, end.how, end.peakResidentKiB);
    } else {
      spdlog::warn("{}: worker {}, peak memory {} KiB", context, end.how, end.peakResidentKiB);
    }
    lease.reset();
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", context, e.what());
  }
  {
    std::lock_guard lock(mutex_);
    session.finished = true;
  }
  const uint64_t one = 1;
  if (::write(sessionEnded_.get(), &one, sizeof one) < 0) {
    spdlog::warn("cannot signal the end of a session: {}", std::strerror(errno));
  }
}

size_t WorkerSupervisor::reapFinished() {
  uint64_t count = 0;
  if (::read(sessionEnded_.get(), &count, sizeof count) < 0 && errno != EAGAIN) {
    throwErrno(errno, "read the session-ended eventfd");
  }
  std::list<Session> done;
  {
    std::lock_guard lock(mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (it->finished) done.splice(done.end(), sessions_, it);
      it = next;
    }
  }
  for (auto& s : done)
    s.thread.join();
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void WorkerSupervisor::signalAll(int signal) {
  std::lock_guard lock(mutex_);
  for (const auto& s : sessions_) {
    if (s.pid > 0) ::kill(s.pid, signal);
  }
}

void WorkerSupervisor::stopAll(std::chrono::milliseconds grace) {
  signalAll(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (reapFinished() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      signalAll(SIGKILL);
    }
    pollfd pfd{sessionEnded_.get(), POLLIN, 0};
    retrySyscall("poll for ended sessions", [&] { return ::poll(&pfd, 1, 50); });
  }
}

}  // namespace usbip
