// Encoded replies waiting for the client's socket. Written without ever blocking, so a client
// that stops reading stalls nothing but itself; the engine stops reading requests while the
// queue holds more than its bound (F10) and cuts the client off if it never drains (F11).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/unique_fd.h"

namespace usbip::worker {

class OutboundQueue {
 public:
  void push(std::vector<uint8_t> message);
  bool empty() const { return messages_.empty(); }
  size_t bytes() const { return bytes_; }

  // Sends as much as the socket takes now. Returns the number of bytes sent (0 when the socket
  // is full). Throws std::system_error when the socket failed (EPIPE, ECONNRESET, ...).
  size_t writeTo(const UniqueFd& socket);

 private:
  std::deque<std::vector<uint8_t>> messages_;
  size_t sentOfFront_ = 0;  // bytes of messages_.front() already sent
  size_t bytes_ = 0;        // unsent bytes
};

}  // namespace usbip::worker
