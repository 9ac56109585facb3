// One case of the table being run: the connections it opened and how the broker must see
// each of their workers end.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/hostile/connection.h"
#include "tests/hostile/host_under_test.h"
#include "tests/hostile/target.h"

namespace usbip::hostile {

// How the worker serving a connection must end (the worker's exit codes, worker/main.cpp).
enum class WorkerExit {
  kServed,      // 0: the client was served, or left
  kMisbehaved,  // 4: the client broke a rule
};

struct ExpectedEnd {
  std::string peer;
  size_t index = 0;  // which of the broker's connections from that peer
  WorkerExit exit = WorkerExit::kServed;
  std::optional<std::string> rule;  // the worker must name it ("rule F8") in its log
};

class CaseFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunSettings {
  uint16_t port = 0;
  std::chrono::seconds peerTimeout{2};  // what the host was started with (--peer-timeout)
  int stormConnections = 2000;          // the connection-storm row
};

class CaseRun {
 public:
  CaseRun(const RunSettings& settings, const Target& target, HostUnderTest& host)
      : settings_(settings), target_(target), host_(host) {}

  const Target& target() const { return target_; }
  const RunSettings& settings() const { return settings_; }
  HostUnderTest& host() { return host_; }
  uint32_t devid() const { return target_.devid; }
  uint32_t seqnum() { return nextSeqnum_++; }

  // A new connection whose worker must end as said.
  Connection& connect(WorkerExit exit, std::optional<std::string> rule = std::nullopt);
  // What a connection must call before connecting, to be found in the broker's log.
  Connection::BeforeConnect countEarlier() {
    return [this](const std::string& peer) { return host_.connectionsFrom(peer); };
  }
  // A new connection with the target imported.
  Connection& importTarget(WorkerExit exit, std::optional<std::string> rule = std::nullopt);
  // Selects the endpoint's alternate setting on `connection`; a case that cannot is skipped.
  void use(Connection& connection, const Endpoint& endpoint);

  void require(bool condition, const std::string& what) const {
    if (!condition) throw CaseFailure(what);
  }
  // For the report: what was observed beyond pass/fail.
  void note(const std::string& text) { notes_ += (notes_.empty() ? "" : "; ") + text; }
  const std::string& notes() const { return notes_; }
  const std::vector<ExpectedEnd>& expected() const { return expected_; }
  void closeAll();
  // Checks that the rest of the host still works while this case holds the worker busy.
  void meanwhile() const {
    if (meanwhile_) meanwhile_();
  }
  void setMeanwhile(std::function<void()> check) { meanwhile_ = std::move(check); }

 private:
  const RunSettings& settings_;
  const Target& target_;
  HostUnderTest& host_;
  uint32_t nextSeqnum_ = 1000;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<ExpectedEnd> expected_;
  std::string notes_;
  std::function<void()> meanwhile_;
};

// Thrown by CaseRun::use when the device refuses the alternate setting an endpoint needs.
class CaseSkipped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace usbip::hostile
