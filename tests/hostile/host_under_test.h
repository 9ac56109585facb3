// The usbip-host the suite attacks: started as a child with its log on a pipe, which a thread
// reads to learn, per client connection, which worker served it and how that worker ended.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace usbip::hostile {

// What the broker logged about one client connection (its peer, "tcp:127.0.0.1:PORT").
struct ConnectionRecord {
  pid_t worker = 0;
  bool unanswered = false;         // closed by the broker at the 64-worker cap
  std::optional<std::string> end;  // "exited with status 4", "killed by signal 31 (...)"
  uint64_t peakKiB = 0;
  std::vector<std::string> workerLines;  // what the worker logged with this peer's name
  bool ended() const { return unanswered || end.has_value(); }
};

class HostUnderTest {
 public:
  // Starts `hostPath listen ADDRESS DEVICES... --log-level info ARGS...`; every log line is
  // also copied to `logCopy` when that is not empty.
  HostUnderTest(const std::string& hostPath, const std::string& address,
                const std::vector<std::string>& devices, const std::vector<std::string>& args,
                const std::string& logCopy);
  ~HostUnderTest();
  HostUnderTest(const HostUnderTest&) = delete;
  HostUnderTest& operator=(const HostUnderTest&) = delete;

  // A peer (address and port) can come back in a later connection: the broker's records of one
  // peer are numbered from 0 in the order it accepted them. How many there are so far:
  size_t connectionsFrom(const std::string& peer);
  // Waits until the broker has logged how its connection `index` from `peer` ended.
  std::optional<ConnectionRecord> waitForEnd(const std::string& peer, size_t index,
                                             std::chrono::milliseconds timeout);
  std::optional<ConnectionRecord> record(const std::string& peer, size_t index);
  // Every worker that ended by a signal so far, as "peer: how".
  std::vector<std::string> signalledWorkers();
  size_t connectionsSeen();
  // True while the broker process runs.
  bool alive();
  // SIGTERM; the exit status, or -1 when it did not exit normally within `grace`.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
  // The last lines of the broker's log, for a failure report.
  std::vector<std::string> tail(size_t lines);

 private:
  void readLog(UniqueFd pipe, std::string logCopy);
  void parse(const std::string& line);

  pid_t pid_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<ConnectionRecord>> connections_;
  size_t connectionCount_ = 0;
  std::vector<std::string> lines_;
  bool logClosed_ = false;
};

}  // namespace usbip::hostile
