// The fd-passing path end to end on a real socketpair: a server thread hands out a pipe's read end
// as an FdHandle, the client takes it and reads what was written into the pipe.
#include <capnp/rpc-twoparty.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "common/socket.h"
#include "common/syscall.h"
#include "ipc/fd_handle.h"
#include "ipc/send_only_fd_stream.h"

namespace usbip::ipc {
namespace {

#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"  // see ipc/fd_handle.h

class PipeBroker final : public Broker::Server {
 public:
  explicit PipeBroker(UniqueFd readEnd) : readEnd_(std::move(readEnd)) {}

 protected:
  kj::Promise<void> clientConnection(ClientConnectionContext context) override {
    auto results = context.getResults();
    results.setSocket(kj::heap<FdHandleServer>(std::move(readEnd_)));
    results.setPeer("test-peer");
    return kj::READY_NOW;
  }

 private:
  UniqueFd readEnd_;
};

std::pair<UniqueFd, UniqueFd> makeSocketPair() {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void serve(UniqueFd socket, UniqueFd pipeReadEnd) {
  auto io = kj::setupAsyncIo();
  auto stream = io.lowLevelProvider->wrapUnixSocketFd(socket.release(),
                                                      kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
  // The serving side sends descriptors and accepts none, as the broker does.
  SendOnlyFdStream messages(*stream);
  capnp::TwoPartyVatNetwork network(messages, kMaxFdsPerBrokerMessage,
                                    capnp::rpc::twoparty::Side::SERVER);
  auto rpc = capnp::makeRpcServer(network, kj::heap<PipeBroker>(std::move(pipeReadEnd)));
  network.onDisconnect().wait(io.waitScope);
}

// Returns what the client could read from the descriptor it received.
std::string fetchAndReadOrThrow(UniqueFd socket, unsigned maxFds) {
  auto io = kj::setupAsyncIo();
  auto stream = io.lowLevelProvider->wrapUnixSocketFd(socket.release(),
                                                      kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
  capnp::TwoPartyClient client(*stream, maxFds);
  auto broker = client.bootstrap().castAs<Broker>();
  auto response = broker.clientConnectionRequest().send().wait(io.waitScope);
  EXPECT_EQ(std::string(response.getPeer().cStr()), "test-peer");
  auto fd = takeFd(response.getSocket(), io.waitScope, "the test pipe");
  char buffer[5] = {};
  readExact(fd, buffer, 5);
  return std::string(buffer, 5);
}

// The same, with a failure as its text, so that the server thread is always joined.
std::string fetchAndRead(UniqueFd socket, unsigned maxFds) {
  try {
    return fetchAndReadOrThrow(std::move(socket), maxFds);
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

TEST(FdPassing, DescriptorArrivesWithTheCapability) {
  int pipeFds[2];
  checkSyscall(::pipe2(pipeFds, O_CLOEXEC), "pipe2");
  UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
  ASSERT_EQ(::write(writeEnd.get(), "hello", 5), 5);
  auto [brokerEnd, workerEnd] = makeSocketPair();
  std::thread server(serve, std::move(brokerEnd), std::move(readEnd));
  EXPECT_EQ(fetchAndRead(std::move(workerEnd), kMaxFdsPerBrokerMessage), "hello");
  server.join();
}

TEST(FdPassing, NoDescriptorWhenTheReceiverDoesNotAcceptAny) {
  int pipeFds[2];
  checkSyscall(::pipe2(pipeFds, O_CLOEXEC), "pipe2");
  UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
  auto [brokerEnd, workerEnd] = makeSocketPair();
  std::thread server(serve, std::move(brokerEnd), std::move(readEnd));
  EXPECT_EQ(fetchAndRead(std::move(workerEnd), 0),
            "error: the broker sent no file descriptor for the test pipe");
  server.join();
}

}  // namespace
}  // namespace usbip::ipc
