#include "tests/hostile/case_run.h"

namespace usbip::hostile {

Connection& CaseRun::connect(WorkerExit exit, std::optional<std::string> rule) {
  auto& connection =
      *connections_.emplace_back(std::make_unique<Connection>(settings_.port, countEarlier()));
  expected_.push_back({connection.peer(), connection.index(), exit, std::move(rule)});
  return connection;
}

Connection& CaseRun::importTarget(WorkerExit exit, std::optional<std::string> rule) {
  auto& connection = connect(exit, std::move(rule));
  const auto reply = connection.import(target_.busid);
  require(reply && reply->status == 0, "the target " + target_.busid + " could not be imported");
  return connection;
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
