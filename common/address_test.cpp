#include "common/address.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace usbip {
namespace {

TEST(Address, TcpPortOnly) {
  const auto a = parseAddress("tcp:3240");
  EXPECT_EQ(a.kind, Address::Kind::kTcp);
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, 3240u);
  EXPECT_EQ(a.toString(), "tcp:3240");
}

TEST(Address, TcpHostPort) {
  const auto a = parseAddress("tcp:192.0.2.1:3240");
  EXPECT_EQ(a.host, "192.0.2.1");
  EXPECT_EQ(a.port, 3240u);
}

TEST(Address, TcpIpv6) {
  const auto a = parseAddress("tcp:[::1]:3240");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 3240u);
  EXPECT_EQ(a.toString(), "tcp:[::1]:3240");
}

TEST(Address, Vsock) {
  const auto listen = parseAddress("vsock:5000");
  EXPECT_EQ(listen.kind, Address::Kind::kVsock);
  EXPECT_FALSE(listen.cid.has_value());
  const auto dial = parseAddress("vsock:2:5000");
  ASSERT_TRUE(dial.cid.has_value());
  EXPECT_EQ(*dial.cid, 2u);
  EXPECT_EQ(dial.port, 5000u);
}

TEST(Address, FirecrackerVsock) {
  const auto a = parseAddress("fc-vsock:/run/fc/v.sock:52");
  EXPECT_EQ(a.kind, Address::Kind::kFirecrackerVsock);
  EXPECT_EQ(a.path, "/run/fc/v.sock");
  EXPECT_EQ(a.port, 52u);
}

TEST(Address, Unix) {
  const auto a = parseAddress("unix:/run/usbip.sock");
  EXPECT_EQ(a.kind, Address::Kind::kUnix);
  EXPECT_EQ(a.path, "/run/usbip.sock");
}

void expectRejected(const char* text, const char* mentions) {
  try {
    parseAddress(text);
    FAIL() << text << " was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Address, Rejections) {
  expectRejected("3240", "no transport prefix");
  expectRejected("udp:3240", "unknown transport 'udp'");
  expectRejected("tcp:70000", "port '70000'");
  expectRejected("tcp:abc", "port 'abc'");
  expectRejected("tcp:", "port ''");
  expectRejected("tcp::80", "empty host");
  expectRejected("tcp:[::1]80", "[ADDR]:PORT");
  expectRejected("vsock:x:1", "CID 'x'");
  expectRejected("fc-vsock:5", "PATH:PORT");
  expectRejected("unix:", "empty unix socket path");
  expectRejected(("unix:/" + std::string(200, 'a')).c_str(), "longer than 100");
}

}  // namespace
}  // namespace usbip
