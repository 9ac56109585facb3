// The engine's event loop and URB bookkeeping. Everything runs on one thread: completions come
// from backend.handleEvents(), which the loop calls, so no state here needs a lock.
#include "worker/urb_engine.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <variant>

#include "common/syscall.h"

namespace usbip::worker {
namespace {

constexpr int kMaxReadsPerWakeup = 16;

// Why the loop stopped, when it stopped without an exception.
struct Stop {
  EngineEnd end;
  std::optional<proto::Rule> rule;
  std::string detail;
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string describe(const proto::BasicHeader& base) {
  return "seqnum " + std::to_string(base.seqnum) + " ep " + std::to_string(base.ep) +
         (base.direction == proto::Direction::kIn ? " IN" : " OUT");
}

// Rules F8 and F10 with the policy's caps: whichever of the engine's and the policy's is smaller.
UrbEngineOptions narrowedByPolicy(UrbEngineOptions options) {
  options.limits.maxTransferLength =
      std::min(options.limits.maxTransferLength, options.policy.maxTransferSize);
  options.maxUrbsInFlight = std::min(options.maxUrbsInFlight, options.policy.maxUrbsInFlight);
  options.maxBytesInFlight =
      std::min<uint64_t>(options.maxBytesInFlight, options.policy.maxBytesInFlight);
  return options;
}

// Serial-number order (RFC 1982): seqnums wrap at 2^32.
bool seqnumBefore(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

// Bulk-Only Mass Storage Reset (BOT 3.1): class request FFh to the interface.
constexpr uint8_t kClassToInterface = 0x21;
constexpr uint8_t kBulkOnlyReset = 0xff;

}  // namespace

std::string_view toString(EngineEnd end) {
  switch (end) {
    case EngineEnd::kClientClosed:
      return "client closed the connection";
    case EngineEnd::kProtocolViolation:
      return "protocol violation";
    case EngineEnd::kPeerStalled:
      return "client stalled";
    case EngineEnd::kDeviceGone:
      return "device gone";
    case EngineEnd::kFailure:
      return "failure";
  }
  return "unknown";
}

UrbEngine::UrbEngine(UniqueFd client, std::vector<uint8_t> alreadyReceived, DeviceBackend& backend,
                     UrbEngineOptions options)
    : client_(std::move(client)),
      backend_(backend),
      options_(narrowedByPolicy(std::move(options))),
      state_(backend.description(), options_.policy),
      devid_(backend.description().exported.device.devid()),
      decoder_(options_.limits, [this](uint32_t ep, proto::Direction direction) {
        return state_.endpoint(ep, direction);
      }) {
  options_.readChunkBytes = std::max<size_t>(options_.readChunkBytes, 1);
  if (options_.maxIsoPacketsPerTransfer == 0) {
    throw std::invalid_argument("maxIsoPacketsPerTransfer must be at least 1");
  }
  for (const std::string& warning : state_.parseWarnings()) {
    spdlog::warn("device descriptors: {}", warning);
  }
  if (options_.policy.readOnly) storage_.setInterfaces(state_.bulkOnlyInterfaces());
  decoder_.feed(alreadyReceived);
}

UrbEngine::~UrbEngine() = default;

EngineResult UrbEngine::run() {
  if (ran_) throw std::logic_error("UrbEngine::run() called twice");
  ran_ = true;
  spdlog::info(
      "serving devid {:#010x} (configuration {}; at most {} bytes per URB, {} URBs and {} "
      "bytes in flight{}{}{})",
      devid_, state_.activeConfiguration(), options_.limits.maxTransferLength,
      options_.maxUrbsInFlight, options_.maxBytesInFlight,
      options_.policy.readOnly ? "; read-only storage" : "",
      options_.policy.hidOnly ? "; HID only" : "",
      options_.policy.allowReset ? "; resets allowed" : "");

  EngineResult result;
  try {
    serve();
    if (deviceGone_) {
      result.end = EngineEnd::kDeviceGone;
      result.detail = "the device reported -ENODEV";
    } else {
      result.end = EngineEnd::kClientClosed;
      result.detail = clientGoneDetail_;
    }
  } catch (const proto::ProtocolError& error) {
    result.end =
        error.rule() == proto::Rule::F11 ? EngineEnd::kPeerStalled : EngineEnd::kProtocolViolation;
    result.rule = error.rule();
    result.detail = error.what();
  } catch (const std::exception& error) {
    result.end = EngineEnd::kFailure;
    result.detail = error.what();
  }
  shutDown();
  result.stats = stats_;
  if (result.end == EngineEnd::kClientClosed) {
    spdlog::info("devid {:#010x}: {} ({})", devid_, toString(result.end), result.detail);
  } else {
    spdlog::warn("devid {:#010x}: {}: {}", devid_, toString(result.end), result.detail);
  }
  return result;
}

void UrbEngine::serve() {
  now_ = LoopClock::now();
  readProgress_ = now_;
  writeProgress_ = now_;
  while (!clientGone_ && !deviceGone_) {
    processInput();
    if (clientGone_ || deviceGone_) break;
    pollOnce();
  }
  // Replies for a vanished device are still worth a try; the client learns -ENODEV sooner.
  if (deviceGone_ && !clientGone_) {
    try {
      outbound_.writeTo(client_);
    } catch (const std::system_error&) {
    }
  }
}

bool UrbEngine::wantsInput() const {
  return !clientGone_ && !deviceGone_ &&
         pending_.size() + waitingUnlinks_.size() < options_.maxUrbsInFlight &&
         bytesInFlight_ < options_.maxBytesInFlight &&
         outbound_.bytes() < options_.maxOutboundBytes;
}

void UrbEngine::processInput() {
  while (wantsInput()) {
    std::optional<proto::ClientUrbMessage> message = decoder_.next();
    if (!message) return;
    std::visit(Overloaded{[this](proto::CmdSubmit& submit) { handle(std::move(submit)); },
                          [this](proto::CmdUnlink& unlink) { handle(unlink); }},
               *message);
  }
}

std::optional<LoopClock::time_point> UrbEngine::stallDeadline() const {
  std::optional<LoopClock::time_point> deadline;
  // Only a message the client started and did not finish counts: an idle client is fine, and
  // while the engine is not reading, the missing bytes are not the client's fault.
  if (wantsInput() && decoder_.buffered() > 0) deadline = readProgress_ + options_.peerTimeout;
  if (!outbound_.empty()) {
    auto write = writeProgress_ + options_.peerTimeout;
    deadline = deadline ? std::min(*deadline, write) : write;
  }
  return deadline;
}

void UrbEngine::pollOnce() {
  bool reading = wantsInput();
  if (reading && !wasWantingInput_) readProgress_ = now_;
  wasWantingInput_ = reading;

  std::vector<pollfd>& fds = pollFds_;  // kept: its storage is reused every turn
  fds.clear();
  // A USB/IP client never half-closes: once it stops sending it is gone, and noticing that
  // while not reading (back-pressure) matters as much as while reading.
  short events = POLLRDHUP;
  if (reading) events |= POLLIN;
  if (!outbound_.empty()) events |= POLLOUT;
  fds.push_back(pollfd{client_.get(), events, 0});
  for (const pollfd& fd : backend_.pollFds())
    fds.push_back(fd);

  int timeoutMs = -1;
  auto consider = [&](LoopClock::time_point when) {
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(when - now_).count();
    int ms = static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
    timeoutMs = timeoutMs < 0 ? ms : std::min(timeoutMs, ms);
  };
  std::optional<LoopClock::time_point> backendDeadline;
  if (auto backendTimeout = backend_.nextTimeout()) {
    backendDeadline = now_ + *backendTimeout;
    consider(*backendDeadline);
  }
  std::optional<LoopClock::time_point> stall = stallDeadline();
  if (stall) consider(*stall);
  // Only while reading: a submit held up by back-pressure is still in the socket.
  if (reading && !heldUnlinks_.empty()) consider(readProgress_ + options_.earlyUnlinkGrace);

  retrySyscall("poll on the client socket and the device",
               [&] { return ::poll(fds.data(), static_cast<nfds_t>(fds.size()), timeoutMs); });
  now_ = LoopClock::now();

  short socketEvents = fds[0].revents;
  if ((socketEvents & POLLNVAL) != 0) throw std::logic_error("client socket is not open");
  if ((socketEvents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
    clientGone_ = true;
    clientGoneDetail_ = (socketEvents & POLLERR) != 0 ? "socket error" : "hang-up";
    return;
  }
  if ((socketEvents & POLLOUT) != 0) flushOutbound();
  if ((socketEvents & POLLIN) != 0 && !clientGone_) readAvailable();

  bool backendReady = backendDeadline && now_ >= *backendDeadline;
  for (size_t i = 1; i < fds.size(); ++i)
    backendReady = backendReady || fds[i].revents != 0;
  if (backendReady) backend_.handleEvents();
  if (!heldUnlinks_.empty() && wantsInput() && now_ >= readProgress_ + options_.earlyUnlinkGrace) {
    answerAllHeldUnlinks();
  }
  if (!outbound_.empty() && !clientGone_) flushOutbound();

  if (stall && now_ >= *stall) {
    // Recomputed: the progress just made may have moved it.
    std::optional<LoopClock::time_point> current = stallDeadline();
    if (current && now_ >= *current) {
      bool writing = !outbound_.empty() && now_ >= writeProgress_ + options_.peerTimeout;
      throw proto::ProtocolError(proto::Rule::F11, writing ? "socket" : "header",
                                 writing
                                     ? "the client has not read a reply for " +
                                           std::to_string(options_.peerTimeout.count()) + " ms"
                                     : "the client left a message unfinished for " +
                                           std::to_string(options_.peerTimeout.count()) + " ms");
    }
  }
}

void UrbEngine::readAvailable() {
  // Several chunks per wake-up (a large OUT transfer is many chunks), each decoded before the
  // next is read, so that the decoder never holds more than one message and one chunk.
  for (int reads = 0; reads < kMaxReadsPerWakeup && wantsInput(); ++reads) {
    if (!readSocket()) return;
    processInput();
  }
}

bool UrbEngine::readSocket() {
  // recvmsg, not recv(): glibc's recv() is the recvfrom system call, which the worker's
  // seccomp filter leaves out.
  // Straight into the decoder's buffer, or into a large OUT payload's own one.
  std::span<uint8_t> space = decoder_.receiveBuffer(options_.readChunkBytes);
  iovec part{space.data(), space.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  ssize_t got = ::recvmsg(client_.get(), &message, MSG_DONTWAIT);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    if (errno == ECONNRESET || errno == ETIMEDOUT) {
      clientGone_ = true;
      clientGoneDetail_ = errno == ECONNRESET ? "connection reset" : "keepalive timed out";
      return false;
    }
    throwErrno(errno, "recv from the USB/IP client");
  }
  if (got == 0) {
    clientGone_ = true;
    clientGoneDetail_ = "end of stream";
    return false;
  }
  decoder_.received(static_cast<size_t>(got));
  readProgress_ = now_;
  return static_cast<size_t>(got) == space.size();
}

void UrbEngine::flushOutbound() {
  try {
    if (outbound_.writeTo(client_) > 0) writeProgress_ = now_;
  } catch (const std::system_error& error) {
    if (error.code() == std::errc::broken_pipe || error.code() == std::errc::connection_reset) {
      clientGone_ = true;
      clientGoneDetail_ = "connection closed while replying";
      return;
    }
    throw;
  }
}

void UrbEngine::checkDevid(const proto::BasicHeader& base) const {
  if (base.devid != devid_) {
    char text[64];
    std::snprintf(text, sizeof text, "%#010x, the imported device is %#010x", base.devid, devid_);
    throw proto::ProtocolError(proto::Rule::F4, "devid", text);
  }
}

void UrbEngine::checkFreshSeqnum(uint32_t seqnum) const {
  if (pending_.contains(seqnum) || waitingUnlinks_.contains(seqnum) ||
      heldUnlinks_.contains(seqnum)) {
    throw proto::ProtocolError(proto::Rule::F5, "seqnum",
                               std::to_string(seqnum) + " is already pending");
  }
}

void UrbEngine::handle(proto::CmdSubmit submit) {
  checkDevid(submit.base);
  checkFreshSeqnum(submit.base.seqnum);
  std::optional<proto::EndpointInfo> endpoint =
      state_.endpoint(submit.base.ep, submit.base.direction);
  if (!endpoint) {
    throw proto::ProtocolError(proto::Rule::F7, "ep", describe(submit.base) + " does not exist");
  }
  const uint32_t seqnum = submit.base.seqnum;
  if (!highestSubmitSeqnum_ || seqnumBefore(*highestSubmitSeqnum_, seqnum)) {
    highestSubmitSeqnum_ = seqnum;
  }
  if (!heldUnlinks_.empty()) {
    std::vector<uint32_t> unlinkedBy = settleHeldUnlinks(seqnum);
    if (!unlinkedBy.empty()) {
      cancelBeforeSubmission(submit, std::move(unlinkedBy));
      return;
    }
  }
  if (!state_.mayUseEndpoint(submit.base.ep, submit.base.direction)) {
    // What usbfs answers for an interface the fd may not claim; the same for every backend.
    refuse("endpoint of an interface the policy does not let the client claim",
           describe(submit.base));
    answerAtOnce(submit, -EACCES);
    return;
  }
  if (endpoint->type == proto::TransferType::kControl && handleControl(submit)) return;
  std::optional<uint32_t> writeProtectByte;
  const auto address = static_cast<uint8_t>(
      submit.base.ep | (submit.base.direction == proto::Direction::kIn ? 0x80u : 0u));
  if (endpoint->type == proto::TransferType::kBulk && storage_.watches(address)) {
    StorageVerdict verdict = storage_.onTransfer(
        address, submit.payload, static_cast<uint32_t>(submit.transfer_buffer_length),
        (submit.transfer_flags & proto::flags::kShortNotOk) != 0);
    if (verdict.refusalKind != nullptr) {
      refuse(verdict.refusalKind, describe(submit.base) + ": " + verdict.refusal);
    }
    if (verdict.answer) {
      answerAtOnce(submit, verdict.answer->status, std::move(*verdict.answer));
      return;
    }
    writeProtectByte = verdict.writeProtectByte;
  }
  if (endpoint->type == proto::TransferType::kIsochronous &&
      submit.base.direction == proto::Direction::kIn) {
    // The reply packs every packet's data; more than transfer_buffer_length (overlapping
    // packets) would make vhci drop the connection, and would let a small request claim a
    // large buffer here.
    uint64_t total = 0;
    for (const proto::IsoPacket& packet : submit.iso)
      total += packet.length;
    if (total > static_cast<uint64_t>(submit.transfer_buffer_length)) {
      throw proto::ProtocolError(proto::Rule::I3, "iso_packet.length",
                                 "IN packet lengths add up to " + std::to_string(total) +
                                     ", more than transfer_buffer_length " +
                                     std::to_string(submit.transfer_buffer_length));
    }
  }
  submitToBackend(std::move(submit), endpoint->type, writeProtectByte);
}

bool UrbEngine::handleControl(const proto::CmdSubmit& submit) {
  SetupFields setup = SetupFields::parse(submit.setup);
  // Formatted only for a refusal: control requests are on the latency-critical path.
  auto request = [&] {
    return fmt::format("{} (bmRequestType {:#04x} bRequest {:#04x} wValue {:#06x} wIndex {:#06x})",
                       describe(submit.base), setup.requestType, setup.request, setup.value,
                       setup.index);
  };
  // A refused request is stalled, as a device answers a request it does not support.
  if (!policy::controlRequestAllowed(state_.limits(), setup.requestType, setup.request,
                                     setup.value)) {
    refuse(policy::isPortReset(setup.requestType, setup.request, setup.value)
               ? "port reset (requests.allow_reset is false)"
               : "control request the policy does not allow",
           request());
    answerAtOnce(submit, -EPIPE);
    return true;
  }
  bool allowed = std::visit(
      Overloaded{[](std::monostate) { return true; },
                 [this](NamedInterface named) { return state_.mayNameInterface(named.number); },
                 [this](NamedEndpoint named) {
                   // usbfs also lets through an endpoint number given without its direction
                   // bit, which some Windows programs send.
                   return state_.mayNameEndpoint(named.address) ||
                          state_.mayNameEndpoint(static_cast<uint8_t>(named.address ^ 0x80));
                 }},
      namedRecipient(setup));
  if (!allowed) {
    refuse("rule C4: recipient outside the claimable interfaces of the active configuration",
           request());
    answerAtOnce(submit, -EPIPE);
    return true;
  }
  if (submit.base.ep != 0) return false;
  std::optional<SpecialRequest> special = specialRequest(setup);
  if (!special) {
    // The device starts its transport afresh, so the read-only guard does too.
    if (setup.requestType == kClassToInterface && setup.request == kBulkOnlyReset) {
      storage_.resetInterface(static_cast<uint8_t>(setup.index & 0xff));
    }
    return false;
  }
  if (std::optional<std::string> refusal = refusedByPolicy(*special)) {
    refuse(*refusal, request());
    answerAtOnce(submit, -EPIPE);
    return true;
  }
  // Performed now, so that the requests behind it in the stream are decoded against the state
  // it leaves; the kernel queues the request behind the pipe's earlier transfers anyway.
  int32_t status = performSpecial(*special);
  noteStatus(status);
  spdlog::debug("{}: standard request {:#04x} performed through the USB stack, status {}",
                describe(submit.base), setup.request, status);
  answerAtOnce(submit, status);
  return true;
}

std::optional<std::string> UrbEngine::refusedByPolicy(const SpecialRequest& request) const {
  if (const auto* config = std::get_if<SetConfigurationRequest>(&request)) {
    if (backend_.description().configurationFixed &&
        config->value != state_.activeConfiguration()) {
      return "SET_CONFIGURATION to another configuration than the one the device was exported in "
             "(switching would let the host's drivers bind to the new configuration; choose it on "
             "the host, sysfs bConfigurationValue, before exporting)";
    }
    if (config->value <= 0xff &&
        !state_.mayEnterConfiguration(static_cast<uint8_t>(config->value))) {
      return "SET_CONFIGURATION to a configuration that is absent or has an interface the policy "
             "does not let the client claim";
    }
  }
  if (const auto* alt = std::get_if<SetInterfaceRequest>(&request)) {
    if (alt->interface <= 0xff && alt->alternate <= 0xff &&
        !state_.mayEnterAltSetting(static_cast<uint8_t>(alt->interface),
                                   static_cast<uint8_t>(alt->alternate))) {
      return "SET_INTERFACE to an alternate setting that is absent or that the policy does not "
             "let the client claim";
    }
  }
  return std::nullopt;
}

void UrbEngine::refuse(std::string_view kind, const std::string& detail) {
  ++stats_.refused;
  // Once per kind at warning level: a client repeating a refused request must not flood the log.
  if (refusalsLogged_.emplace(kind).second) {
    spdlog::warn(
        "devid {:#010x}: policy refused {}: {} (answered with an error; repeats are "
        "logged at debug level)",
        devid_, kind, detail);
  } else {
    spdlog::debug("devid {:#010x}: policy refused {}: {}", devid_, kind, detail);
  }
}

void UrbEngine::answerAtOnce(const proto::CmdSubmit& submit, int32_t status,
                             StorageVerdict::Answer data) {
  PendingUrb urb;
  urb.direction = submit.base.direction;
  urb.onDefaultPipe = submit.base.ep == 0;
  urb.resolved = true;
  urb.answer = proto::RetSubmit{};
  urb.answer->status = status;
  urb.answer->actual_length = static_cast<int32_t>(
      std::min<uint64_t>(data.actualLength, static_cast<uint64_t>(submit.transfer_buffer_length)));
  if (submit.base.direction == proto::Direction::kIn) {
    // A short answer is padded with zeros, written here: resize() alone leaves them unset.
    urb.answer->payload.assign(data.data.begin(), data.data.end());
    urb.answer->payload.resize(static_cast<size_t>(urb.answer->actual_length), 0);
  }
  // An isochronous reply carries every packet's descriptor (rule I4), each failed alike.
  for (const proto::IsoPacket& packet : submit.iso) {
    urb.answer->iso.push_back({packet.offset, packet.length, 0, status});
  }
  urb.answer->number_of_packets = static_cast<int32_t>(submit.iso.size());
  urb.answer->error_count = static_cast<int32_t>(submit.iso.size());
  ++stats_.submitted;
  answerInOrder(submit.base.seqnum, std::move(urb));
}

void UrbEngine::answerInOrder(uint32_t seqnum, PendingUrb urb) {
  if (!urb.onDefaultPipe) {
    sendAnswer(seqnum, urb);
    return;
  }
  pending_.emplace(seqnum, std::move(urb));
  defaultPipeOrder_.push_back(seqnum);
  releaseDefaultPipe();
}

int32_t UrbEngine::performSpecial(const SpecialRequest& request) {
  return std::visit(Overloaded{[this](const SetConfigurationRequest& r) -> int32_t {
                                 if (r.value > 0xff) return -EINVAL;
                                 auto value = static_cast<uint8_t>(r.value);
                                 int status = backend_.setConfiguration(value);
                                 if (status == 0) state_.setConfiguration(value);
                                 if (status == 0 && options_.policy.readOnly) {
                                   storage_.setInterfaces(state_.bulkOnlyInterfaces());
                                 }
                                 return status;
                               },
                               [this](const SetInterfaceRequest& r) -> int32_t {
                                 if (r.interface > 0xff || r.alternate > 0xff) return -EINVAL;
                                 auto interface = static_cast<uint8_t>(r.interface);
                                 auto alternate = static_cast<uint8_t>(r.alternate);
                                 int status = backend_.setInterface(interface, alternate);
                                 if (status == 0) state_.setInterface(interface, alternate);
                                 if (status == 0 && options_.policy.readOnly) {
                                   storage_.setInterfaces(state_.bulkOnlyInterfaces());
                                 }
                                 return status;
                               },
                               [this](const ClearHaltRequest& r) -> int32_t {
                                 return backend_.clearHalt(r.endpoint);
                               },
                               [this](const ResetDeviceRequest&) -> int32_t {
                                 storage_.resetAll();
                                 return backend_.resetDevice();
                               }},
                    request);
}

void UrbEngine::submitToBackend(proto::CmdSubmit submit, proto::TransferType type,
                                std::optional<uint32_t> writeProtectByte) {
  bool in = submit.base.direction == proto::Direction::kIn;
  auto endpoint = static_cast<uint8_t>(submit.base.ep | (in ? 0x80u : 0u));
  uint32_t seqnum = submit.base.seqnum;

  PendingUrb urb;
  urb.direction = submit.base.direction;
  urb.type = type;
  urb.onDefaultPipe = type == proto::TransferType::kControl && submit.base.ep == 0;
  urb.transferBufferLength = submit.transfer_buffer_length;
  urb.writeProtectByte = writeProtectByte;
  urb.accountedBytes = static_cast<uint64_t>(submit.transfer_buffer_length) +
                       submit.iso.size() * proto::kIsoPacketSize;

  std::vector<Transfer> transfers;
  if (type == proto::TransferType::kIsochronous) {
    transfers = splitIsoSubmit(submit, endpoint, options_.maxIsoPacketsPerTransfer);
    urb.iso = std::move(submit.iso);
  } else {
    Transfer transfer;
    transfer.endpoint = endpoint;
    transfer.type = type;
    if (type == proto::TransferType::kControl) transfer.setup = submit.setup;
    if (in) {
      transfer.data.resize(static_cast<size_t>(submit.transfer_buffer_length));
    } else {
      transfer.data = std::move(submit.payload);
    }
    transfer.shortNotOk = (submit.transfer_flags & proto::flags::kShortNotOk) != 0;
    transfer.zeroPacket = (submit.transfer_flags & proto::flags::kZeroPacket) != 0;
    transfer.interval = submit.interval;
    transfers.push_back(std::move(transfer));
  }

  urb.results.resize(transfers.size());
  urb.outstanding = transfers.size();
  for (size_t piece = 0; piece < transfers.size(); ++piece) {
    transfers[piece].id = nextTransferId_++;
    urb.transferIds.push_back(transfers[piece].id);
    transfers_.emplace(transfers[piece].id, TransferRef{seqnum, piece});
  }
  bytesInFlight_ += urb.accountedBytes;
  if (urb.onDefaultPipe) defaultPipeOrder_.push_back(seqnum);
  pending_.emplace(seqnum, std::move(urb));
  ++stats_.submitted;
  // Formatted only when wanted: this is every URB's path.
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("{}: submitted as {} transfer(s)", describe(submit.base), transfers.size());
  }

  for (Transfer& transfer : transfers) {
    backend_.submit(std::move(transfer), [this](uint64_t id, TransferResult result) {
      onTransferDone(id, std::move(result));
    });
  }
}

void UrbEngine::handle(const proto::CmdUnlink& unlink) {
  checkDevid(unlink.base);
  checkFreshSeqnum(unlink.base.seqnum);
  ++stats_.unlinked;
  auto target = pending_.find(unlink.unlink_seqnum);
  if (target == pending_.end()) {
    if (holdForItsSubmit(unlink)) return;
    // U2: already answered (or never seen). The RET_SUBMIT, if any, went out first.
    queueRetUnlink(unlink.base.seqnum, 0);
    return;
  }
  // U1: the answer waits for the backend to give the transfers back, so that the device is
  // really done with them when the client hears they were cancelled.
  PendingUrb& urb = target->second;
  bool first = urb.unlinkedBy.empty();
  urb.unlinkedBy.push_back(unlink.base.seqnum);
  waitingUnlinks_.insert(unlink.base.seqnum);
  // Resolved but still waiting for its turn on the default pipe: the client has no answer yet,
  // so the cancellation it asked for becomes that answer.
  if (urb.resolved || !first) return;
  for (uint64_t id : urb.transferIds) {
    if (transfers_.contains(id)) backend_.cancel(id);
  }
}

// U3. vhci numbers its requests from one counter and sends its queued CMD_SUBMITs, in order,
// and then its queued CMD_UNLINKs; a URB submitted and unlinked while that thread is between
// the two lists has its CMD_UNLINK sent first. Answered 0 at once, as the kernel's stub would,
// that unlink makes vhci give the URB back, and the RET_SUBMIT that follows names a URB vhci no
// longer has, which makes it drop the connection. So an unlink of a seqnum above every
// CMD_SUBMIT seen, and below its own, waits for that submit and cancels it before it runs.
bool UrbEngine::holdForItsSubmit(const proto::CmdUnlink& unlink) {
  const uint32_t target = unlink.unlink_seqnum;
  bool notSubmittedYet = !highestSubmitSeqnum_ || seqnumBefore(*highestSubmitSeqnum_, target);
  if (!notSubmittedYet || !seqnumBefore(target, unlink.base.seqnum)) return false;
  if (heldUnlinks_.size() >= options_.maxEarlyUnlinks) return false;
  heldUnlinks_.emplace(unlink.base.seqnum, target);
  spdlog::debug("devid {:#010x}: unlink {} names seqnum {}, not submitted yet: held for it", devid_,
                unlink.base.seqnum, target);
  return true;
}

void UrbEngine::cancelBeforeSubmission(const proto::CmdSubmit& submit,
                                       std::vector<uint32_t> unlinkedBy) {
  ++stats_.unlinkedBeforeSubmit;
  spdlog::debug("{}: cancelled before it ran, by the unlink sent ahead of it",
                describe(submit.base));
  PendingUrb urb;
  urb.direction = submit.base.direction;
  urb.onDefaultPipe = submit.base.ep == 0;
  urb.resolved = true;
  urb.unlinkedBy = std::move(unlinkedBy);
  answerInOrder(submit.base.seqnum, std::move(urb));
}

std::vector<uint32_t> UrbEngine::settleHeldUnlinks(uint32_t submitSeqnum) {
  std::vector<uint32_t> naming;
  for (auto it = heldUnlinks_.begin(); it != heldUnlinks_.end();) {
    auto [unlinkSeqnum, target] = *it;
    if (target == submitSeqnum) {
      naming.push_back(unlinkSeqnum);
    } else if (seqnumBefore(target, submitSeqnum)) {
      queueRetUnlink(unlinkSeqnum, 0);
    } else {
      ++it;
      continue;
    }
    it = heldUnlinks_.erase(it);
  }
  return naming;
}

void UrbEngine::answerAllHeldUnlinks() {
  for (auto [unlinkSeqnum, target] : heldUnlinks_)
    queueRetUnlink(unlinkSeqnum, 0);
  heldUnlinks_.clear();
}

void UrbEngine::onTransferDone(uint64_t id, TransferResult result) {
  auto ref = transfers_.find(id);
  if (ref == transfers_.end()) {
    spdlog::warn("completion for unknown transfer {} ignored", id);
    return;
  }
  TransferRef where = ref->second;
  transfers_.erase(ref);
  auto it = pending_.find(where.seqnum);
  if (it == pending_.end()) return;
  PendingUrb& urb = it->second;
  urb.results[where.piece] = std::move(result);
  if (--urb.outstanding > 0) return;
  finish(urb);
  if (closing_) {
    pending_.erase(it);
  } else if (urb.onDefaultPipe) {
    releaseDefaultPipe();
  } else {
    sendAnswer(where.seqnum, urb);
    pending_.erase(it);
  }
}

void UrbEngine::finish(PendingUrb& urb) {
  bytesInFlight_ -= urb.accountedBytes;
  urb.accountedBytes = 0;
  for (const TransferResult& result : urb.results)
    noteStatus(result.status);
  urb.resolved = true;
  if (urb.unlinkedBy.empty() && !closing_) urb.answer = replyFor(urb);
  urb.results = {};  // the answer holds what the client gets; the buffers can go
}

void UrbEngine::sendAnswer(uint32_t seqnum, PendingUrb& urb) {
  for (uint32_t unlinkSeqnum : urb.unlinkedBy)
    waitingUnlinks_.erase(unlinkSeqnum);
  if (!urb.unlinkedBy.empty()) {
    // U1: whatever the transfer's own outcome (it may have finished just before the cancel
    // reached it), the client was promised a cancellation and gets no RET_SUBMIT.
    for (uint32_t unlinkSeqnum : urb.unlinkedBy)
      queueRetUnlink(unlinkSeqnum, -ECONNRESET);
    return;
  }
  proto::RetSubmit reply = std::move(*urb.answer);
  reply.base.seqnum = seqnum;
  ++stats_.completed;
  queueRetSubmit(std::move(reply));
}

void UrbEngine::releaseDefaultPipe() {
  while (!defaultPipeOrder_.empty()) {
    auto it = pending_.find(defaultPipeOrder_.front());
    if (it != pending_.end()) {
      if (!it->second.resolved) return;
      sendAnswer(it->first, it->second);
      pending_.erase(it);
    }
    defaultPipeOrder_.pop_front();
  }
}

proto::RetSubmit UrbEngine::replyFor(PendingUrb& urb) const {
  if (urb.type == proto::TransferType::kIsochronous) {
    return joinIsoResults(urb.iso, urb.direction, urb.results, options_.maxIsoPacketsPerTransfer);
  }
  TransferResult& result = urb.results.front();
  proto::RetSubmit reply;
  reply.status = result.status;
  // The backend is ours, but a length it cannot have produced must not reach the wire.
  uint64_t actual =
      std::min<uint64_t>(result.actualLength, static_cast<uint64_t>(urb.transferBufferLength));
  if (urb.direction == proto::Direction::kIn) {
    actual = std::min<uint64_t>(actual, result.data.size());
    auto length = static_cast<size_t>(actual);
    if (length >= result.data.capacity() / 2) {
      // Moved, not copied: under emulation a full memory pass over a 1 MiB bulk IN costs
      // milliseconds.
      reply.payload = std::move(result.data);
      reply.payload.resize(length);
    } else {
      // A short answer to a large request is copied out, so that the queued reply holds only
      // what the outbound limit counts, not the whole buffer the client asked for.
      reply.payload.assign(result.data.begin(),
                           result.data.begin() + static_cast<std::ptrdiff_t>(length));
    }
    // A MODE SENSE reply is nearly always short, which usb-storage's URB_SHORT_NOT_OK turns
    // into -EREMOTEIO; the data is the reply all the same.
    if (urb.writeProtectByte && (reply.status == 0 || reply.status == -EREMOTEIO)) {
      setWriteProtect(reply.payload, *urb.writeProtectByte);
    }
  }
  reply.actual_length = static_cast<int32_t>(actual);
  return reply;
}

void UrbEngine::queueRetSubmit(proto::RetSubmit reply) {
  std::vector<uint8_t> header;
  std::vector<uint8_t> trailer;
  proto::encodeAroundPayload(reply, header, trailer);
  if (outbound_.empty()) writeProgress_ = now_;
  // Three pieces that go out in one gathered write: the payload is never copied into a message.
  outbound_.push(std::move(header));
  outbound_.push(std::move(reply.payload));
  outbound_.push(std::move(trailer));
}

void UrbEngine::queueRetUnlink(uint32_t seqnum, int32_t status) {
  proto::RetUnlink reply;
  reply.base.seqnum = seqnum;
  reply.status = status;
  std::vector<uint8_t> bytes;
  proto::encode(reply, bytes);
  if (outbound_.empty()) writeProgress_ = now_;
  outbound_.push(std::move(bytes));
}

void UrbEngine::noteStatus(int32_t status) {
  if (status == -ENODEV) deviceGone_ = true;
}

void UrbEngine::shutDown() {
  closing_ = true;
  try {
    for (const auto& [id, ref] : transfers_)
      backend_.cancel(id);
    backend_.drain();
  } catch (const std::exception& error) {
    spdlog::error("devid {:#010x}: draining the device failed: {}", devid_, error.what());
  }
  if (!transfers_.empty()) {
    spdlog::warn("devid {:#010x}: {} transfer(s) not given back by the device", devid_,
                 transfers_.size());
  }
  transfers_.clear();
  pending_.clear();
  waitingUnlinks_.clear();
  heldUnlinks_.clear();
  defaultPipeOrder_.clear();
  bytesInFlight_ = 0;
  client_.reset();
}

}  // namespace usbip::worker
