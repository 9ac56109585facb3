// Shared pieces of the client helper's tests: a temporary directory, a fake vhci_hcd sysfs tree,
// and a scripted USB/IP server on a real socket.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/socket.h"
#include "common/syscall.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::client::test {

using Bytes = std::vector<uint8_t>;

inline Bytes operator+(Bytes left, const Bytes& right) {
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "client-helper-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throwErrno(errno, "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string readFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void writeFile(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

// One line of a status file in the kernel's format.
inline std::string statusLine(const char* hub, uint32_t port, uint32_t status = 4,
                              uint32_t speed = 0, uint32_t devid = 0, uint32_t sockfd = 0,
                              const std::string& busid = "0-0") {
  char line[128];
  std::snprintf(line, sizeof line, "%s  %04u %03u %03u %08x %06u %s\n", hub, port, status, speed,
                devid, sockfd, busid.c_str());
  return line;
}

// The status file of controller `controller` with `perHub` free ports on each root hub, as the
// kernel numbers them: hs ports first, then ss ports.
inline std::string freeStatus(uint32_t controller, uint32_t perHub) {
  std::string text = "hub port sta spd dev      sockfd local_busid\n";
  const uint32_t base = controller * perHub * 2;
  for (uint32_t i = 0; i < perHub; ++i)
    text += statusLine("hs", base + i);
  for (uint32_t i = 0; i < perHub; ++i)
    text += statusLine("ss", base + perHub + i);
  return text;
}

// vhci_hcd.0 with its attributes as plain files: what the helper writes to attach and detach
// stays there for the test to read.
class FakeVhci {
 public:
  explicit FakeVhci(uint32_t controllers = 1, uint32_t perHub = 8) {
    std::filesystem::create_directories(dir());
    for (uint32_t c = 1; c < controllers; ++c) {
      std::filesystem::create_directories(platformDir() / ("vhci_hcd." + std::to_string(c)));
    }
    for (uint32_t c = 0; c < controllers; ++c)
      setStatus(c, freeStatus(c, perHub));
    writeFile(dir() / "attach", "");
    writeFile(dir() / "detach", "");
    writeFile(dir() / "nports", std::to_string(controllers * perHub * 2) + "\n");
  }
  std::filesystem::path platformDir() const { return root_.path() / "platform"; }
  std::filesystem::path stateDir() const { return root_.path() / "state"; }
  std::filesystem::path dir() const { return platformDir() / "vhci_hcd.0"; }
  void setStatus(uint32_t controller, const std::string& text) const {
    writeFile(
        dir() / (controller == 0 ? std::string("status") : "status." + std::to_string(controller)),
        text);
  }
  std::string attachWrites() const { return readFile(dir() / "attach"); }
  std::string detachWrites() const { return readFile(dir() / "detach"); }

 private:
  TempDir root_;
};

inline proto::DeviceRecord sampleDevice(proto::Speed speed = proto::Speed::kHigh) {
  proto::DeviceRecord d;
  d.path = "/sys/devices/pci0000:00/0000:00:01.2/usb1/1-1";
  d.busid = "1-1";
  d.busnum = 1;
  d.devnum = 2;
  d.speed = speed;
  d.idVendor = 0x0525;
  d.idProduct = 0xa4a0;
  d.bcdDevice = 0x0100;
  d.bConfigurationValue = 1;
  d.bNumConfigurations = 1;
  d.bNumInterfaces = 1;
  return d;
}

template <typename Message>
Bytes encoded(const Message& message) {
  Bytes out;
  proto::encode(message, out);
  return out;
}

inline Bytes importReply(const proto::DeviceRecord& device) {
  return encoded(proto::OpRepImport{0, device});
}

// Offsets inside OP_REP_IMPORT (header, then the 312-byte device record).
namespace reply_offset {
inline constexpr size_t kVersion = 0;
inline constexpr size_t kCode = 2;
inline constexpr size_t kStatus = 4;
inline constexpr size_t kPath = 8;
inline constexpr size_t kBusid = 8 + 256;
inline constexpr size_t kBusnum = 8 + 288;
inline constexpr size_t kDevnum = 8 + 292;
inline constexpr size_t kSpeed = 8 + 296;
}  // namespace reply_offset

inline Bytes patch32(Bytes bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    bytes.at(offset + static_cast<size_t>(i)) = static_cast<uint8_t>(value >> (24 - 8 * i));
  }
  return bytes;
}

inline Bytes fill(Bytes bytes, size_t offset, size_t count, uint8_t value) {
  for (size_t i = 0; i < count; ++i)
    bytes.at(offset + i) = value;
  return bytes;
}

// A USB/IP server that plays a script on one connection: reads `requestSize` bytes, sends
// `reply`, then keeps the connection open until the test ends (so that a closing server cannot
// be confused with a short reply), unless `closeAfterReply`.
class ScriptedPeer {
 public:
  // Plays the script on `fd`, one end of a connected pair.
  ScriptedPeer(UniqueFd fd, size_t requestSize, Bytes reply, bool closeAfterReply = false)
      : ScriptedPeer(
            [shared = std::make_shared<UniqueFd>(std::move(fd))] { return std::move(*shared); },
            requestSize, std::move(reply), closeAfterReply) {}
  // Accepts one connection on `listener` (listening on `address`) and plays the script on it.
  ScriptedPeer(const UniqueFd& listener, const Address& address, size_t requestSize, Bytes reply,
               bool closeAfterReply = false)
      : ScriptedPeer([&listener, address] { return acceptConnection(listener, address).fd; },
                     requestSize, std::move(reply), closeAfterReply) {}
  ~ScriptedPeer() { thread_.request_stop(); }

  // What the client sent (empty if it hung up first); waits for it.
  Bytes request() { return request_.get(); }

 private:
  ScriptedPeer(std::function<UniqueFd()> connect, size_t requestSize, Bytes reply,
               bool closeAfterReply)
      : request_(requestPromise_.get_future()),
        thread_([this, connect = std::move(connect), requestSize, reply = std::move(reply),
                 closeAfterReply](std::stop_token stop) {
          const UniqueFd fd = connect();
          Bytes request(requestSize);
          try {
            readExact(fd, request.data(), request.size());
          } catch (const std::exception&) {
            request.clear();  // the client hung up before asking
          }
          requestPromise_.set_value(request);
          if (request.empty()) return;
          try {
            if (!reply.empty()) writeAll(fd, reply.data(), reply.size());
          } catch (const std::exception&) {
            return;
          }
          if (closeAfterReply) return;
          while (!stop.stop_requested())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }) {}

  std::promise<Bytes> requestPromise_;
  std::future<Bytes> request_;
  std::jthread thread_;
};

// A connected pair of stream sockets: first for the code under test, second for the script.
inline std::pair<UniqueFd, UniqueFd> socketPair() {
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace usbip::client::test
