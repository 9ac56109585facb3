#include "fuzz/worker_ipc_seeds.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <sys/socket.h>

#include "common/syscall.h"
#include "common/unique_fd.h"
#include "ipc/broker.capnp.h"
#include "ipc/send_only_fd_stream.h"

namespace usbip::fuzz::seeds {

std::vector<uint8_t> recordWorkerIpc(const std::vector<IpcCall>& calls) {
  auto io = kj::setupAsyncIo();
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  UniqueFd brokerEnd(fds[1]);
  {
    auto stream = io.lowLevelProvider->wrapUnixSocketFd(
        fds[0],
        kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP | kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
    capnp::TwoPartyClient client(*stream, ipc::kMaxFdsPerBrokerMessage);
    auto broker = client.bootstrap().castAs<ipc::Broker>();
    std::vector<kj::Promise<void>> sent;
    for (const IpcCall& call : calls) {
      switch (call.kind) {
        case IpcCall::Kind::kClientConnection:
          sent.push_back(broker.clientConnectionRequest().send().ignoreResult());
          break;
        case IpcCall::Kind::kListDevices:
          sent.push_back(broker.listDevicesRequest().send().ignoreResult());
          break;
        case IpcCall::Kind::kImportDevice: {
          auto request = broker.importDeviceRequest();
          request.setBusid(call.busid);
          sent.push_back(request.send().ignoreResult());
          break;
        }
      }
    }
    // Lets the writes reach the socket; the answers never come.
    for (int turn = 0; turn < 16; ++turn)
      io.waitScope.poll();
  }
  std::vector<uint8_t> bytes;
  uint8_t buffer[4096];
  for (;;) {
    ssize_t n = ::recv(brokerEnd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

}  // namespace usbip::fuzz::seeds
