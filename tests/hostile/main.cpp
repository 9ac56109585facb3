// usbip-hostile-client: starts usbip-host, attacks one or more of its exports with every row of
// the hostile-client table (cases.cpp), and after each row checks that the worker ended as the
// row says (never by a signal, within its memory cap), that the device serves the next honest
// client, and that an honest session on another export kept working. Exit status 0: all passed.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "common/syscall.h"
#include "tests/hostile/cases.h"

namespace usbip::hostile {
namespace {

constexpr const char* kUsage =
    "Usage: usbip-hostile-client --host PATH --export DEVICE... --target BUSID[:CHECK]...\n"
    "           --bystander BUSID [--peer-timeout SECONDS] [--memory-cap-mib N]\n"
    "           [--only ID[,ID...]] [--storm CONNECTIONS] [--host-log FILE]\n"
    "       usbip-hostile-client --list\n"
    "\n"
    "Starts PATH listen tcp:127.0.0.1:PORT DEVICE... --peer-timeout SECONDS and runs every case\n"
    "of the table against each --target it applies to (CHECK: echo or sourcesink, what the\n"
    "honest client checks beyond GET_DESCRIPTOR), holding an honest session on --bystander\n"
    "throughout. Cases that need no particular device run against the first target only.\n";

struct Options {
  std::string host;
  std::vector<std::string> exports;
  std::vector<Target> targets;
  std::string bystander;
  unsigned peerTimeout = 2;
  uint64_t memoryCapKiB = 256 * 1024;  // the worker's default RLIMIT_DATA (docs/security.md)
  std::vector<std::string> only;
  std::string hostLog;
  int storm = 2000;
  bool list = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--host") {
      o.host = value();
    } else if (arg == "--export") {
      o.exports.push_back(value());
    } else if (arg == "--target") {
      o.targets.push_back(parseTarget(value()));
    } else if (arg == "--bystander") {
      o.bystander = value();
    } else if (arg == "--peer-timeout") {
      o.peerTimeout = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--memory-cap-mib") {
      o.memoryCapKiB = std::stoull(value()) * 1024;
    } else if (arg == "--only") {
      std::string ids = value();
      for (size_t at = 0; at <= ids.size();) {
        const size_t comma = std::min(ids.find(',', at), ids.size());
        o.only.push_back(ids.substr(at, comma - at));
        at = comma + 1;
      }
    } else if (arg == "--storm") {
      o.storm = std::stoi(value());
    } else if (arg == "--host-log") {
      o.hostLog = value();
    } else if (arg == "--list") {
      o.list = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (!o.list &&
      (o.host.empty() || o.exports.empty() || o.targets.empty() || o.bystander.empty())) {
    throw std::invalid_argument("--host, --export, --target and --bystander are required");
  }
  return o;
}

uint16_t freeLoopbackPort() {
  UniqueFd fd(checkSyscall(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  checkSyscall(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), "bind");
  socklen_t length = sizeof address;
  checkSyscall(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length),
               "getsockname");
  return ntohs(address.sin_port);
}

bool applies(const Case& c, const Target& target, bool first) {
  const auto& layout = target.layout;
  switch (c.needs) {
    case Needs::kNothing:
    case Needs::kDevice:
    case Needs::kStorm:
      return first;
    case Needs::kInEndpoint:
      return layout.find(endpoint_type::kBulk, true) ||
             layout.find(endpoint_type::kInterrupt, true);
    case Needs::kBulkOut:
      return layout.find(endpoint_type::kBulk, false).has_value();
    case Needs::kPendingIn:
      return target.check == DataCheck::kEcho;
    case Needs::kIsoIn:
      return layout.find(endpoint_type::kIso, true).has_value();
    case Needs::kIsoOut:
      return layout.find(endpoint_type::kIso, false).has_value();
    case Needs::kOneWay:
      return layout.oneWay().has_value();
  }
  return false;
}

class Suite {
 public:
  Suite(const Options& options, HostUnderTest& host, RunSettings settings)
      : options_(options), host_(host), settings_(settings) {}

  // An honest session on the bystander export, kept for the whole run.
  void openBystander() {
    bystander_.emplace(settings_.port,
                       [this](const std::string& peer) { return host_.connectionsFrom(peer); });
    const auto reply = bystander_->import(options_.bystander);
    if (!reply || reply->status != 0) {
      throw std::runtime_error("cannot import the bystander " + options_.bystander);
    }
    bystanderTarget_.busid = options_.bystander;
    bystanderTarget_.devid = reply->device.devid();
    checkBystander();
  }
  void checkBystander() { honestTransfers(*bystander_, bystanderTarget_); }

  // The worker of each connection the case opened ended as the case says, within the cap.
  std::string checkEnds(const CaseRun& run) {
    for (const auto& expected : run.expected()) {
      const auto record =
          host_.waitForEnd(expected.peer, expected.index, settings_.peerTimeout + 20s);
      if (!record) return expected.peer + ": the broker never logged its worker's end";
      if (record->unanswered) return expected.peer + ": closed unanswered at the worker cap";
      const std::string want =
          expected.exit == WorkerExit::kServed ? "exited with status 0" : "exited with status 4";
      if (record->end != want) return expected.peer + ": worker " + *record->end + ", not " + want;
      if (record->peakKiB >= options_.memoryCapKiB) {
        return expected.peer + ": worker peaked at " + std::to_string(record->peakKiB) +
               " KiB, over its cap";
      }
      peakKiB_ = std::max(peakKiB_, record->peakKiB);
      if (expected.rule) {
        bool named = false;
        for (const auto& line : record->workerLines)
          named = named || line.find("rule " + *expected.rule) != std::string::npos;
        if (!named) {
          return expected.peer + ": the worker did not name rule " + *expected.rule +
                 (record->workerLines.empty() ? "" : " (" + record->workerLines.back() + ")");
        }
      }
    }
    return {};
  }

  // The next honest client imports the target and completes real transfers.
  std::string checkHonest(const Target& target) {
    CaseRun honest(settings_, target, host_);
    try {
      // The broker frees the device right after it logged the worker's end: retry briefly.
      for (int attempt = 0;; ++attempt) {
        auto& c = honest.connect(WorkerExit::kServed);
        const auto reply = c.import(target.busid);
        if (reply && reply->status == 0) {
          honestTransfers(c, target);
          break;
        }
        if (attempt == 50) return "the device was not importable again";
        std::this_thread::sleep_for(100ms);
      }
      honest.closeAll();
      const auto ends = checkEnds(honest);
      if (!ends.empty()) return "honest client: " + ends;
      checkBystander();
    } catch (const std::exception& e) {
      return std::string("honest client: ") + e.what();
    }
    return {};
  }

  // Runs one row against one target; true when it passed (or did not apply).
  bool runCase(const Case& c, const Target& target) {
    CaseRun run(settings_, target, host_);
    run.setMeanwhile([this] { checkBystander(); });
    const auto signalledBefore = host_.signalledWorkers().size();
    const auto start = std::chrono::steady_clock::now();
    std::string failure;
    try {
      c.run(run);
    } catch (const CaseSkipped& e) {
      run.closeAll();
      std::printf("SKIP  %-6s %-30s %s\n", target.busid.c_str(), c.id, e.what());
      return true;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    run.closeAll();
    if (failure.empty()) failure = checkEnds(run);
    if (failure.empty()) failure = checkHonest(target);
    if (failure.empty() && host_.signalledWorkers().size() != signalledBefore) {
      failure = "a worker died of a signal: " + host_.signalledWorkers().back();
    }
    if (failure.empty() && !host_.alive()) failure = "the broker is gone";
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    std::printf("%s  %-6s %-30s %-4s %s (%lld ms)%s%s\n", failure.empty() ? "PASS" : "FAIL",
                target.busid.c_str(), c.id, c.rule, c.yields, static_cast<long long>(ms),
                run.notes().empty() ? "" : "; ", run.notes().c_str());
    if (!failure.empty()) std::printf("      -> %s\n", failure.c_str());
    std::fflush(stdout);
    return failure.empty();
  }

  std::string closeBystander() {
    bystander_->close();
    const auto record = host_.waitForEnd(bystander_->peer(), bystander_->index(), 20s);
    if (!record || record->end != "exited with status 0") {
      return "bystander's worker: " + (record ? record->end.value_or("?") : "never ended");
    }
    return {};
  }

  uint64_t peakKiB() const { return peakKiB_; }

 private:
  const Options& options_;
  HostUnderTest& host_;
  RunSettings settings_;
  std::optional<Connection> bystander_;
  Target bystanderTarget_;
  uint64_t peakKiB_ = 0;
};

int run(Options options) {
  if (options.list) {
    for (const Case& c : hostileCases())
      std::printf("%-30s %-4s %s\n", c.id, c.rule, c.yields);
    return 0;
  }
  RunSettings settings;
  settings.port = freeLoopbackPort();
  settings.peerTimeout = std::chrono::seconds(options.peerTimeout);
  settings.stormConnections = options.storm;
  HostUnderTest host(options.host, "tcp:127.0.0.1:" + std::to_string(settings.port),
                     options.exports, {"--peer-timeout", std::to_string(options.peerTimeout)},
                     options.hostLog);
  // Discovering the first target also waits for the host to listen.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (auto& target : options.targets) {
    for (;;) {
      try {
        discover(settings.port, target);
        break;
      } catch (const std::exception& e) {
        if (std::chrono::steady_clock::now() > deadline || !host.alive()) {
          std::fprintf(stderr, "cannot reach %s: %s\n", target.busid.c_str(), e.what());
          return 1;
        }
        std::this_thread::sleep_for(100ms);
      }
    }
    std::printf("target %s: devid %#x, %zu endpoints\n", target.busid.c_str(), target.devid,
                target.layout.endpoints.size());
  }
  Suite suite(options, host, settings);
  suite.openBystander();

  int passed = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t t = 0; t < options.targets.size(); ++t) {
    for (const Case& c : hostileCases()) {
      if (!options.only.empty() &&
          std::find(options.only.begin(), options.only.end(), c.id) == options.only.end()) {
        continue;
      }
      if (c.needs == Needs::kStorm || !applies(c, options.targets[t], t == 0)) continue;
      (suite.runCase(c, options.targets[t]) ? passed : failed)++;
    }
  }
  // Last: thousands of connections use up local ports that the cases above would reuse.
  for (const Case& c : hostileCases()) {
    const bool chosen = options.only.empty() || std::find(options.only.begin(), options.only.end(),
                                                          c.id) != options.only.end();
    if (c.needs == Needs::kStorm && chosen) {
      (suite.runCase(c, options.targets[0]) ? passed : failed)++;
    }
  }
  std::string end = suite.closeBystander();
  if (!end.empty()) {
    std::printf("FAIL  %s\n", end.c_str());
    ++failed;
  }
  for (const auto& signalled : host.signalledWorkers()) {
    std::printf("FAIL  worker killed: %s\n", signalled.c_str());
    ++failed;
  }
  const int hostStatus = host.stop();
  if (hostStatus != 0) {
    std::printf("FAIL  usbip-host exited with %d on SIGTERM, not 0\n", hostStatus);
    ++failed;
  }
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("%d passed, %d failed, %zu connections, largest worker peak %llu KiB, %lld s\n",
              passed, failed, host.connectionsSeen(),
              static_cast<unsigned long long>(suite.peakKiB()), static_cast<long long>(seconds));
  if (failed > 0) {
    std::printf("last lines of the host's log:\n");
    for (const auto& line : host.tail(40))
      std::printf("  %s\n", line.c_str());
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace usbip::hostile

int main(int argc, char** argv) {
  try {
    return usbip::hostile::run(usbip::hostile::parse(argc, argv));
  } catch (const std::invalid_argument& e) {
    std::cerr << "usbip-hostile-client: " << e.what() << "\n\n" << usbip::hostile::kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "usbip-hostile-client: " << e.what() << "\n";
    return 1;
  }
}
