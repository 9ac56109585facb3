// The worker's side of ipc/broker.capnp: blocking calls to the broker over fd 3. All calls run
// on the thread that created the client (KJ event loops are per thread).
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <string>
#include <variant>
#include <vector>

#include "broker/export_policy.h"
#include "common/unique_fd.h"
#include "ipc/broker.capnp.h"
#include "policy/urb_limits.h"
#include "protocol/messages.h"

namespace usbip::worker {

struct ClientConnection {
  UniqueFd socket;
  std::string peer;
  std::string reverseBusid;  // non-empty in reverse mode: what an empty import busid means
};

// What the broker lists for this connection's client, with what decideImport() reads.
struct OfferedDevices {
  std::vector<OfferedDevice> devices;
};

struct ImportRefused {
  std::string reason;
};
struct ImportedUsbfs {
  proto::ExportedDevice exported;
  policy::UrbLimits limits;  // what the engine enforces on this device's URB stream
  UniqueFd device;           // /dev/bus/usb/BBB/DDD, interfaces claimed, usbfs privileges dropped
};
struct ImportedSimulated {
  proto::ExportedDevice exported;
  policy::UrbLimits limits;
  std::string name;  // hid, cdc, uac
};
using ImportOutcome = std::variant<ImportRefused, ImportedUsbfs, ImportedSimulated>;

class BrokerClient {
 public:
  // Takes the IPC socket (fd 3 of a worker). Throws std::system_error when it is not a socket.
  explicit BrokerClient(UniqueFd ipcSocket);
  BrokerClient(const BrokerClient&) = delete;
  BrokerClient& operator=(const BrokerClient&) = delete;

  // The descriptor number of the IPC socket, for the sandbox's list of descriptors to keep.
  int ipcFd() const { return ipcFd_; }

  ClientConnection clientConnection();
  OfferedDevices listDevices();
  ImportOutcome importDevice(const std::string& busid);

 private:
  int ipcFd_;
  kj::AsyncIoContext io_;
  kj::Own<kj::AsyncCapabilityStream> stream_;
  capnp::TwoPartyClient client_;
  ipc::Broker::Client broker_;
};

}  // namespace usbip::worker
