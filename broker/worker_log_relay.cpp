#include "broker/worker_log_relay.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <string_view>

namespace usbip {
namespace {

// A worker's log line longer than this is passed on in pieces.
constexpr size_t kMaxPendingBytes = 64 * 1024;

struct Relay {
  kj::Own<kj::AsyncInputStream> from;
  std::array<char, 4096> chunk{};
  std::string pending;  // the start of a line whose end has not arrived yet
};

// Best effort: when the broker's own stderr is gone there is nobody left to tell.
void writeToStderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

kj::Promise<void> pump(Relay& relay) {
  return relay.from->tryRead(relay.chunk.data(), 1, relay.chunk.size())
      .then([&relay](size_t n) -> kj::Promise<void> {
        if (n == 0) {
          writeToStderr(relay.pending);
          return kj::READY_NOW;
        }
        relay.pending.append(relay.chunk.data(), n);
        const auto lastNewline = relay.pending.rfind('\n');
        if (lastNewline != std::string::npos) {
          writeToStderr(std::string_view(relay.pending).substr(0, lastNewline + 1));
          relay.pending.erase(0, lastNewline + 1);
        }
        if (relay.pending.size() > kMaxPendingBytes) {
          writeToStderr(relay.pending);
          relay.pending.clear();
        }
        return pump(relay);
      });
}

}  // namespace

kj::Promise<void> relayWorkerLog(kj::Own<kj::AsyncInputStream> from) {
  auto relay = kj::heap<Relay>();
  relay->from = kj::mv(from);
  auto& state = *relay;
  return pump(state).catch_([](kj::Exception&&) {}).attach(kj::mv(relay));
}

}  // namespace usbip
