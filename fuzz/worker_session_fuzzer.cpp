// A whole worker session against one simulated device (simDeviceName(): "hid", "cdc" or "uac"):
// the input is what a client sends, written into one end of a socketpair; the worker side
// reads the handshake as usbip-worker does, answers it, and runs the real UrbEngine on the other
// end with the simulated device (manual clock, so every run is the same). Checks beyond "no
// crash": the engine never ends in kFailure or a stall; every reply it sent decodes as vhci would
// decode it, and the replies keep the unlink rules (ReplyTracker).
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/socket.h"
#include "common/syscall.h"
#include "common/unique_fd.h"
#include "fuzz/any_setting_endpoints.h"
#include "fuzz/check.h"
#include "fuzz/end_when_idle.h"
#include "fuzz/reply_tracker.h"
#include "fuzz/request_checks.h"
#include "fuzz/sim_device_name.h"
#include "fuzz/worker_session_input.h"
#include "protocol/codec.h"
#include "worker/sim/sim_devices.h"
#include "worker/urb_engine.h"

namespace usbip::fuzz {
namespace {

constexpr int kSocketBuffer = 1 << 20;

struct SocketPair {
  UniqueFd worker;
  UniqueFd client;
};

SocketPair socketPair() {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  SocketPair pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // Room for a whole input one way and every reply the other: nobody reads during the session.
  for (int fd : fds) {
    checkSyscall(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer),
                 "setsockopt(SO_SNDBUF)");
  }
  return pair;
}

int sendBuffer(const UniqueFd& socket) {
  int size = 0;
  socklen_t length = sizeof size;
  checkSyscall(::getsockopt(socket.get(), SOL_SOCKET, SO_SNDBUF, &size, &length),
               "getsockopt(SO_SNDBUF)");
  return size;
}

// Sends what the socket takes without blocking; the rest of an over-long input is dropped.
size_t sendWhatFits(const UniqueFd& socket, std::span<const uint8_t> bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n =
        ::send(socket.get(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    sent += static_cast<size_t>(checkSyscall(n, "send the fuzz input"));
  }
  return sent;
}

// The worker's handshake loop (worker/import_handshake.cpp) without the deadline: nothing more
// will arrive once the socket is empty. Throws ProtocolError like the worker.
std::optional<proto::ClientHandshake> readRequest(const UniqueFd& socket,
                                                  proto::HandshakeDecoder& decoder, size_t chunk) {
  std::vector<uint8_t> buffer(chunk);
  for (;;) {
    if (auto request = decoder.next()) return request;
    ssize_t n = ::recv(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
    if (checkSyscall(n, "recv the handshake") == 0) return std::nullopt;
    decoder.feed(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
  }
}

std::vector<uint8_t> readToEnd(const UniqueFd& socket) {
  std::vector<uint8_t> bytes;
  uint8_t buffer[65536];
  for (;;) {
    ssize_t n = ::recv(socket.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    // The engine closing with input unread resets the connection once its data is read.
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return bytes;
    checkSyscall(n, "recv the replies");
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
}

// The requests as the client sent them: how the engine must have framed those it accepted.
std::vector<proto::ClientUrbMessage> sentRequests(std::span<const uint8_t> stream,
                                                  const EndpointTable& endpoints,
                                                  const proto::Limits& limits) {
  std::vector<proto::ClientUrbMessage> requests;
  proto::UrbStreamDecoder decoder(limits, endpoints.lookup());
  decoder.feed(stream);
  try {
    while (auto request = decoder.next())
      requests.push_back(std::move(*request));
  } catch (const proto::ProtocolError&) {
    // the engine stops here at the latest
  }
  return requests;
}

// USBIP_FUZZ_VERBOSE=1 says how each session ended: for checking that seeds get far.
bool verbose() {
  static const bool enabled = std::getenv("USBIP_FUZZ_VERBOSE") != nullptr;
  return enabled;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "worker session: %s\n", what.c_str());
  std::abort();
}

// `mayBeCut`: the replies may have filled the socket, and the engine, ending, dropped the rest.
void checkReplies(std::span<const uint8_t> received, const proto::OpRepImport& importReply,
                  ReplyTracker& tracker, const proto::Limits& limits, bool mayBeCut) {
  // The reply as a client with the default limits decodes it (rule R1), then the URB stream
  // behind it, whose framing the requests' limits bound.
  proto::HandshakeReplyDecoder handshake(proto::OpCode::kRepImport, proto::Limits{});
  handshake.feed(received);
  std::optional<std::variant<proto::OpRepDevlist, proto::OpRepImport>> reply;
  try {
    reply = handshake.next();
  } catch (const proto::ProtocolError& error) {
    fail(std::string("the worker's OP_REP_IMPORT is one a client must reject: ") + error.what());
  }
  FUZZ_REQUIRE(reply && std::get<proto::OpRepImport>(*reply) == importReply);
  proto::ServerUrbDecoder replies(limits,
                                  [&](uint32_t seqnum) { return tracker.pendingFor(seqnum); });
  replies.feed(handshake.takeRemainder());
  try {
    while (auto message = replies.next())
      tracker.onReply(*message);
  } catch (const proto::ProtocolError& error) {
    fail(std::string("the worker sent a reply a client must reject: ") + error.what());
  }
  if (!mayBeCut) FUZZ_REQUIRE(replies.buffered() == 0);  // only whole replies
}

void serve(std::span<const uint8_t> data) {
  FuzzInput in(data);
  WorkerSessionInput input = WorkerSessionInput::read(in);
  std::unique_ptr<worker::DeviceBackend> device =
      worker::sim::makeSimulatedDevice(simDeviceName(), {.manualClock = true});
  const proto::DeviceRecord& record = device->description().exported.device;

  SocketPair sockets = socketPair();
  std::span<const uint8_t> sent = input.stream.first(sendWhatFits(sockets.client, input.stream));

  proto::HandshakeDecoder handshake;
  std::optional<proto::ClientHandshake> request;
  try {
    request = readRequest(sockets.worker, handshake, input.handshakeChunkBytes());
  } catch (const proto::ProtocolError&) {
    return;  // F1, F2: the worker closes the connection
  }
  if (!request) return;  // the client went away before its request
  const auto* import = std::get_if<proto::OpReqImport>(&*request);
  if (!import || import->busid != record.busid) return;  // answered, connection closed

  proto::OpRepImport reply{0, record};
  std::vector<uint8_t> replyBytes;
  proto::encode(reply, replyBytes);
  writeAll(sockets.worker, replyBytes.data(), replyBytes.size());

  worker::UrbEngineOptions options = input.engineOptions();
  auto replyRoom = static_cast<size_t>(sendBuffer(sockets.worker));
  EndWhenIdle backend(*device, sockets.worker.get(), sockets.client.get());
  worker::EngineResult result;
  {
    worker::UrbEngine engine(std::move(sockets.worker), handshake.takeRemainder(), backend,
                             options);
    result = engine.run();
  }
  if (verbose()) {
    std::fprintf(stderr, "session ended: %s (%s); %llu submitted, %llu completed, %llu unlinked\n",
                 std::string(worker::toString(result.end)).c_str(), result.detail.c_str(),
                 static_cast<unsigned long long>(result.stats.submitted),
                 static_cast<unsigned long long>(result.stats.completed),
                 static_cast<unsigned long long>(result.stats.unlinked));
  }
  if (result.end == worker::EngineEnd::kFailure) fail("engine failure: " + result.detail);
  if (result.end == worker::EngineEnd::kPeerStalled) fail("client stalled: " + result.detail);

  static const EndpointTable endpoints = anySettingEndpoints(device->description());
  ReplyTracker tracker(
      sentRequests(sent.subspan(encodedSize(*request)), endpoints, options.limits));
  std::vector<uint8_t> received = readToEnd(sockets.client);
  checkReplies(received, reply, tracker, options.limits, received.size() + 65536 > replyRoom);
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the engine logs every session; fuzzing runs millions
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  usbip::fuzz::serve({data, size});
  return 0;
}
