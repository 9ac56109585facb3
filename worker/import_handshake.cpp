#include "worker/import_handshake.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "common/syscall.h"
#include "protocol/errors.h"

namespace usbip::worker {

std::optional<proto::ClientHandshake> readClientHandshake(const UniqueFd& client,
                                                          proto::HandshakeDecoder& decoder,
                                                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<uint8_t, 512> chunk{};
  for (;;) {
    if (auto request = decoder.next()) return *request;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{client.get(), POLLIN, 0};
    const int ready = left.count() <= 0 ? 0 : retrySyscall("poll client socket", [&] {
      return ::poll(&pfd, 1, static_cast<int>(left.count()));
    });
    if (ready == 0) {
      throw proto::ProtocolError(
          proto::Rule::F11, "header",
          "no complete request within " + std::to_string(timeout.count()) + " ms");
    }
    const ssize_t n = ::read(client.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    // A client that resets the connection has gone, just as one that closes it.
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return std::nullopt;
    checkSyscall(n, "read handshake from client");
    decoder.feed(std::span<const uint8_t>(chunk.data(), static_cast<size_t>(n)));
  }
}

namespace {

// sendmsg rather than send(): the sandbox's system call filter allows the former only, and
// MSG_NOSIGNAL keeps a vanished client from raising SIGPIPE.
bool sendAll(const UniqueFd& client, const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    iovec part{const_cast<uint8_t*>(bytes.data() + sent), bytes.size() - sent};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    const ssize_t n = ::sendmsg(client.get(), &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return false;
    sent += static_cast<size_t>(checkSyscall(n, "send handshake reply"));
  }
  return true;
}

}  // namespace

bool sendReply(const UniqueFd& client, const proto::OpRepDevlist& reply) {
  std::vector<uint8_t> bytes;
  proto::encode(reply, bytes);
  return sendAll(client, bytes);
}

bool sendReply(const UniqueFd& client, const proto::OpRepImport& reply) {
  std::vector<uint8_t> bytes;
  proto::encode(reply, bytes);
  return sendAll(client, bytes);
}

}  // namespace usbip::worker
