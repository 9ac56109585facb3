// Stream sockets on every transport the project speaks; all blocking, all returning owned fds.
#pragma once

#include <string>

#include "common/address.h"
#include "common/unique_fd.h"

namespace usbip {

struct AcceptedConnection {
  UniqueFd fd;
  std::string peer;  // printable peer: "tcp:[::1]:5000", "vsock:3:1024", "unix"
};

// Binds and listens. For fc-vsock the host side of Firecracker's hybrid vsock listens on the unix
// socket "PATH_PORT", which is where Firecracker forwards guest connections to PORT.
UniqueFd listenOn(const Address& address);

// Accepts one connection, retrying EINTR. Sets TCP keepalive where the transport has it.
AcceptedConnection acceptConnection(const UniqueFd& listener, const Address& listenAddress);

// Connects (blocking). For fc-vsock: connects to PATH, sends "CONNECT <port>\n", expects "OK <n>\n".
UniqueFd connectTo(const Address& address);

// Turns on TCP keepalive with short probes so a vanished peer is noticed (rule F11).
void enableKeepalive(const UniqueFd& fd);

// Reads/writes exactly `size` bytes or throws (std::system_error, or std::runtime_error on EOF).
void readExact(const UniqueFd& fd, void* buffer, size_t size);
void writeAll(const UniqueFd& fd, const void* buffer, size_t size);

}  // namespace usbip
