#include "common/socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace usbip {
namespace {

std::string tempSocketPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "-" + std::to_string(::getpid())))
      .string();
}

void roundTrip(const UniqueFd& listener, const Address& listenAt, const Address& dialTo) {
  std::thread client([&] {
    auto fd = connectTo(dialTo);
    const char hello[] = "ping";
    writeAll(fd, hello, 4);
    char answer[4];
    readExact(fd, answer, 4);
    EXPECT_EQ(std::string(answer, 4), "pong");
  });
  auto conn = acceptConnection(listener, listenAt);
  char got[4];
  readExact(conn.fd, got, 4);
  EXPECT_EQ(std::string(got, 4), "ping");
  writeAll(conn.fd, "pong", 4);
  client.join();
}

TEST(Socket, UnixRoundTrip) {
  const auto path = tempSocketPath("usbip-sock-test");
  const Address address = parseAddress("unix:" + path);
  roundTrip(listenOn(address), address, address);
  std::filesystem::remove(path);
}

TEST(Socket, TcpLoopbackRoundTrip) {
  // Port 0, then the one the kernel chose: a fixed port can be some other connection's
  // ephemeral port at that moment (the tests beside this one make hundreds).
  Address address = parseAddress("tcp:127.0.0.1:0");
  const UniqueFd listener = listenOn(address);
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  address.port = ntohs(bound.sin_port);
  roundTrip(listener, address, address);
}

// Firecracker's hybrid vsock: the host dials the unix socket, says CONNECT, and must see OK first.
TEST(Socket, FirecrackerHandshake) {
  const auto path = tempSocketPath("usbip-fc-test");
  auto listener = listenOn(parseAddress("unix:" + path));
  std::thread fakeFirecracker([&] {
    auto conn = acceptConnection(listener, parseAddress("unix:" + path));
    char request[13];
    readExact(conn.fd, request, 13);
    EXPECT_EQ(std::string(request, 13), "CONNECT 5000\n");
    writeAll(conn.fd, "OK 1073741824\nX", 15);
  });
  auto fd = connectTo(parseAddress("fc-vsock:" + path + ":5000"));
  char first;
  readExact(fd, &first, 1);
  EXPECT_EQ(first, 'X');  // the byte after the OK line belongs to the stream
  fakeFirecracker.join();
  std::filesystem::remove(path);
}

TEST(Socket, FirecrackerRefusal) {
  const auto path = tempSocketPath("usbip-fc-refuse");
  auto listener = listenOn(parseAddress("unix:" + path));
  std::thread fakeFirecracker([&] {
    auto conn = acceptConnection(listener, parseAddress("unix:" + path));
    char request[13];
    readExact(conn.fd, request, 13);
    writeAll(conn.fd, "NO\n", 3);
  });
  EXPECT_THROW(connectTo(parseAddress("fc-vsock:" + path + ":5000")), std::runtime_error);
  fakeFirecracker.join();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace usbip
