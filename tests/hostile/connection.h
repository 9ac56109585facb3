// One raw USB/IP client connection over TCP: bytes exactly as the case writes them, replies
// decoded by the project's client-side codec (which checks them as vhci_hcd would).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "protocol/codec.h"
#include "worker/engine_test_client.h"

namespace usbip::hostile {

using namespace std::chrono_literals;

class Connection {
 public:
  // Called with our peer name after the local port is bound and before connecting, so that
  // the caller can count the broker's earlier connections from the same port; kept as index().
  using BeforeConnect = std::function<size_t(const std::string& peer)>;

  // Connects to 127.0.0.1:port; `peer` is how the broker will name us in its log. With a
  // `timeout`, gives up (throws std::system_error ETIMEDOUT) when the host's listen queue does
  // not take the connection in that time.
  explicit Connection(uint16_t port, const BeforeConnect& beforeConnect = {},
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  const std::string& peer() const { return peer_; }
  size_t index() const { return index_; }
  // A small send buffer: the kernel then holds little of what the other side does not read.
  void shrinkSendBuffer();
  void sendRaw(std::span<const uint8_t> bytes);
  // Writes what it can without blocking; false when the socket would block (the other side
  // stopped reading and every buffer in between is full).
  bool trySend(std::span<const uint8_t> bytes, size_t& sent);
  template <class Message>
  void send(const Message& message) {
    std::vector<uint8_t> bytes;
    proto::encode(message, bytes);
    sendRaw(bytes);
  }

  // The handshake, the request written in one piece or, with `dribble`, a byte at a time that
  // far apart. nullopt when the server closed without an answer.
  std::optional<proto::OpRepImport> import(const std::string& busid,
                                           std::chrono::milliseconds dribble = 0ms);
  std::optional<proto::OpRepDevlist> devlist();

  // After a successful import: the URB stream, through the test client of the engine's tests.
  worker::testing::EngineTestClient& urbs();

  // True when the server closes the connection within `timeout`, whatever it sent before
  // (counted in bytesBeforeClose()).
  bool closedByServer(std::chrono::milliseconds timeout);
  size_t bytesBeforeClose() const { return bytesBeforeClose_; }
  // Resets instead of closing (SO_LINGER 0), as a client that crashed would.
  void reset();
  void close();
  int fd() const;

 private:
  UniqueFd socket_;
  std::string peer_;
  std::optional<worker::testing::EngineTestClient> urbs_;
  size_t bytesBeforeClose_ = 0;
  size_t index_ = 0;
};

}  // namespace usbip::hostile
