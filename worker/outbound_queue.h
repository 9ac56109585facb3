// Encoded replies waiting for the client's socket. Written without ever blocking, so a client
// that stops reading stalls nothing but itself; the engine stops reading requests while the
// queue holds more than its bound (F10) and cuts the client off if it never drains (F11).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/unique_fd.h"
#include "protocol/transfer_bytes.h"

namespace usbip::worker {

class OutboundQueue {
 public:
  // An encoded message, or a URB's payload between its reply's header and trailer.
  void push(std::vector<uint8_t> message);
  void push(proto::TransferBytes payload);
  bool empty() const { return messages_.empty(); }
  size_t bytes() const { return bytes_; }

  // Sends as much as the socket takes now. Returns the number of bytes sent (0 when the socket
  // is full). Throws std::system_error when the socket failed (EPIPE, ECONNRESET, ...).
  size_t writeTo(const UniqueFd& socket);

 private:
  // One of the two is used; a payload is kept in its own buffer so that it is never copied.
  struct Piece {
    std::vector<uint8_t> encoded;
    proto::TransferBytes payload;
    uint8_t* data() { return encoded.empty() ? payload.data() : encoded.data(); }
    size_t size() const { return encoded.empty() ? payload.size() : encoded.size(); }
  };
  std::deque<Piece> messages_;
  size_t sentOfFront_ = 0;  // bytes of messages_.front() already sent
  size_t bytes_ = 0;        // unsent bytes
};

}  // namespace usbip::worker
