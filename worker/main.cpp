// usbip-worker: serves one client connection for usbip-host. It starts with nothing but the IPC
// socket on fd 3, enters its sandbox, fetches the client socket from the broker, reads the
// USB/IP handshake itself (the broker never reads a client byte), asks the broker for what the
// client wants, and runs the URB engine on the device it was handed.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include "broker/export_policy.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "common/syscall.h"
#include "protocol/errors.h"
#include "worker/broker_client.h"
#include "worker/import_handshake.h"
#include "worker/libusb_backend.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sim/sim_devices.h"
#include "worker/urb_engine.h"
// Only in usbip-worker-test-hooks, a test binary that is never installed (docs/security.md,
// "Test-only worker hook"); usbip-worker itself is always built without it.
#ifdef USBIP_WORKER_TEST_HOOKS
#include "worker/test_hooks/hook_backend.h"
#endif

namespace usbip::worker {
namespace {

// Exit codes; the broker logs them.
constexpr int kExitServed = 0;            // the client was served and went away
constexpr int kExitFailure = 1;           // our side failed: IPC, device, OS
constexpr int kExitUsage = 2;             // started wrongly
constexpr int kExitClientMisbehaved = 4;  // the client broke the protocol or stalled

constexpr int kIpcFd = 3;

constexpr const char* kHelp =
    "Usage: usbip-worker [--log-level LEVEL] [--peer-timeout SECONDS] [--no-usbfs-memory]\n"
    "                    [--insecure-no-sandbox]\n"
    "\n"
    "Serves one USB/IP client connection. Started by usbip-host with its IPC socket as fd 3;\n"
    "not meant to be run by hand. --peer-timeout: rule F11's timeout (default 30).\n"
    "--no-usbfs-memory: transfer buffers in ordinary memory, which usbfs copies, not in usbfs\n"
    "memory (usbip-host's option).\n"
    "--insecure-no-sandbox is for debugging under gdb or strace.\n"
    "\n"
    "Exit status: 0 client served, 1 failure, 2 usage error, 4 the client broke the protocol.\n";

struct Options {
  std::string logLevel = "info";
  std::chrono::milliseconds peerTimeout = kHandshakeTimeout;  // F11, handshake and URB stream
  bool insecureNoSandbox = false;
  bool usbfsMemory = true;  // transfer buffers in memory mapped from usbfs
};

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      std::exit(kExitServed);
    } else if (arg == "--log-level" && i + 1 < argc) {
      options.logLevel = argv[++i];
    } else if (arg.starts_with("--log-level=")) {
      options.logLevel = arg.substr(12);
    } else if (arg == "--peer-timeout" && i + 1 < argc) {
      options.peerTimeout = parsePeerTimeout(argv[++i]);
    } else if (arg == "--insecure-no-sandbox") {
      options.insecureNoSandbox = true;
    } else if (arg == "--usbfs-memory" || arg == "--no-usbfs-memory") {
      options.usbfsMemory = arg == "--usbfs-memory";
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  return options;
}

UniqueFd takeIpcSocket() {
  struct stat st {};
  if (::fstat(kIpcFd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
    throw std::invalid_argument(
        "fd 3 is not the broker's socket; usbip-worker is started by usbip-host");
  }
  return UniqueFd(kIpcFd);
}

// As PID 1 of its namespace the worker would ignore the broker's SIGTERM without a handler.
// Nothing needs tidying that the kernel does not do at exit (usbfs claims and URBs included).
void exitOnSigterm() {
  struct sigaction action {};
  action.sa_handler = [](int) { ::_exit(kExitServed); };
  checkSyscall(::sigaction(SIGTERM, &action, nullptr), "install SIGTERM handler");
}

int answerDevlist(BrokerClient& broker, const UniqueFd& client, const std::string& context) {
  proto::OpRepDevlist reply;
  for (auto& candidate : broker.listDevices().devices) {
    reply.devices.push_back(std::move(candidate.candidate.exported));
  }
  if (!sendReply(client, reply)) {
    spdlog::info("{}: left before the list was sent", context);
    return kExitServed;
  }
  spdlog::info("{}: listed {} device(s)", context, reply.devices.size());
  return kExitServed;
}

std::unique_ptr<DeviceBackend> makeBackend(ImportOutcome& outcome, LibusbContext& libusb,
                                           const Options& workerOptions) {
  if (auto* simulated = std::get_if<ImportedSimulated>(&outcome)) {
    return sim::makeSimulatedDevice(simulated->name, sim::SimOptions{});
  }
  auto& usbfs = std::get<ImportedUsbfs>(outcome);
  const auto& r = usbfs.exported.device;
  LibusbBackendOptions options;
  options.limits = usbfs.limits;
  options.usbfsMemory = workerOptions.usbfsMemory;
  return std::make_unique<LibusbBackend>(
      std::move(usbfs.device), std::move(libusb),
      DeviceIdentity{r.path, r.busid, r.busnum, r.devnum, r.speed}, options);
}

int exitCodeFor(const EngineResult& result) {
  switch (result.end) {
    case EngineEnd::kClientClosed:
      return kExitServed;
    case EngineEnd::kProtocolViolation:
    case EngineEnd::kPeerStalled:
      return kExitClientMisbehaved;
    case EngineEnd::kDeviceGone:
    case EngineEnd::kFailure:
      break;
  }
  return kExitFailure;
}

const policy::UrbLimits& limitsOf(const ImportOutcome& outcome) {
  if (const auto* simulated = std::get_if<ImportedSimulated>(&outcome)) return simulated->limits;
  return std::get<ImportedUsbfs>(outcome).limits;
}

int serveDevice(UniqueFd client, std::vector<uint8_t> alreadyReceived, DeviceBackend& backend,
                std::chrono::milliseconds peerTimeout, const policy::UrbLimits& limits,
                const std::string& context) {
  UrbEngineOptions engineOptions;
  engineOptions.peerTimeout = peerTimeout;
  engineOptions.policy = limits;
  UrbEngine engine(std::move(client), std::move(alreadyReceived), backend,
                   std::move(engineOptions));
  const auto result = engine.run();
  const auto line = fmt::format(
      "{}: session ended: {}{}{} ({} URBs submitted, {} completed, {} unlinked ({} before their "
      "submit arrived), {} refused by the policy)",
      context, toString(result.end),
      result.rule ? fmt::format(" (rule {})", proto::ruleName(*result.rule)) : std::string(),
      result.detail.empty() ? std::string() : ": " + result.detail, result.stats.submitted,
      result.stats.completed, result.stats.unlinked, result.stats.unlinkedBeforeSubmit,
      result.stats.refused);
  const int code = exitCodeFor(result);
  if (code == kExitServed) {
    spdlog::info("{}", line);
  } else {
    spdlog::warn("{}", line);
  }
  return code;
}

int answerImport(BrokerClient& broker, UniqueFd client, proto::HandshakeDecoder& decoder,
                 std::string busid, const ClientConnection& connection, LibusbContext& libusb,
                 const Options& options, const std::string& context) {
  const std::string& reverseBusid = connection.reverseBusid;
  // In reverse mode the client helper names no device: it means the one this connection exports.
  if (busid.empty() && !reverseBusid.empty()) busid = reverseBusid;

  // The pre-check: the same decision the broker will make again on its own table.
  const auto offered = broker.listDevices();
  const auto decision = decideImport(busid, connection.peer, offered.devices);
  ImportOutcome outcome = ImportRefused{decision.reason};
  if (decision.allowed) outcome = broker.importDevice(busid);

  std::unique_ptr<DeviceBackend> backend;
  if (!std::holds_alternative<ImportRefused>(outcome)) {
    try {
      backend = makeBackend(outcome, libusb, options);
#ifdef USBIP_WORKER_TEST_HOOKS
      backend = test_hooks::withTestHook(std::move(backend));
#endif
    } catch (const std::exception& e) {
      outcome = ImportRefused{std::string("the device cannot be served: ") + e.what()};
    }
  }
  if (const auto* refused = std::get_if<ImportRefused>(&outcome)) {
    spdlog::info("{}: import refused: {}", context, refused->reason);
    // usbipd's ST_NA; no record follows. A client that has gone already needs no answer.
    (void)sendReply(client, proto::OpRepImport{1, {}});
    return backend ? kExitFailure : kExitServed;
  }
  // The record as the backend describes the device: the engine checks devid against it (F4).
  const auto& record = backend->description().exported.device;
  if (!sendReply(client, proto::OpRepImport{0, record})) {
    spdlog::info("{}: left before the import was answered", context);
    return kExitServed;
  }
  spdlog::info("{}: imported {}", context, record.busid);
  return serveDevice(std::move(client), decoder.takeRemainder(), *backend, options.peerTimeout,
                     limitsOf(outcome), context);
}

int run(const Options& options) {
  auto ipc = takeIpcSocket();
  // Made whether or not a real device will be imported: which one is asked for is only known
  // from the client's bytes, read inside the sandbox, and libusb_init() cannot run there.
  LibusbContext libusb;
  SandboxConfig config;
  config.keepFds = {STDERR_FILENO, ipc.get()};
  for (const int fd : libusb.pollFds())
    config.keepFds.push_back(fd);
  config.insecureNoSandbox = options.insecureNoSandbox;
  // Before any IPC: the KJ event loop is made inside, and the client socket and the usbfs node
  // arrive over IPC, so nothing a client sends is read outside the sandbox.
  enterSandbox(config);
  exitOnSigterm();

  BrokerClient broker(std::move(ipc));
  auto connection = broker.clientConnection();
  const std::string context = "client " + connection.peer;

  proto::HandshakeDecoder decoder;
  std::optional<proto::ClientHandshake> request;
  try {
    request = readClientHandshake(connection.socket, decoder, options.peerTimeout);
  } catch (const proto::ProtocolError& e) {
    spdlog::warn("{}: client broke the protocol: {}", context, e.what());
    return kExitClientMisbehaved;
  }
  if (!request) {
    spdlog::info("{}: left before sending a request", context);
    return kExitServed;
  }
  if (std::holds_alternative<proto::OpReqDevlist>(*request)) {
    return answerDevlist(broker, connection.socket, context);
  }
  auto socket = std::move(connection.socket);
  return answerImport(broker, std::move(socket), decoder,
                      std::get<proto::OpReqImport>(*request).busid, connection, libusb, options,
                      context);
}

}  // namespace
}  // namespace usbip::worker

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer builds only: LeakSanitizer's check at exit stops the process from a helper
// with prctl, clone and ptrace, all of which the seccomp filter kills, so every worker would end
// with SIGSYS instead of its exit status. The worker starts with an empty environment, so
// ASAN_OPTIONS cannot say this; leaks are the unit tests' business, which run the same code
// unconfined.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0";
}
#endif

int main(int argc, char** argv) {
  using namespace usbip::worker;
  Options options;
  try {
    options = parseOptions(argc, argv);
    usbip::setupLogging(options.logLevel, "usbip-worker");
  } catch (const std::invalid_argument& e) {
    std::cerr << "usbip-worker: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    return run(options);
  } catch (const usbip::proto::ProtocolError& e) {
    spdlog::warn("client broke the protocol: {}", e.what());
    return kExitClientMisbehaved;
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}
