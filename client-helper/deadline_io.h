// Reads bounded by a deadline, for the handshake: a server that stops in the middle of a reply
// is cut off instead of holding the helper forever (rule F11).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "common/unique_fd.h"

namespace usbip::client {

using Clock = std::chrono::steady_clock;

// Reads at most buffer.size() bytes, waiting no later than `deadline`. Returns 0 at the end of
// the stream. Throws proto::ProtocolError(F11) naming `what` when the deadline passes first, and
// std::system_error on a socket error.
size_t readSomeBefore(const UniqueFd& fd, std::span<uint8_t> buffer, Clock::time_point deadline,
                      const std::string& what);

// Fills `buffer` completely; returns how many bytes arrived before the end of the stream (less
// than buffer.size() only when the peer closed).
size_t readFullBefore(const UniqueFd& fd, std::span<uint8_t> buffer, Clock::time_point deadline,
                      const std::string& what);

}  // namespace usbip::client
