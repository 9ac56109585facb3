#include "broker/worker_session.h"

#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include "ipc/convert.h"
#include "ipc/fd_handle.h"

namespace usbip {
namespace {

constexpr size_t kMaxBusidLength = 31;  // the wire's busid field, less its NUL

}  // namespace

WorkerSession::WorkerSession(ExportRegistry& registry, AcceptedConnection client,
                             std::string reverseBusid, std::string context,
                             std::optional<Lease>& lease,
                             kj::Own<kj::PromiseFulfiller<void>> violation)
    : registry_(registry),
      client_(std::move(client)),
      peer_(client_.peer),
      reverseBusid_(std::move(reverseBusid)),
      context_(std::move(context)),
      lease_(lease),
      violation_(std::move(violation)) {}

void WorkerSession::require(bool permitted, const char* request) {
  if (permitted) return;
  spdlog::error("{}: worker sent {} out of turn; ending its session", context_, request);
  if (violation_->isWaiting()) violation_->fulfill();
  KJ_FAIL_REQUIRE("request not permitted in this session state", request);
}

kj::Promise<void> WorkerSession::clientConnection(ClientConnectionContext context) {
  require(state_ == State::kStart, "clientConnection");
  state_ = State::kConnected;
  auto results = context.getResults();
  results.setSocket(kj::heap<ipc::FdHandleServer>(std::move(client_.fd)));
  results.setPeer(client_.peer);
  results.setReverseBusid(reverseBusid_);
  return kj::READY_NOW;
}

kj::Promise<void> WorkerSession::listDevices(ListDevicesContext context) {
  require(state_ == State::kConnected && !listed_, "listDevices");
  listed_ = true;
  const auto offered = registry_.offeredTo(peer_);
  auto devices = context.getResults().initDevices(static_cast<unsigned>(offered.size()));
  for (unsigned i = 0; i < offered.size(); ++i)
    ipc::toCapnp(offered[i], devices[i]);
  spdlog::debug("{}: listed {} device(s)", context_, offered.size());
  return kj::READY_NOW;
}

kj::Promise<void> WorkerSession::importDevice(ImportDeviceContext context) {
  require(state_ == State::kConnected, "importDevice");
  state_ = State::kDone;
  const auto requested = context.getParams().getBusid();
  auto result = context.getResults().initResult();
  if (requested.size() > kMaxBusidLength) {
    result.setRefused("bus ID longer than the wire allows");
    spdlog::warn("{}: refused import: bus ID of {} bytes", context_, requested.size());
    return kj::READY_NOW;
  }
  auto outcome = registry_.acquire(std::string_view(requested.cStr(), requested.size()), peer_);
  if (auto* refusal = std::get_if<Refusal>(&outcome)) {
    spdlog::warn("{}: refused import: {}", context_, refusal->reason);
    result.setRefused(refusal->reason);
    return kj::READY_NOW;
  }
  auto& lease = lease_.emplace(std::move(std::get<Lease>(outcome)));
  auto device = result.initDevice();
  ipc::toCapnp(lease.candidate().exported, device.initExported());
  ipc::toCapnp(lease.policy().limits, device.initLimits());
  if (const auto* sim = std::get_if<SimulatedDevice>(&lease.source())) {
    device.setSimulated(sim->name);
  } else {
    device.setUsbfs(kj::heap<ipc::FdHandleServer>(lease.takeWorkerFd()));
  }
  spdlog::info("{}: imports {} under {}", context_, lease.candidate().exported.device.busid,
               lease.policy().origin);
  return kj::READY_NOW;
}

}  // namespace usbip
