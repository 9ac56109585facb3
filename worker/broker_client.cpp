#include "worker/broker_client.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <stdexcept>

#include "common/syscall.h"
#include "ipc/convert.h"
#include "ipc/fd_handle.h"
#include "ipc/send_only_fd_stream.h"

namespace usbip::worker {
namespace {

// Checked before KJ takes the descriptor, so that a worker started by hand fails with a
// sentence instead of a KJ assertion.
int requireSocket(const UniqueFd& fd) {
  struct stat st {};
  checkSyscall(::fstat(fd.get(), &st), "fstat IPC descriptor " + std::to_string(fd.get()));
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error("descriptor " + std::to_string(fd.get()) +
                             " is not the broker's socket; usbip-worker is started by usbip-host");
  }
  return fd.get();
}

}  // namespace

BrokerClient::BrokerClient(UniqueFd ipcSocket)
    : ipcFd_(requireSocket(ipcSocket)),
      io_(kj::setupAsyncIo()),
      stream_(io_.lowLevelProvider->wrapUnixSocketFd(ipcSocket.release(),
                                                     kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP)),
      client_(*stream_, ipc::kMaxFdsPerBrokerMessage),
      broker_(client_.bootstrap().castAs<ipc::Broker>()) {}

ClientConnection BrokerClient::clientConnection() {
  auto response = broker_.clientConnectionRequest().send().wait(io_.waitScope);
  ClientConnection connection;
  connection.socket = ipc::takeFd(response.getSocket(), io_.waitScope, "the client connection");
  connection.peer = response.getPeer();
  connection.reverseBusid = response.getReverseBusid();
  return connection;
}

OfferedDevices BrokerClient::listDevices() {
  auto response = broker_.listDevicesRequest().send().wait(io_.waitScope);
  OfferedDevices offered;
  for (const auto device : response.getDevices()) {
    offered.devices.push_back(ipc::fromCapnp(device));
  }
  return offered;
}

ImportOutcome BrokerClient::importDevice(const std::string& busid) {
  auto request = broker_.importDeviceRequest();
  request.setBusid(busid);
  auto response = request.send().wait(io_.waitScope);
  const auto result = response.getResult();
  if (result.isRefused()) return ImportRefused{result.getRefused()};
  const auto device = result.getDevice();
  auto exported = ipc::fromCapnp(device.getExported());
  policy::UrbLimits limits;
  try {
    // Unset, it reads as the policy defaults (ipc/broker.capnp says why).
    limits = ipc::fromCapnp(device.getLimits());
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error(std::string("the broker's URB limits for ") + busid + ": " +
                             error.what());
  }
  if (device.isSimulated()) {
    return ImportedSimulated{std::move(exported), std::move(limits), device.getSimulated()};
  }
  return ImportedUsbfs{std::move(exported), std::move(limits),
                       ipc::takeFd(device.getUsbfs(), io_.waitScope, "the USB device")};
}

}  // namespace usbip::worker
