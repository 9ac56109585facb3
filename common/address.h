// Transport addresses as users write them: tcp:PORT, tcp:HOST:PORT, vsock:PORT,
// vsock:CID:PORT, fc-vsock:PATH:PORT, unix:PATH.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace usbip {

struct Address {
  enum class Kind { kTcp, kVsock, kFirecrackerVsock, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;              // tcp: host name or IP literal (IPv6 without brackets); empty = any
  std::optional<uint32_t> cid;   // vsock: peer CID (connect) or bind CID (listen); empty = any
  uint32_t port = 0;             // tcp, vsock and fc-vsock
  std::string path;              // unix socket path, or Firecracker's hybrid vsock socket

  std::string toString() const;
};

// Throws std::invalid_argument with a message that names what is wrong and shows the accepted forms.
Address parseAddress(std::string_view text);

}  // namespace usbip
