// The broker's session table, over a real socketpair: requests in the right order are answered,
// anything out of turn fails the call and ends the session (the broker then kills the worker).
#include "broker/worker_session.h"

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <sys/socket.h>

#include <thread>

#include "broker/simulated_exports.h"
#include "common/syscall.h"
#include "ipc/convert.h"
#include "ipc/fd_handle.h"
#include "ipc/send_only_fd_stream.h"

namespace usbip {
namespace {

std::pair<UniqueFd, UniqueFd> socketPair() {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The broker's side of one session, on its own thread as in usbip-host.
class BrokerSide {
 public:
  BrokerSide() : registry_(simulatedOnly({"hid"})) {
    auto [brokerEnd, workerEnd] = socketPair();
    auto [clientEnd, peerEnd] = socketPair();
    workerEnd_ = std::move(workerEnd);
    peer_ = std::move(peerEnd);
    thread_ = std::thread([this, b = std::move(brokerEnd), c = std::move(clientEnd)]() mutable {
      serve(std::move(b), std::move(c));
    });
  }
  ~BrokerSide() { join(); }

  UniqueFd takeWorkerEnd() { return std::move(workerEnd_); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool violated() const { return violated_; }
  bool leased() const { return lease_.has_value(); }

 private:
  void serve(UniqueFd brokerEnd, UniqueFd clientEnd) {
    auto io = kj::setupAsyncIo();
    auto stream = io.lowLevelProvider->wrapUnixSocketFd(
        brokerEnd.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    ipc::SendOnlyFdStream messages(*stream);
    capnp::TwoPartyVatNetwork network(messages, ipc::kMaxFdsPerBrokerMessage,
                                      capnp::rpc::twoparty::Side::SERVER);
    auto violation = kj::newPromiseAndFulfiller<void>();
    auto rpc = capnp::makeRpcServer(
        network,
        kj::heap<WorkerSession>(registry_, AcceptedConnection{std::move(clientEnd), "unix"}, "",
                                "test session", lease_, std::move(violation.fulfiller)));
    network.onDisconnect()
        .exclusiveJoin(violation.promise.then([this] { violated_ = true; }))
        .wait(io.waitScope);
  }

  ExportRegistry registry_;
  std::optional<Lease> lease_;
  bool violated_ = false;
  UniqueFd workerEnd_;
  UniqueFd peer_;
  std::thread thread_;
};

// The worker's side, as a test drives it.
class WorkerSide {
 public:
  explicit WorkerSide(UniqueFd end)
      : io_(kj::setupAsyncIo()),
        stream_(io_.lowLevelProvider->wrapUnixSocketFd(
            end.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP)),
        client_(*stream_, ipc::kMaxFdsPerBrokerMessage),
        broker_(client_.bootstrap().castAs<ipc::Broker>()) {}

  void clientConnection() {
    auto response = broker_.clientConnectionRequest().send().wait(io_.waitScope);
    ipc::takeFd(response.getSocket(), io_.waitScope, "the client socket");
  }
  // The bus IDs listed, each with the origin of its policy.
  std::vector<std::string> listDevices() {
    auto response = broker_.listDevicesRequest().send().wait(io_.waitScope);
    std::vector<std::string> listed;
    for (const auto d : response.getDevices()) {
      const auto offered = ipc::fromCapnp(d);
      listed.push_back(offered.busid() + " " + offered.policy.origin);
    }
    return listed;
  }
  // The limits handed over with an import, or nothing when refused.
  std::optional<policy::UrbLimits> importLimits(const std::string& busid) {
    auto request = broker_.importDeviceRequest();
    request.setBusid(busid);
    auto response = request.send().wait(io_.waitScope);
    auto result = response.getResult();
    if (result.isRefused()) return std::nullopt;
    return ipc::fromCapnp(result.getDevice().getLimits());
  }
  // "refused: why", "simulated: NAME" or "usbfs".
  std::string importDevice(const std::string& busid) {
    auto request = broker_.importDeviceRequest();
    request.setBusid(busid);
    auto response = request.send().wait(io_.waitScope);
    auto result = response.getResult();
    if (result.isRefused()) return std::string("refused: ") + result.getRefused().cStr();
    auto device = result.getDevice();
    return device.isSimulated() ? std::string("simulated: ") + device.getSimulated().cStr()
                                : std::string("usbfs");
  }

 private:
  kj::AsyncIoContext io_;
  kj::Own<kj::AsyncCapabilityStream> stream_;
  capnp::TwoPartyClient client_;
  ipc::Broker::Client broker_;
};

TEST(WorkerSession, RequestsInOrderAreAnswered) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    EXPECT_EQ(worker.listDevices(), std::vector<std::string>{"0-1 command line"});
    EXPECT_EQ(worker.importDevice("0-1"), "simulated: hid");
  }
  broker.join();
  EXPECT_FALSE(broker.violated());
  EXPECT_TRUE(broker.leased()) << "the import is held until the worker has exited";
}

TEST(WorkerSession, ImportCarriesThePolicysLimits) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    const auto limits = worker.importLimits("0-1");
    ASSERT_TRUE(limits.has_value());
    EXPECT_EQ(*limits, policy::UrbLimits{}) << "a named device has the default limits";
  }
  broker.join();
  EXPECT_FALSE(broker.violated());
}

// A refusal is an answer, not a violation.
TEST(WorkerSession, RefusedImportIsAnAnswer) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    EXPECT_EQ(worker.importDevice("9-9"), "refused: no exported device has bus ID '9-9'");
  }
  broker.join();
  EXPECT_FALSE(broker.violated());
  EXPECT_FALSE(broker.leased());
}

TEST(WorkerSession, ImportBeforeClientConnectionEndsTheSession) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    EXPECT_ANY_THROW(worker.importDevice("0-1"));
  }
  broker.join();
  EXPECT_TRUE(broker.violated());
  EXPECT_FALSE(broker.leased());
}

TEST(WorkerSession, SecondClientConnectionEndsTheSession) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    EXPECT_ANY_THROW(worker.clientConnection());
  }
  broker.join();
  EXPECT_TRUE(broker.violated());
}

TEST(WorkerSession, SecondImportEndsTheSession) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    EXPECT_EQ(worker.importDevice("9-9").rfind("refused", 0), 0u);
    EXPECT_ANY_THROW(worker.importDevice("0-1"));
  }
  broker.join();
  EXPECT_TRUE(broker.violated());
  EXPECT_FALSE(broker.leased());
}

TEST(WorkerSession, OverlongBusidIsRefused) {
  BrokerSide broker;
  {
    WorkerSide worker(broker.takeWorkerEnd());
    worker.clientConnection();
    EXPECT_EQ(worker.importDevice(std::string(200, '1')),
              "refused: bus ID longer than the wire allows");
  }
  broker.join();
  EXPECT_FALSE(broker.violated());
}

}  // namespace
}  // namespace usbip
