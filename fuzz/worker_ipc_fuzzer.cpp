// The broker's side of the worker IPC (ipc::Broker, broker/worker_session.h), fed by a worker
// that a hostile client has taken over: the input is what such a worker writes on its IPC socket,
// Cap'n Proto RPC framing included. The broker serves it the way usbip-host does (the same
// stream, message limits and session object, with the simulated devices exported) until the
// worker hangs up or breaks the session table. Checks beyond "no crash": an import holds exactly
// the device it names, that device is no longer offered, and releasing it offers it again.
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/export_registry.h"
#include "broker/simulated_exports.h"
#include "broker/worker_session.h"
#include "common/syscall.h"
#include "common/unique_fd.h"
#include "fuzz/check.h"
#include "ipc/send_only_fd_stream.h"
#include "ipc/worker_message_limits.h"

namespace usbip::fuzz {
namespace {

constexpr size_t kSimulatedDevices = 3;
constexpr const char* kPeer = "unix";  // the client connection's peer, as acceptConnection says

ExportRegistry& registry() {
  static ExportRegistry shared(simulatedOnly({"hid", "cdc", "uac"}));
  return shared;
}

struct SocketPair {
  UniqueFd first;
  UniqueFd second;
};

SocketPair socketPair() {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool offered(const std::string& busid) {
  auto devices = registry().offeredTo(kPeer);
  return std::any_of(devices.begin(), devices.end(),
                     [&](const OfferedDevice& device) { return device.busid() == busid; });
}

void serve(std::span<const uint8_t> data) {
  auto io = kj::setupAsyncIo();
  SocketPair ipc = socketPair();
  // The whole input fits the socket: libFuzzer's inputs stay far below its buffer.
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(ipc.second.get(), data.data() + sent, data.size() - sent,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) break;
    sent += static_cast<size_t>(checkSyscall(n, "send the fuzz input"));
  }
  checkSyscall(::shutdown(ipc.second.get(), SHUT_WR), "shutdown");
  SocketPair client = socketPair();  // the USB/IP client's connection the broker hands over

  std::optional<Lease> lease;
  {
    auto stream = io.lowLevelProvider->wrapUnixSocketFd(
        ipc.first.release(),
        kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP | kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
    ipc::SendOnlyFdStream messages(*stream);
    capnp::TwoPartyVatNetwork network(messages, ipc::kMaxFdsPerBrokerMessage,
                                      capnp::rpc::twoparty::Side::SERVER,
                                      ipc::workerMessageLimits());
    auto violation = kj::newPromiseAndFulfiller<void>();
    auto rpc = capnp::makeRpcServer(
        network,
        kj::heap<WorkerSession>(registry(), AcceptedConnection{std::move(client.first), kPeer},
                                std::string(), "fuzz", lease, std::move(violation.fulfiller)));
    try {
      network.onDisconnect().exclusiveJoin(std::move(violation.promise)).wait(io.waitScope);
    } catch (const kj::Exception&) {
      // a broken stream: usbip-host logs it and ends the session the same way
    }
  }

  if (lease) {
    std::string busid = lease->candidate().exported.device.busid;
    FUZZ_REQUIRE(!offered(busid));  // held: no second worker may import it
    FUZZ_REQUIRE(registry().offeredTo(kPeer).size() == kSimulatedDevices - 1);
    lease.reset();
    FUZZ_REQUIRE(offered(busid));
  }
  FUZZ_REQUIRE(registry().offeredTo(kPeer).size() == kSimulatedDevices);
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The broker logs every session and every refusal; USBIP_FUZZ_VERBOSE=1 shows them, for
  // checking what a seed reaches.
  if (std::getenv("USBIP_FUZZ_VERBOSE") == nullptr) spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  usbip::fuzz::serve({data, size});
  return 0;
}
