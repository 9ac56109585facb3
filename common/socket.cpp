#include "common/socket.h"

#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/syscall.h"

namespace usbip {
namespace {

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sun.sun_path)) {
    throw std::invalid_argument("unix socket path too long: " + path);
  }
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  return sun;
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoPtr resolveTcp(const Address& address, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(),
                             &hints, &result);
  if (rc != 0) {
    throw std::runtime_error("cannot resolve '" + address.toString() + "': " + gai_strerror(rc));
  }
  return AddrInfoPtr(result);
}

UniqueFd newSocket(int family, const std::string& what) {
  return UniqueFd(checkSyscall(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), what));
}

void connectFd(const UniqueFd& fd, const sockaddr* sa, socklen_t len, const std::string& what) {
  retrySyscall(what, [&] { return ::connect(fd.get(), sa, len); });
}

std::string describePeer(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return std::string("tcp:") + text + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return std::string("tcp:[") + text + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (ss.ss_family == AF_VSOCK) {
    const auto* vm = reinterpret_cast<const sockaddr_vm*>(&ss);
    return "vsock:" + std::to_string(vm->svm_cid) + ":" + std::to_string(vm->svm_port);
  }
  return "unix";
}

// Reads one '\n'-terminated line of at most `max` bytes, one byte at a time so that nothing past
// the line (the start of the USB/IP stream) is consumed.
std::string readLine(const UniqueFd& fd, size_t max) {
  std::string line;
  for (;;) {
    char c = 0;
    readExact(fd, &c, 1);
    if (c == '\n') return line;
    line.push_back(c);
    if (line.size() > max) throw std::runtime_error("fc-vsock: reply line too long");
  }
}

}  // namespace

void enableKeepalive(const UniqueFd& fd) {
  const int on = 1, idle = 30, interval = 10, count = 3;
  checkSyscall(::setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on), "SO_KEEPALIVE");
  checkSyscall(::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle),
               "TCP_KEEPIDLE");
  checkSyscall(::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval),
               "TCP_KEEPINTVL");
  checkSyscall(::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count),
               "TCP_KEEPCNT");
  checkSyscall(::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on), "TCP_NODELAY");
}

UniqueFd listenOn(const Address& address) {
  const std::string what = "listen on " + address.toString();
  switch (address.kind) {
    case Address::Kind::kTcp: {
      auto ai = resolveTcp(address, true);
      // Prefer IPv6 wildcard (dual-stack) when no host was given, as usbipd does.
      const addrinfo* chosen = ai.get();
      for (const addrinfo* p = ai.get(); p; p = p->ai_next) {
        if (address.host.empty() && p->ai_family == AF_INET6) chosen = p;
      }
      auto fd = newSocket(chosen->ai_family, what);
      const int on = 1, off = 0;
      checkSyscall(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), what);
      if (chosen->ai_family == AF_INET6) {
        checkSyscall(::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off), what);
      }
      checkSyscall(::bind(fd.get(), chosen->ai_addr, chosen->ai_addrlen), what);
      checkSyscall(::listen(fd.get(), 16), what);
      return fd;
    }
    case Address::Kind::kVsock: {
      auto fd = newSocket(AF_VSOCK, what);
      sockaddr_vm vm{};
      vm.svm_family = AF_VSOCK;
      vm.svm_cid = address.cid.value_or(VMADDR_CID_ANY);
      vm.svm_port = address.port;
      checkSyscall(::bind(fd.get(), reinterpret_cast<sockaddr*>(&vm), sizeof vm), what);
      checkSyscall(::listen(fd.get(), 16), what);
      return fd;
    }
    case Address::Kind::kFirecrackerVsock:
    case Address::Kind::kUnix: {
      const std::string path = address.kind == Address::Kind::kUnix
                                   ? address.path
                                   : address.path + "_" + std::to_string(address.port);
      auto fd = newSocket(AF_UNIX, what);
      auto sun = unixAddress(path);
      // A stale socket file from an earlier run would make bind fail; only sockets are removed.
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
      checkSyscall(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), what);
      checkSyscall(::listen(fd.get(), 16), what);
      return fd;
    }
  }
  throw std::logic_error("unhandled address kind");
}

AcceptedConnection acceptConnection(const UniqueFd& listener, const Address& listenAddress) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  UniqueFd fd(retrySyscall("accept on " + listenAddress.toString(), [&] {
    return ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
  }));
  if (listenAddress.kind == Address::Kind::kTcp) enableKeepalive(fd);
  return {std::move(fd), describePeer(ss)};
}

UniqueFd connectTo(const Address& address) {
  const std::string what = "connect to " + address.toString();
  switch (address.kind) {
    case Address::Kind::kTcp: {
      if (address.host.empty()) throw std::invalid_argument(what + ": a host is needed to connect");
      auto ai = resolveTcp(address, false);
      int lastErrno = 0;
      for (const addrinfo* p = ai.get(); p; p = p->ai_next) {
        UniqueFd fd(::socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd) {
          lastErrno = errno;
          continue;
        }
        int rc;
        do rc = ::connect(fd.get(), p->ai_addr, p->ai_addrlen);
        while (rc < 0 && errno == EINTR);
        if (rc == 0) {
          enableKeepalive(fd);
          return fd;
        }
        lastErrno = errno;
      }
      throwErrno(lastErrno, what);
    }
    case Address::Kind::kVsock: {
      if (!address.cid) throw std::invalid_argument(what + ": a CID is needed to connect");
      auto fd = newSocket(AF_VSOCK, what);
      sockaddr_vm vm{};
      vm.svm_family = AF_VSOCK;
      vm.svm_cid = *address.cid;
      vm.svm_port = address.port;
      connectFd(fd, reinterpret_cast<sockaddr*>(&vm), sizeof vm, what);
      return fd;
    }
    case Address::Kind::kUnix: {
      auto fd = newSocket(AF_UNIX, what);
      auto sun = unixAddress(address.path);
      connectFd(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun, what);
      return fd;
    }
    case Address::Kind::kFirecrackerVsock: {
      auto fd = newSocket(AF_UNIX, what);
      auto sun = unixAddress(address.path);
      connectFd(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun, what);
      const std::string request = "CONNECT " + std::to_string(address.port) + "\n";
      writeAll(fd, request.data(), request.size());
      const std::string reply = readLine(fd, 64);
      if (reply.rfind("OK ", 0) != 0) {
        throw std::runtime_error(what + ": Firecracker answered '" + reply + "' instead of OK");
      }
      return fd;
    }
  }
  throw std::logic_error("unhandled address kind");
}

void readExact(const UniqueFd& fd, void* buffer, size_t size) {
  auto* p = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = retrySyscall("read", [&] { return ::read(fd.get(), p, size); });
    if (n == 0) throw std::runtime_error("connection closed by peer");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void writeAll(const UniqueFd& fd, const void* buffer, size_t size) {
  const auto* p = static_cast<const unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n =
        retrySyscall("write", [&] { return ::send(fd.get(), p, size, MSG_NOSIGNAL); });
    p += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace usbip
