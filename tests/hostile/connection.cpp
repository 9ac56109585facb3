#include "tests/hostile/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>
#include <thread>

#include "common/socket.h"
#include "common/syscall.h"

namespace usbip::hostile {
namespace {

// Reads exactly `size` bytes unless the server closes or `timeout` passes first.
bool readFully(int fd, uint8_t* into, size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (size > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) != 1) return false;
    const ssize_t n = ::recv(fd, into, size, 0);
    if (n <= 0) return false;
    into += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Connection::Connection(uint16_t port, const BeforeConnect& beforeConnect,
                       std::optional<std::chrono::milliseconds> timeout) {
  socket_ = UniqueFd(checkSyscall(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
  // Every write its own segment, so that a header sent in pieces arrives in pieces.
  const int one = 1;
  checkSyscall(::setsockopt(socket_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one),
               "TCP_NODELAY");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  checkSyscall(::bind(socket_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local),
               "bind a local port");
  socklen_t length = sizeof local;
  checkSyscall(::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&local), &length),
               "getsockname");
  peer_ = "tcp:127.0.0.1:" + std::to_string(ntohs(local.sin_port));
  if (beforeConnect) index_ = beforeConnect(peer_);

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!timeout) {
    checkSyscall(::connect(socket_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
                 "connect to the host");
    return;
  }
  const int flags = checkSyscall(::fcntl(socket_.get(), F_GETFL), "F_GETFL");
  checkSyscall(::fcntl(socket_.get(), F_SETFL, flags | O_NONBLOCK), "O_NONBLOCK");
  if (::connect(socket_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    if (errno != EINPROGRESS) throwErrno(errno, "connect to the host");
    pollfd pfd{socket_.get(), POLLOUT, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout->count())) != 1) {
      throwErrno(ETIMEDOUT, "connect to the host");
    }
    int error = 0;
    socklen_t size = sizeof error;
    checkSyscall(::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &size), "SO_ERROR");
    if (error != 0) throwErrno(error, "connect to the host");
  }
  checkSyscall(::fcntl(socket_.get(), F_SETFL, flags), "blocking again");
}

void Connection::shrinkSendBuffer() {
  const int bytes = 64 * 1024;
  checkSyscall(::setsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes), "SO_SNDBUF");
}

int Connection::fd() const {
  return urbs_ ? urbs_->socket().get() : socket_.get();
}

void Connection::sendRaw(std::span<const uint8_t> bytes) {
  writeAll(urbs_ ? urbs_->socket() : socket_, bytes.data(), bytes.size());
}

bool Connection::trySend(std::span<const uint8_t> bytes, size_t& sent) {
  sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        ::send(fd(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    checkSyscall(n, "send to the host");
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<proto::OpRepImport> Connection::import(const std::string& busid,
                                                     std::chrono::milliseconds dribble) {
  if (dribble.count() == 0) {
    send(proto::OpReqImport{busid});
  } else {
    std::vector<uint8_t> request;
    proto::encode(proto::OpReqImport{busid}, request);
    for (const uint8_t byte : request) {
      writeAll(socket_, &byte, 1);
      std::this_thread::sleep_for(dribble);
    }
  }
  std::vector<uint8_t> bytes(proto::kOpHeaderSize);
  if (!readFully(socket_.get(), bytes.data(), bytes.size(), 10s)) return std::nullopt;
  const bool ok = bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0;
  if (ok) {
    bytes.resize(proto::kOpHeaderSize + proto::kDeviceRecordSize);
    if (!readFully(socket_.get(), bytes.data() + proto::kOpHeaderSize, proto::kDeviceRecordSize,
                   10s)) {
      return std::nullopt;
    }
  }
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepImport, proto::Limits{});
  decoder.feed(bytes);
  auto reply = decoder.next();
  if (!reply) throw std::runtime_error("import reply incomplete");
  auto result = std::get<proto::OpRepImport>(*reply);
  if (result.status == 0) urbs_.emplace(std::move(socket_));
  return result;
}

std::optional<proto::OpRepDevlist> Connection::devlist() {
  send(proto::OpReqDevlist{});
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepDevlist, proto::Limits{});
  uint8_t chunk[4096];
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    if (auto reply = decoder.next()) return std::get<proto::OpRepDevlist>(*reply);
    pollfd pfd{socket_.get(), POLLIN, 0};
    if (std::chrono::steady_clock::now() > deadline || ::poll(&pfd, 1, 1000) < 0) {
      return std::nullopt;
    }
    if (pfd.revents == 0) continue;
    const ssize_t n = ::recv(socket_.get(), chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    decoder.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
  }
}

worker::testing::EngineTestClient& Connection::urbs() {
  if (!urbs_) throw std::logic_error("no device imported on this connection");
  return *urbs_;
}

bool Connection::closedByServer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t chunk[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd(), chunk, sizeof chunk, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno != EINTR) return true;
    if (n > 0) bytesBeforeClose_ += static_cast<size_t>(n);
  }
}

void Connection::reset() {
  const linger abort{1, 0};
  ::setsockopt(fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close();
}

void Connection::close() {
  if (urbs_) {
    urbs_->close();
  } else {
    socket_.reset();
  }
}

}  // namespace usbip::hostile
