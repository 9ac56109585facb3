// The worker's side of the import: what BrokerClient makes of the broker's ImportedDevice, in
// particular its URB limits, over a real socketpair with a broker thread serving canned answers.
#include "worker/broker_client.h"

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <sys/socket.h>

#include <functional>
#include <stdexcept>
#include <thread>

#include "common/syscall.h"
#include "ipc/convert.h"
#include "ipc/send_only_fd_stream.h"

namespace usbip::worker {
namespace {

#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"  // see ipc/fd_handle.h

using FillDevice = std::function<void(ipc::ImportedDevice::Builder)>;

class CannedBroker final : public ipc::Broker::Server {
 public:
  explicit CannedBroker(FillDevice fill) : fill_(std::move(fill)) {}

 protected:
  kj::Promise<void> importDevice(ImportDeviceContext context) override {
    auto device = context.getResults().initResult().initDevice();
    proto::ExportedDevice exported;
    exported.device.busid = "sim-hid";
    exported.device.busnum = 0;
    exported.device.devnum = 1;
    ipc::toCapnp(exported, device.initExported());
    device.setSimulated("hid");
    fill_(device);
    return kj::READY_NOW;
  }

 private:
  FillDevice fill_;
};

// Serves one broker session on `socket` until the worker's end closes.
void serve(UniqueFd socket, FillDevice fill) {
  auto io = kj::setupAsyncIo();
  auto stream = io.lowLevelProvider->wrapUnixSocketFd(socket.release(),
                                                      kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
  ipc::SendOnlyFdStream messages(*stream);
  capnp::TwoPartyVatNetwork network(messages, ipc::kMaxFdsPerBrokerMessage,
                                    capnp::rpc::twoparty::Side::SERVER);
  auto rpc = capnp::makeRpcServer(network, kj::heap<CannedBroker>(std::move(fill)));
  network.onDisconnect().wait(io.waitScope);
}

// The worker's import of a device the canned broker describes; the broker thread is always
// joined, whatever the import throws.
ImportOutcome importWith(FillDevice fill) {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  UniqueFd workerEnd(fds[0]);
  std::thread broker(serve, UniqueFd(fds[1]), std::move(fill));
  std::optional<ImportOutcome> outcome;
  std::exception_ptr failure;
  {
    try {
      BrokerClient client(std::move(workerEnd));
      outcome = client.importDevice("sim-hid");
    } catch (...) {
      failure = std::current_exception();
    }
  }
  broker.join();
  if (failure) std::rethrow_exception(failure);
  return std::move(*outcome);
}

TEST(BrokerClient, ImportedDeviceCarriesTheBrokersLimits) {
  policy::UrbLimits limits;
  limits.maxTransferSize = 65536;
  limits.maxBytesInFlight = 1u << 20;
  limits.maxUrbsInFlight = 16;
  limits.allowReset = true;
  limits.extraControlRequests = {{0x40, 0x01}};
  limits.hidOnly = true;
  ImportOutcome outcome = importWith(
      [&](ipc::ImportedDevice::Builder device) { ipc::toCapnp(limits, device.initLimits()); });
  const auto* simulated = std::get_if<ImportedSimulated>(&outcome);
  ASSERT_NE(simulated, nullptr);
  EXPECT_EQ(simulated->name, "hid");
  EXPECT_EQ(simulated->limits, limits);
}

TEST(BrokerClient, LimitsTheBrokerLeftUnsetAreThePolicyDefaults) {
  ImportOutcome outcome = importWith([](ipc::ImportedDevice::Builder) {});
  const auto* simulated = std::get_if<ImportedSimulated>(&outcome);
  ASSERT_NE(simulated, nullptr);
  EXPECT_EQ(simulated->limits, policy::UrbLimits{});
}

TEST(BrokerClient, LimitsOutOfRangeFailTheImport) {
  EXPECT_THROW(importWith([](ipc::ImportedDevice::Builder device) {
                 device.initLimits().setMaxTransferSize(0);
               }),
               std::runtime_error);
}

}  // namespace
}  // namespace usbip::worker
