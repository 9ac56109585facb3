// The engine against a hand-driven fake device, through a real socketpair and the real codec.
#include "worker/urb_engine.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <future>
#include <thread>

#include "common/syscall.h"
#include "worker/engine_test_client.h"
#include "worker/engine_test_fixture.h"
#include "worker/engine_test_requests.h"
#include "worker/fake_backend.h"
#include "worker/test_device.h"

namespace usbip::worker {
namespace {

using namespace std::chrono_literals;
using proto::Direction;
using testing::EngineTestClient;
using testing::FakeBackend;
using testing::kTestDevid;

using testing::control;
using testing::iso;
using testing::setupBytes;
using testing::submit;
using testing::unlink;

class UrbEngineTest : public testing::EngineFixture {};

// ---- round trips ----

TEST_F(UrbEngineTest, ControlInRoundTrip) {
  backend.responder = [](const Transfer& transfer) -> std::optional<TransferResult> {
    TransferResult result;
    result.data = transfer.data;
    for (size_t i = 0; i < result.data.size(); ++i)
      result.data[i] = static_cast<uint8_t>(i);
    result.actualLength = 18;
    return result;
  };
  start();
  client->send(control(1, setupBytes(0x80, 0x06, 0x0100, 0, 64)));
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.base.seqnum, 1u);
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.actual_length, 18);
  ASSERT_EQ(reply.payload.size(), 18u);
  EXPECT_EQ(reply.payload[17], 17);
  EXPECT_EQ(reply.number_of_packets, 0);

  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_EQ(transfers[0].endpoint, 0x80);
  EXPECT_EQ(transfers[0].type, proto::TransferType::kControl);
  EXPECT_EQ(transfers[0].setup, setupBytes(0x80, 0x06, 0x0100, 0, 64));
  EXPECT_EQ(transfers[0].data.size(), 64u);

  EngineResult end = closeAndWait();
  EXPECT_EQ(end.end, EngineEnd::kClientClosed);
  EXPECT_EQ(end.stats.submitted, 1u);
  EXPECT_EQ(end.stats.completed, 1u);
}

TEST_F(UrbEngineTest, ControlOutRoundTrip) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  UrbEngineOptions options;
  options.policy.extraControlRequests = {{0x41, 0x01}};  // a vendor request, as a policy lists it
  start(options);
  client->send(control(2, setupBytes(0x41, 0x01, 7, 0, 4), {9, 8, 7, 6}));
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.actual_length, 4);
  EXPECT_TRUE(reply.payload.empty());
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_EQ(transfers[0].endpoint, 0x00);
  EXPECT_EQ(transfers[0].data, (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST_F(UrbEngineTest, BulkOutAndShortBulkIn) {
  start();
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i);
  proto::CmdSubmit out = submit(1, 1, Direction::kOut, 1000, data);
  out.transfer_flags = proto::flags::kZeroPacket;
  client->send(out);
  proto::CmdSubmit in = submit(2, 2, Direction::kIn, 512);
  in.transfer_flags = proto::flags::kShortNotOk;
  client->send(in);
  ASSERT_TRUE(backend.waitForSubmitted(2));

  auto transfers = backend.submitted();
  EXPECT_EQ(transfers[0].endpoint, 0x01);
  EXPECT_EQ(transfers[0].type, proto::TransferType::kBulk);
  EXPECT_EQ(transfers[0].data, data);
  EXPECT_TRUE(transfers[0].zeroPacket);
  EXPECT_EQ(transfers[1].endpoint, 0x82);
  EXPECT_TRUE(transfers[1].shortNotOk);

  TransferResult shortRead;
  shortRead.actualLength = 100;
  shortRead.data.assign(512, 0xab);
  ASSERT_TRUE(backend.complete(transfers[1].id, shortRead));
  proto::RetSubmit inReply = client->receiveRetSubmit();
  EXPECT_EQ(inReply.base.seqnum, 2u);
  EXPECT_EQ(inReply.actual_length, 100);
  EXPECT_EQ(inReply.payload, std::vector<uint8_t>(100, 0xab));

  ASSERT_TRUE(backend.complete(transfers[0].id));
  proto::RetSubmit outReply = client->receiveRetSubmit();
  EXPECT_EQ(outReply.base.seqnum, 1u);
  EXPECT_EQ(outReply.actual_length, 1000);
}

TEST_F(UrbEngineTest, ErrorStatusTravelsToTheClient) {
  start();
  client->send(submit(1, 3, Direction::kIn, 8));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  TransferResult stall;
  stall.status = -EPIPE;
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0), stall));
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.status, -EPIPE);
  EXPECT_EQ(reply.actual_length, 0);
}

TEST_F(UrbEngineTest, BytesReadWithTheHandshakeAreServedFirst) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  proto::CmdSubmit first = submit(5, 2, Direction::kIn, 16);
  proto::CmdSubmit second = submit(6, 2, Direction::kIn, 32);
  std::vector<uint8_t> early;
  proto::encode(first, early);
  std::vector<uint8_t> rest;
  proto::encode(second, rest);
  early.insert(early.end(), rest.begin(), rest.begin() + 20);  // the handshake reader cut here
  rest.erase(rest.begin(), rest.begin() + 20);
  start({}, early);
  client->expect(first);
  client->expect(second);
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 5u);
  client->sendRaw(rest);
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.base.seqnum, 6u);
  EXPECT_EQ(reply.actual_length, 32);
}

// ---- isochronous (I5) ----

TEST_F(UrbEngineTest, IsoInIsSplitAndJoined) {
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));  // SET_INTERFACE 1 alt 1
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  proto::CmdSubmit request = iso(2, 4, Direction::kIn, 300, 100);
  request.transfer_flags = proto::flags::kIsoAsap;
  client->send(request);
  ASSERT_TRUE(backend.waitForSubmitted(3));
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 3u);
  EXPECT_EQ(transfers[0].iso.size(), 128u);
  EXPECT_EQ(transfers[1].iso.size(), 128u);
  EXPECT_EQ(transfers[2].iso.size(), 44u);
  EXPECT_EQ(transfers[0].endpoint, 0x84);

  // Complete out of order; packet k (overall) returns k % 50 bytes of value k % 256.
  size_t firstPacket[] = {0, 128, 256};
  for (int piece : {2, 0, 1}) {
    const Transfer& transfer = transfers[static_cast<size_t>(piece)];
    TransferResult result;
    result.data.assign(transfer.data.size(), 0);
    result.startFrame = 1000 + piece;
    result.errorCount = piece == 1 ? 1 : 0;
    for (size_t j = 0; j < transfer.iso.size(); ++j) {
      size_t k = firstPacket[piece] + j;
      proto::IsoPacket packet = transfer.iso[j];
      packet.actual_length = static_cast<uint32_t>(k % 50);
      packet.status = (piece == 1 && j == 0) ? -EXDEV : 0;
      std::fill_n(result.data.begin() + packet.offset, packet.actual_length,
                  static_cast<uint8_t>(k));
      result.iso.push_back(packet);
    }
    ASSERT_TRUE(backend.complete(transfer.id, result));
  }

  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.base.seqnum, 2u);
  EXPECT_EQ(reply.number_of_packets, 300);
  EXPECT_EQ(reply.start_frame, 1000);
  EXPECT_EQ(reply.error_count, 1);
  ASSERT_EQ(reply.iso.size(), 300u);
  std::vector<uint8_t> expected;
  int32_t total = 0;
  for (size_t k = 0; k < 300; ++k) {
    EXPECT_EQ(reply.iso[k].offset, k * 100);
    EXPECT_EQ(reply.iso[k].length, 100u);
    EXPECT_EQ(reply.iso[k].actual_length, k % 50);
    expected.insert(expected.end(), k % 50, static_cast<uint8_t>(k));
    total += static_cast<int32_t>(k % 50);
  }
  EXPECT_EQ(reply.iso[128].status, -EXDEV);
  EXPECT_EQ(reply.actual_length, total);
  EXPECT_EQ(reply.payload, expected);  // packed without gaps
}

TEST_F(UrbEngineTest, IsoOutIsSplitWithItsData) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  proto::CmdSubmit request = iso(2, 5, Direction::kOut, 200, 10);
  client->send(request);
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.actual_length, 2000);
  EXPECT_TRUE(reply.payload.empty());
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 2u);
  std::vector<uint8_t> joined(transfers[0].data.begin(), transfers[0].data.end());
  joined.insert(joined.end(), transfers[1].data.begin(), transfers[1].data.end());
  EXPECT_EQ(joined, request.payload);
}

TEST_F(UrbEngineTest, OverlappingIsoInPacketsAreRefused) {
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  proto::CmdSubmit request = iso(2, 4, Direction::kIn, 8, 100);
  for (auto& packet : request.iso)
    packet.offset = 0;  // all at the start: 800 bytes in 100
  request.transfer_buffer_length = 100;
  client->send(request);
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kProtocolViolation);
  EXPECT_EQ(end.rule, proto::Rule::I3);
  EXPECT_EQ(backend.submittedCount(), 0u);
}

// ---- unlink (U1, U2) ----

TEST_F(UrbEngineTest, UnlinkOfPendingUrbCancelsIt) {
  start();
  client->send(submit(10, 2, Direction::kIn, 512));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(unlink(11, 10));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 11u);
  EXPECT_EQ(reply.status, -ECONNRESET);
  expectSilence();  // and no RET_SUBMIT for seqnum 10
  EXPECT_TRUE(backend.heldIds().empty());
}

TEST_F(UrbEngineTest, UnlinkAfterCompletionAnswersZero) {
  start();
  client->send(submit(10, 2, Direction::kIn, 512));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 10u);
  client->send(unlink(11, 10));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 11u);
  EXPECT_EQ(reply.status, 0);
  expectSilence();
}

TEST_F(UrbEngineTest, UnlinkOfUnknownSeqnumAnswersZero) {
  start();
  client->send(unlink(3, 999));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 3u);
  EXPECT_EQ(reply.status, 0);
}

// The transfer finished in the device just as the cancel arrived: its real result comes back,
// but the client was promised a cancellation and gets exactly that.
TEST_F(UrbEngineTest, UnlinkRacingACompletionInTheDevice) {
  backend.onCancel = FakeBackend::OnCancel::kFinishFirst;
  start();
  client->send(submit(10, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(unlink(11, 10));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.status, -ECONNRESET);
  expectSilence();
}

// The completion already sits in the backend, undelivered, when the unlink is read: cancel()
// finds nothing to cancel, and still exactly one RET_UNLINK and no RET_SUBMIT go out.
TEST_F(UrbEngineTest, UnlinkCrossingAnUndeliveredCompletion) {
  start();
  client->send(submit(10, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  backend.pauseDelivery();
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  client->send(unlink(11, 10));
  ASSERT_TRUE(backend.waitForCancels(1));
  backend.resumeDelivery();
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 11u);
  EXPECT_EQ(reply.status, -ECONNRESET);
  expectSilence();
}

TEST_F(UrbEngineTest, UnlinkOfASplitIsoUrbCancelsEveryPiece) {
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(iso(2, 4, Direction::kIn, 300, 10));
  ASSERT_TRUE(backend.waitForSubmitted(3));
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));  // one piece already done
  client->send(unlink(3, 2));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.status, -ECONNRESET);
  EXPECT_TRUE(backend.heldIds().empty());
  expectSilence();
}

TEST_F(UrbEngineTest, SecondUnlinkOfTheSameUrbGetsItsOwnReply) {
  backend.onCancel = FakeBackend::OnCancel::kCancel;
  start();
  client->send(submit(10, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  backend.pauseDelivery();
  client->send(unlink(11, 10));
  client->send(unlink(12, 10));
  ASSERT_TRUE(backend.waitForCancels(1));
  std::this_thread::sleep_for(50ms);
  backend.resumeDelivery();
  proto::RetUnlink first = client->receiveRetUnlink();
  proto::RetUnlink second = client->receiveRetUnlink();
  EXPECT_EQ(first.base.seqnum, 11u);
  EXPECT_EQ(second.base.seqnum, 12u);
  EXPECT_EQ(first.status, -ECONNRESET);
  EXPECT_EQ(second.status, -ECONNRESET);
  expectSilence();
}

// ---- an unlink sent ahead of its submit (U3) ----

// A grace far beyond the test client's 5 s wait for a reply: an unlink wrongly held fails.
UrbEngineOptions longGrace() {
  UrbEngineOptions options;
  options.earlyUnlinkGrace = 60s;
  return options;
}

// vhci's order when a URB is unlinked while its CMD_SUBMIT is still queued: the unlink first.
TEST_F(UrbEngineTest, UnlinkSentAheadOfItsSubmitCancelsItBeforeItRuns) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  start(longGrace());
  client->send(submit(10, 2, Direction::kIn, 64));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 10u);
  client->send(unlink(12, 11));
  expectSilence(100ms);  // no RET_UNLINK 0: that would make vhci give URB 11 back now
  client->send(submit(11, 2, Direction::kIn, 64));
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 12u);
  EXPECT_EQ(reply.status, -ECONNRESET);
  expectSilence();                          // and no RET_SUBMIT for seqnum 11
  EXPECT_EQ(backend.submittedCount(), 1u);  // 11 never reached the device
  EngineResult end = closeAndWait();
  EXPECT_EQ(end.stats.unlinkedBeforeSubmit, 1u);
  EXPECT_EQ(end.stats.completed, 1u);
}

TEST_F(UrbEngineTest, HeldUnlinkAnswersZeroOnceALaterSubmitShowsItsTargetIsNotComing) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  start(longGrace());
  client->send(unlink(12, 11));
  client->send(submit(13, 2, Direction::kIn, 64));  // submits come in seqnum order: 11 is not
  proto::RetUnlink unlinked = client->receiveRetUnlink();
  EXPECT_EQ(unlinked.base.seqnum, 12u);
  EXPECT_EQ(unlinked.status, 0);
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 13u);
}

TEST_F(UrbEngineTest, HeldUnlinkAnswersZeroWhenTheClientGoesQuiet) {
  UrbEngineOptions options;
  options.earlyUnlinkGrace = 100ms;
  start(options);
  client->send(unlink(12, 11));
  auto message = client->receive(5s);
  ASSERT_TRUE(message.has_value());
  const auto* reply = std::get_if<proto::RetUnlink>(&*message);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->base.seqnum, 12u);
  EXPECT_EQ(reply->status, 0);
}

// Only an unlink of a seqnum not submitted yet, and below its own, can be vhci's; any other
// unknown seqnum (U2) is answered at once.
TEST_F(UrbEngineTest, UnlinkOfASeqnumAboveItsOwnIsNotHeld) {
  start(longGrace());
  client->send(unlink(12, 13));
  EXPECT_EQ(client->receiveRetUnlink().status, 0);
}

TEST_F(UrbEngineTest, HeldUnlinksAreCapped) {
  UrbEngineOptions options = longGrace();
  options.maxEarlyUnlinks = 1;
  start(options);
  client->send(unlink(12, 10));
  client->send(unlink(13, 11));  // no room: answered at once
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 13u);
  EXPECT_EQ(reply.status, 0);
}

TEST_F(UrbEngineTest, HeldUnlinkSeqnumIsStillPendingForRuleF5) {
  start();
  client->send(unlink(12, 11));
  client->send(submit(12, 2, Direction::kIn, 64));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F5);
}

// The cancellation of a control request waits for the default pipe's earlier requests, as its
// RET_SUBMIT would have.
TEST_F(UrbEngineTest, UnlinkAheadOfAControlSubmitKeepsTheDefaultPipeOrder) {
  start(longGrace());
  client->send(control(1, setupBytes(0x80, 0x06, 0x0100, 0, 18)));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(unlink(3, 2));
  client->send(control(2, setupBytes(0x80, 0x06, 0x0200, 0, 9)));
  expectSilence(100ms);
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 1u);
  proto::RetUnlink reply = client->receiveRetUnlink();
  EXPECT_EQ(reply.base.seqnum, 3u);
  EXPECT_EQ(reply.status, -ECONNRESET);
  EXPECT_EQ(backend.submittedCount(), 1u);
}

// ---- violations that end the connection ----

TEST_F(UrbEngineTest, DuplicatePendingSeqnumClosesTheConnection) {
  start();
  client->send(submit(7, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(submit(7, 3, Direction::kIn, 8));
  EXPECT_TRUE(client->waitForEof());
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kProtocolViolation);
  EXPECT_EQ(end.rule, proto::Rule::F5);
  EXPECT_EQ(backend.submittedCount(), 1u);
  EXPECT_TRUE(backend.drained());
  EXPECT_TRUE(backend.heldIds().empty());
}

TEST_F(UrbEngineTest, UnlinkReusingAPendingSeqnumClosesTheConnection) {
  start();
  client->send(submit(7, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(unlink(7, 7));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F5);
}

TEST_F(UrbEngineTest, SeqnumMayBeReusedOnceAnswered) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  start();
  client->send(submit(7, 2, Direction::kIn, 64));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 7u);
  client->send(submit(7, 2, Direction::kIn, 64));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 7u);
}

TEST_F(UrbEngineTest, DevidMismatchTearsTheConnectionDown) {
  start();
  proto::CmdSubmit wrong = submit(1, 2, Direction::kIn, 64);
  wrong.base.devid = kTestDevid + 1;
  client->send(wrong);
  EXPECT_TRUE(client->waitForEof());
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kProtocolViolation);
  EXPECT_EQ(end.rule, proto::Rule::F4);
  EXPECT_EQ(backend.submittedCount(), 0u);
}

TEST_F(UrbEngineTest, DevidMismatchOnUnlinkTearsTheConnectionDown) {
  start();
  proto::CmdUnlink wrong = unlink(1, 0);
  wrong.base.devid = 0;
  client->send(wrong);
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F4);
}

TEST_F(UrbEngineTest, EndpointOutsideTheConfigurationIsAViolation) {
  start();
  client->send(submit(1, 4, Direction::kIn, 64));  // iso IN 0x84 exists only in alternate 1
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F7);
}

TEST_F(UrbEngineTest, MalformedStreamIsClosedWithAReason) {
  start();
  std::vector<uint8_t> bytes(48, 0);
  bytes[3] = 3;  // RET_SUBMIT, which a client never sends
  client->sendRaw(bytes);
  EXPECT_TRUE(client->waitForEof());
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kProtocolViolation);
  EXPECT_EQ(end.rule, proto::Rule::F3);
  EXPECT_NE(end.detail.find("command"), std::string::npos);
}

TEST_F(UrbEngineTest, SetAddressNeverReachesTheDevice) {
  start();
  client->send(control(1, setupBytes(0x00, 0x05, 9, 0, 0)));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::C3);
  EXPECT_EQ(backend.submittedCount(), 0u);
  EXPECT_TRUE(backend.calls().empty());
}

// ---- standard requests through the USB stack (C2) ----

TEST_F(UrbEngineTest, SetConfigurationIsPerformedNotSubmitted) {
  start();
  client->send(control(1, setupBytes(0x00, 0x09, 2, 0, 0)));
  proto::RetSubmit reply = client->receiveRetSubmit();
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.actual_length, 0);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setConfiguration 2"});
  EXPECT_EQ(backend.submittedCount(), 0u);

  // Configuration 2's endpoint now exists, configuration 1's no longer.
  client->send(submit(2, 6, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  EXPECT_EQ(backend.submitted()[0].endpoint, 0x86);
  client->send(submit(3, 2, Direction::kIn, 64));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F7);
}

TEST_F(UrbEngineTest, SetInterfaceIsPerformedNotSubmitted) {
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"setInterface 1 1"});
  client->send(iso(2, 4, Direction::kIn, 2, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  EXPECT_EQ(backend.submitted()[0].type, proto::TransferType::kIsochronous);
}

TEST_F(UrbEngineTest, ClearHaltAndPortResetArePerformedNotSubmitted) {
  UrbEngineOptions options;
  options.policy.allowReset = true;
  start(options);
  client->send(control(1, setupBytes(0x02, 0x01, 0, 0x82, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(2, setupBytes(0x23, 0x03, 4, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.calls(), (std::vector<std::string>{"clearHalt 130", "resetDevice"}));
  EXPECT_EQ(backend.submittedCount(), 0u);
}

TEST_F(UrbEngineTest, ClearHaltOfEndpointZeroGoesToTheDevice) {
  backend.responder = [](const Transfer&) {
    TransferResult stall;
    stall.status = -EPIPE;
    return std::optional(stall);
  };
  start();
  client->send(control(1, setupBytes(0x02, 0x01, 0, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_TRUE(backend.calls().empty());
  ASSERT_EQ(backend.submittedCount(), 1u);
  EXPECT_EQ(backend.submitted()[0].setup, setupBytes(0x02, 0x01, 0, 0, 0));
}

TEST_F(UrbEngineTest, FailedStandardRequestLeavesTheStateAlone) {
  backend.specialStatus = -EPIPE;
  start();
  client->send(control(1, setupBytes(0x01, 0x0b, 1, 1, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(submit(2, 4, Direction::kIn, 64));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.rule, proto::Rule::F7);
}

TEST_F(UrbEngineTest, OutOfRangeStandardRequestValuesAreRefused) {
  start();
  client->send(control(1, setupBytes(0x00, 0x09, 0x0101, 0, 0)));
  EXPECT_EQ(client->receiveRetSubmit().status, -EINVAL);
  EXPECT_TRUE(backend.calls().empty());
}

// A real control pipe answers in order: a request the engine answers at once must not
// overtake a control transfer still running before it (usbtest 10 checks this).
TEST_F(UrbEngineTest, AnswersOnTheDefaultPipeKeepTheirOrder) {
  start();
  client->send(control(1, setupBytes(0x80, 0x06, 0x0100, 0, 18)));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(control(2, setupBytes(0x02, 0x01, 0, 0x82, 0)));  // CLEAR_HALT: performed...
  client->send(control(3, setupBytes(0xa1, 0x01, 0, 5, 8)));     // C4: stalled...
  expectSilence();                                               // ...but not answered yet
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"clearHalt 130"});
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 1u);
  proto::RetSubmit second = client->receiveRetSubmit();
  EXPECT_EQ(second.base.seqnum, 2u);
  EXPECT_EQ(second.status, 0);
  proto::RetSubmit third = client->receiveRetSubmit();
  EXPECT_EQ(third.base.seqnum, 3u);
  EXPECT_EQ(third.status, -EPIPE);
}

TEST_F(UrbEngineTest, OtherEndpointsDoNotHoldBackTheDefaultPipe) {
  start();
  client->send(submit(1, 2, Direction::kIn, 512));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(control(2, setupBytes(0x02, 0x01, 0, 0x82, 0)));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 2u);
}

TEST_F(UrbEngineTest, UnlinkOfAnAnswerWaitingForItsTurnCancelsIt) {
  start();
  client->send(control(1, setupBytes(0x80, 0x06, 0x0100, 0, 18)));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  client->send(control(2, setupBytes(0x01, 0x0b, 1, 1, 0)));  // SET_INTERFACE, answer parked
  client->send(unlink(3, 2));
  client->send(unlink(4, 1));
  proto::RetUnlink first = client->receiveRetUnlink();
  EXPECT_EQ(first.base.seqnum, 4u);
  EXPECT_EQ(first.status, -ECONNRESET);
  proto::RetUnlink second = client->receiveRetUnlink();
  EXPECT_EQ(second.base.seqnum, 3u);
  EXPECT_EQ(second.status, -ECONNRESET);
  expectSilence();
  // The seqnums are free again.
  client->send(control(2, setupBytes(0x02, 0x01, 0, 0x82, 0)));
  EXPECT_EQ(client->receiveRetSubmit().base.seqnum, 2u);
}

// ---- recipients (C4) ----

TEST_F(UrbEngineTest, RequestsNamingAbsentRecipientsAreStalledNotSubmitted) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  UrbEngineOptions options;
  options.policy.extraControlRequests = {{0xc1, 0x01}};
  start(options);
  client->send(control(1, setupBytes(0xa1, 0x01, 0, 5, 8)));  // class request, interface 5
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(2, setupBytes(0x82, 0x00, 0, 0x87, 2)));  // GET_STATUS endpoint 0x87
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  client->send(control(3, setupBytes(0x01, 0x0b, 0, 9, 0)));  // SET_INTERFACE on interface 9
  EXPECT_EQ(client->receiveRetSubmit().status, -EPIPE);
  EXPECT_EQ(backend.submittedCount(), 0u);
  EXPECT_TRUE(backend.calls().empty());

  client->send(control(4, setupBytes(0xa1, 0x01, 0, 0x0301, 8)));  // interface 1, entity 3
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(5, setupBytes(0x82, 0x00, 0, 0x82, 2)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  client->send(control(6, setupBytes(0xc1, 0x01, 0, 77, 1)));  // vendor: wIndex is its own
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  EXPECT_EQ(backend.submittedCount(), 3u);
}

// ---- back-pressure (F10) ----

TEST_F(UrbEngineTest, UrbCapStopsReadingUntilUrbsComplete) {
  UrbEngineOptions options;
  options.maxUrbsInFlight = 4;
  options.readChunkBytes = 96;
  watchEngineSide = true;
  start(options);
  for (uint32_t seqnum = 1; seqnum <= 20; ++seqnum) {
    client->send(submit(seqnum, 2, Direction::kIn, 512));
  }
  ASSERT_TRUE(backend.waitForSubmitted(4));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(backend.submittedCount(), 4u);
  EXPECT_EQ(backend.peakHeld(), 4u);
  // The requests past the cap stay in the socket, not in the engine's memory.
  EXPECT_GE(unreadByEngine(), 48 * 20 - 48 * 4 - 96 - 48);

  uint32_t answered = 0;
  while (answered < 20) {
    auto held = backend.heldIds();
    if (held.empty()) {
      ASSERT_TRUE(backend.waitForSubmitted(answered + 1));
      continue;
    }
    ASSERT_TRUE(backend.complete(held.front()));
    EXPECT_EQ(client->receiveRetSubmit().status, 0);
    ++answered;
  }
  EXPECT_EQ(backend.submittedCount(), 20u);
  EXPECT_LE(backend.peakHeld(), 4u);
}

TEST_F(UrbEngineTest, ByteCapStopsReadingUntilUrbsComplete) {
  UrbEngineOptions options;
  options.maxBytesInFlight = 4096;
  options.readChunkBytes = 48;
  start(options);
  for (uint32_t seqnum = 1; seqnum <= 10; ++seqnum) {
    client->send(submit(seqnum, 2, Direction::kIn, 1024));
  }
  ASSERT_TRUE(backend.waitForSubmitted(4));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(backend.submittedCount(), 4u);
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  client->receiveRetSubmit();
  ASSERT_TRUE(backend.waitForSubmitted(5));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(backend.submittedCount(), 5u);
}

TEST_F(UrbEngineTest, ClientNotReadingStopsTheEngineReading) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  UrbEngineOptions options;
  options.maxOutboundBytes = 8192;
  options.readChunkBytes = 48;
  start(options, {}, 4096);
  constexpr uint32_t kRequests = 200;
  for (uint32_t seqnum = 1; seqnum <= kRequests; ++seqnum) {
    client->send(submit(seqnum, 2, Direction::kIn, 4096));
  }
  std::this_thread::sleep_for(300ms);
  size_t taken = backend.submittedCount();
  EXPECT_LT(taken, kRequests);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(backend.submittedCount(), taken);  // stopped, not slow

  for (uint32_t seqnum = 1; seqnum <= kRequests; ++seqnum) {
    proto::RetSubmit reply = client->receiveRetSubmit();
    EXPECT_EQ(reply.base.seqnum, seqnum);
    EXPECT_EQ(reply.actual_length, 4096);
  }
  EXPECT_EQ(backend.submittedCount(), kRequests);
}

// ---- stalled peers (F11) ----

TEST_F(UrbEngineTest, PeerStalledMidHeaderIsCutOff) {
  UrbEngineOptions options;
  options.peerTimeout = 200ms;
  start(options);
  std::vector<uint8_t> bytes;
  proto::encode(submit(1, 2, Direction::kIn, 64), bytes);
  bytes.resize(20);
  client->sendRaw(bytes);
  auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->waitForEof());
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kPeerStalled);
  EXPECT_EQ(end.rule, proto::Rule::F11);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 150ms);
}

TEST_F(UrbEngineTest, IdleClientIsNotCutOff) {
  UrbEngineOptions options;
  options.peerTimeout = 100ms;
  start(options);
  client->send(submit(1, 3, Direction::kIn, 8));  // an interrupt URB pending for long
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(engineRun.wait_for(0ms), std::future_status::timeout);
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0)));
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
}

TEST_F(UrbEngineTest, PeerNeverReadingRepliesIsCutOff) {
  backend.responder = [](const Transfer& transfer) {
    return std::optional(FakeBackend::fullResult(transfer));
  };
  UrbEngineOptions options;
  options.peerTimeout = 300ms;
  start(options, {}, 4096);
  for (uint32_t seqnum = 1; seqnum <= 100; ++seqnum) {
    client->send(submit(seqnum, 2, Direction::kIn, 4096));
  }
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kPeerStalled);
  EXPECT_EQ(end.rule, proto::Rule::F11);
}

// ---- the end of a connection ----

TEST_F(UrbEngineTest, ClientDisconnectCancelsEverythingPending) {
  start();
  for (uint32_t seqnum = 1; seqnum <= 3; ++seqnum) {
    client->send(submit(seqnum, 2, Direction::kIn, 64));
  }
  ASSERT_TRUE(backend.waitForSubmitted(3));
  EngineResult end = closeAndWait();
  EXPECT_EQ(end.end, EngineEnd::kClientClosed);
  EXPECT_TRUE(backend.heldIds().empty());
  EXPECT_TRUE(backend.drained());
  EXPECT_GE(backend.waitForCancels(3, 0ms), true);
}

TEST_F(UrbEngineTest, DeviceGoneEndsTheConnection) {
  start();
  client->send(submit(1, 2, Direction::kIn, 64));
  ASSERT_TRUE(backend.waitForSubmitted(1));
  TransferResult gone;
  gone.status = -ENODEV;
  ASSERT_TRUE(backend.complete(backend.heldIds().at(0), gone));
  EngineResult end = waitForEnd();
  EXPECT_EQ(end.end, EngineEnd::kDeviceGone);
}

TEST_F(UrbEngineTest, RunTwiceIsABug) {
  start();
  EngineResult end = closeAndWait();
  EXPECT_EQ(end.end, EngineEnd::kClientClosed);
  EXPECT_THROW(engine->run(), std::logic_error);
}

}  // namespace
}  // namespace usbip::worker
