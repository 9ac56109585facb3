// Reverse mode: a host dialled us; we ask for "the device this connection exports" with an empty
// busid, validate the answer and attach it, and a bad answer drops only that connection.
#include "client-helper/reverse_connection.h"

#include <gtest/gtest.h>

#include "client-helper/test_support.h"

namespace usbip::client::test {
namespace {

constexpr size_t kImportRequestSize = 40;

struct Reverse : ::testing::Test {
  std::optional<Attachment> serve(UniqueFd fd, const std::string& peer) {
    HandshakeOptions options;
    options.timeout = std::chrono::milliseconds(300);
    return serveReverseConnection(AcceptedConnection{std::move(fd), peer}, parseAddress("tcp:3240"),
                                  Vhci(vhci.platformDir()), PortRecords(vhci.stateDir()), options);
  }
  FakeVhci vhci;
};

TEST_F(Reverse, AsksForTheExportedDeviceWithAnEmptyBusidAndAttachesIt) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer host(std::move(theirs), kImportRequestSize, importReply(sampleDevice()));
  const int fd = mine.get();
  const auto attachment = serve(std::move(mine), "tcp:10.0.0.7:41000");
  ASSERT_TRUE(attachment);
  EXPECT_EQ(attachment->port, 0u);
  EXPECT_EQ(attachment->device.busid, "1-1");
  EXPECT_EQ(vhci.attachWrites(), "0 " + std::to_string(fd) + " 65538 3");
  EXPECT_EQ(readFile(vhci.stateDir() / "port0"), "10.0.0.7 41000 1-1\n");

  Bytes expected = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0};
  expected.resize(kImportRequestSize, 0);  // busid: 32 NUL bytes
  EXPECT_EQ(host.request(), expected);
}

TEST_F(Reverse, R2_ABadReplyDropsTheConnectionAndAttachesNothing) {
  const Bytes good = importReply(sampleDevice());
  for (const Bytes& reply :
       {patch32(good, reply_offset::kSpeed, 0),
        fill(good, reply_offset::kBusid, 32, 0),  // empty busid
        encoded(proto::OpRepImport{1, {}}), Bytes(good.begin(), good.begin() + 12)}) {
    auto [mine, theirs] = socketPair();
    ScriptedPeer host(std::move(theirs), kImportRequestSize, reply);
    EXPECT_FALSE(serve(std::move(mine), "vsock:3:1025"));
    EXPECT_EQ(vhci.attachWrites(), "");
  }
}

TEST_F(Reverse, AUnixPeerIsRecordedAsTheSocketItCameThrough) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer host(std::move(theirs), kImportRequestSize, importReply(sampleDevice()));
  HandshakeOptions options;
  ASSERT_TRUE(serveReverseConnection(
      AcceptedConnection{std::move(mine), "unix"}, parseAddress("unix:/run/usbip-helper.sock"),
      Vhci(vhci.platformDir()), PortRecords(vhci.stateDir()), options));
  EXPECT_EQ(readFile(vhci.stateDir() / "port0"), "unix:/run/usbip-helper.sock - 1-1\n");
}

}  // namespace
}  // namespace usbip::client::test
