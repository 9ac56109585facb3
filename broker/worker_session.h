// The broker's side of one worker's IPC session: serves ipc::Broker to exactly one worker and
// answers each request only in the state where it belongs (OpenSSH monitor style):
//
//   state       permitted request         next state
//   kStart      clientConnection (once)   kConnected
//   kConnected  listDevices (once)        kConnected
//   kConnected  importDevice (once)       kDone
//
// Anything else means the worker is not behaving as a worker does, so it is treated as taken
// over: the call fails and the session is torn down (the worker is killed).
#pragma once

#include <kj/async.h>

#include <optional>
#include <string>

#include "broker/export_registry.h"
#include "common/socket.h"
#include "ipc/broker.capnp.h"

namespace usbip {

// Destroyed through kj::Own, which knows the real type (see ipc/fd_handle.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class WorkerSession final : public ipc::Broker::Server {
 public:
  // `reverseBusid`: the device a dialled connection exports (usbip-host connect), else empty.
  // `lease` receives the import, if any; it belongs to the caller because it must outlive this
  // object (it may be released only after the worker has exited). `violation` is fulfilled when
  // the worker breaks the table above.
  WorkerSession(ExportRegistry& registry, AcceptedConnection client, std::string reverseBusid,
                std::string context, std::optional<Lease>& lease,
                kj::Own<kj::PromiseFulfiller<void>> violation);

 protected:
  kj::Promise<void> clientConnection(ClientConnectionContext context) override;
  kj::Promise<void> listDevices(ListDevicesContext context) override;
  kj::Promise<void> importDevice(ImportDeviceContext context) override;

 private:
  enum class State { kStart, kConnected, kDone };

  // Fails the call and ends the session unless the request is permitted now.
  void require(bool permitted, const char* request);

  ExportRegistry& registry_;
  AcceptedConnection client_;
  const std::string peer_;  // as the broker accepted (or dialled) it: what the policy checks
  std::string reverseBusid_;
  std::string context_;
  std::optional<Lease>& lease_;
  kj::Own<kj::PromiseFulfiller<void>> violation_;
  State state_ = State::kStart;
  bool listed_ = false;
};

#pragma GCC diagnostic pop

}  // namespace usbip
