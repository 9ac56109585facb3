// Seeds for the worker_ipc target: the bytes a worker writes on its IPC socket for a sequence of
// calls, recorded from a real Cap'n Proto client of ipc::Broker. The calls are pipelined (none
// waits for an answer), so no broker is needed to record them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbip::fuzz::seeds {

struct IpcCall {
  enum class Kind { kClientConnection, kListDevices, kImportDevice };
  Kind kind;
  std::string busid;  // kImportDevice only
};

std::vector<uint8_t> recordWorkerIpc(const std::vector<IpcCall>& calls);

}  // namespace usbip::fuzz::seeds
