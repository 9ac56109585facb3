#include "worker/outbound_queue.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "common/syscall.h"

namespace usbip::worker {
namespace {

// Enough iovecs to fill a socket buffer with small replies in one call.
constexpr size_t kMaxIovecs = 64;

}  // namespace

void OutboundQueue::push(std::vector<uint8_t> message) {
  if (message.empty()) return;
  bytes_ += message.size();
  messages_.push_back(Piece{std::move(message), {}});
}

void OutboundQueue::push(proto::TransferBytes payload) {
  if (payload.empty()) return;
  bytes_ += payload.size();
  messages_.push_back(Piece{{}, std::move(payload)});
}

size_t OutboundQueue::writeTo(const UniqueFd& socket) {
  size_t sentTotal = 0;
  while (!messages_.empty()) {
    iovec iov[kMaxIovecs];
    size_t count = 0;
    for (auto it = messages_.begin(); it != messages_.end() && count < kMaxIovecs; ++it, ++count) {
      size_t skip = count == 0 ? sentOfFront_ : 0;
      iov[count].iov_base = it->data() + skip;
      iov[count].iov_len = it->size() - skip;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t sent = ::sendmsg(socket.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      throwErrno(errno, "sendmsg to the USB/IP client");
    }
    auto remaining = static_cast<size_t>(sent);
    sentTotal += remaining;
    bytes_ -= remaining;
    while (remaining > 0) {
      size_t left = messages_.front().size() - sentOfFront_;
      if (remaining < left) {
        sentOfFront_ += remaining;
        break;
      }
      remaining -= left;
      messages_.pop_front();
      sentOfFront_ = 0;
    }
  }
  return sentTotal;
}

}  // namespace usbip::worker
