// Test-only: the client end of the engine's socket, speaking the wire format through the real
// codec (encoders for requests, ServerUrbDecoder for replies, which checks them as vhci would).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/socket.h"
#include "common/syscall.h"
#include "common/unique_fd.h"
#include "protocol/codec.h"

namespace usbip::worker::testing {

class EngineTestClient {
 public:
  explicit EngineTestClient(UniqueFd socket)
      : socket_(std::move(socket)),
        decoder_(proto::Limits{}, [this](uint32_t seqnum) -> std::optional<proto::PendingSubmit> {
          auto it = pending_.find(seqnum);
          if (it == pending_.end()) return std::nullopt;
          return it->second;
        }) {}

  // Remembers a request sent some other way, so that its reply can be decoded.
  void expect(const proto::CmdSubmit& submit) {
    pending_[submit.base.seqnum] =
        proto::PendingSubmit{submit.base.direction, !submit.iso.empty(),
                             submit.transfer_buffer_length, submit.number_of_packets};
  }
  void send(const proto::CmdSubmit& submit) {
    expect(submit);
    std::vector<uint8_t> bytes;
    proto::encode(submit, bytes);
    sendRaw(bytes);
  }
  void send(const proto::CmdUnlink& unlink) {
    std::vector<uint8_t> bytes;
    proto::encode(unlink, bytes);
    sendRaw(bytes);
  }
  void sendRaw(const std::vector<uint8_t>& bytes) { writeAll(socket_, bytes.data(), bytes.size()); }

  // The next reply, or nullopt if none arrives in time. Throws on end of stream.
  std::optional<proto::ServerUrbMessage> receive(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto message = decoder_.next()) return message;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      if (!readSome(left)) return std::nullopt;
    }
  }
  proto::RetSubmit receiveRetSubmit() {
    auto message = receive();
    if (!message) throw std::runtime_error("no reply");
    return std::get<proto::RetSubmit>(*message);
  }
  proto::RetUnlink receiveRetUnlink() {
    auto message = receive();
    if (!message) throw std::runtime_error("no reply");
    return std::get<proto::RetUnlink>(*message);
  }

  // True when the engine closed its end (after any replies still unread).
  bool waitForEof(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
      for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (!readSome(left)) return false;
      }
    } catch (const std::runtime_error&) {
      return true;
    }
  }

  void close() { socket_.reset(); }
  const UniqueFd& socket() const { return socket_; }

 private:
  // False on timeout; throws std::runtime_error at end of stream.
  bool readSome(std::chrono::milliseconds timeout) {
    pollfd fd{socket_.get(), POLLIN, 0};
    int ready =
        retrySyscall("poll", [&] { return ::poll(&fd, 1, static_cast<int>(timeout.count())); });
    if (ready == 0) return false;
    uint8_t buffer[65536];
    ssize_t got = ::recv(socket_.get(), buffer, sizeof buffer, 0);
    if (got < 0 && errno == ECONNRESET) throw std::runtime_error("connection reset");
    checkSyscall(got, "recv");
    if (got == 0) throw std::runtime_error("end of stream");
    decoder_.feed(std::span<const uint8_t>(buffer, static_cast<size_t>(got)));
    return true;
  }

  UniqueFd socket_;
  std::map<uint32_t, proto::PendingSubmit> pending_;
  proto::ServerUrbDecoder decoder_;
};

}  // namespace usbip::worker::testing
