// The handshake as the worker reads it: what a client that leaves, resets or stalls makes of it.
#include "worker/import_handshake.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/socket.h"

namespace usbip::worker {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  UniqueFd worker, client;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    worker = UniqueFd(fds[0]);
    client = UniqueFd(fds[1]);
  }
};

TEST(ImportHandshake, ReadsARequestSentInPieces) {
  SocketPair pair;
  std::vector<uint8_t> bytes;
  proto::encode(proto::OpReqImport{"1-2"}, bytes);
  writeAll(pair.client, bytes.data(), 5);
  writeAll(pair.client, bytes.data() + 5, bytes.size() - 5);
  proto::HandshakeDecoder decoder;
  const auto request = readClientHandshake(pair.worker, decoder, 2s);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(std::get<proto::OpReqImport>(*request).busid, "1-2");
}

// A dropped connection is the client's business, not a failure of the worker (exit 0, not 1).
TEST(ImportHandshake, ClientThatClosesBeforeItsRequestIsNoError) {
  SocketPair pair;
  const uint8_t half[] = {0x01, 0x11, 0x80};
  writeAll(pair.client, half, sizeof half);
  pair.client.reset();
  proto::HandshakeDecoder decoder;
  EXPECT_FALSE(readClientHandshake(pair.worker, decoder, 2s).has_value());
}

// Over TCP, as only TCP resets: the read fails with ECONNRESET.
TEST(ImportHandshake, ClientThatResetsBeforeItsRequestIsNoError) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  UniqueFd worker(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(worker);
  const uint8_t half[] = {0x01, 0x11};
  writeAll(client, half, sizeof half);
  const linger abort{1, 0};
  ASSERT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort), 0);
  client.reset();
  proto::HandshakeDecoder decoder;
  EXPECT_FALSE(readClientHandshake(worker, decoder, 2s).has_value());
}

TEST(ImportHandshake, F11_StalledRequestIsAProtocolError) {
  SocketPair pair;
  const uint8_t half[] = {0x01, 0x11, 0x80, 0x03};
  writeAll(pair.client, half, sizeof half);
  proto::HandshakeDecoder decoder;
  try {
    readClientHandshake(pair.worker, decoder, 100ms);
    FAIL() << "no error";
  } catch (const proto::ProtocolError& e) {
    EXPECT_EQ(e.rule(), proto::Rule::F11);
  }
}

TEST(ImportHandshake, ReplyToAVanishedClientReportsItGone) {
  SocketPair pair;
  pair.client.reset();
  EXPECT_FALSE(sendReply(pair.worker, proto::OpRepDevlist{}));
  EXPECT_FALSE(sendReply(pair.worker, proto::OpRepImport{1, {}}));
}

}  // namespace
}  // namespace usbip::worker
