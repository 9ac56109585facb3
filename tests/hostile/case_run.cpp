#include "tests/hostile/case_run.h"

#include <thread>

namespace usbip::hostile {

Connection& CaseRun::connect(WorkerExit exit, std::optional<std::string> rule) {
  auto& connection =
      *connections_.emplace_back(std::make_unique<Connection>(settings_.port, countEarlier()));
  expected_.push_back({connection.peer(), connection.index(), exit, std::move(rule)});
  return connection;
}

Connection& CaseRun::importTarget(WorkerExit exit, std::optional<std::string> rule) {
  // The previous case's last worker may still be handing the device back: the broker frees it
  // right after it logs that worker's end, which is what the previous case waited for. A busy
  // device is refused, and that worker ends as after any served client; the next try follows.
  constexpr int kAttempts = 50;
  for (int attempt = 1;; ++attempt) {
    auto& connection = connect(exit, rule);
    const auto reply = connection.import(target_.busid);
    if (reply && reply->status == 0) return connection;
    require(attempt < kAttempts, "the target " + target_.busid + " could not be imported");
    expected_.back().exit = WorkerExit::kServed;
    expected_.back().rule.reset();
    connection.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void CaseRun::use(Connection& connection, const Endpoint& endpoint) {
  if (!selectAlternate(connection, target_, endpoint)) {
    throw CaseSkipped("the device refused alternate setting " + std::to_string(endpoint.alternate) +
                      " of interface " + std::to_string(endpoint.interface));
  }
}

void CaseRun::closeAll() {
  for (auto& connection : connections_)
    connection->close();
}

}  // namespace usbip::hostile
