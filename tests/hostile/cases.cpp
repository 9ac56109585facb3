#include "tests/hostile/cases.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <thread>

#include "tests/hostile/wire.h"

namespace usbip::hostile {
namespace {

using proto::Direction;
using W = WorkerExit;

constexpr auto kPrompt = 10s;  // how long a rejection may take on a busy machine

std::chrono::milliseconds stallLimit(CaseRun& run) {
  return run.settings().peerTimeout + 10s;
}

// OUT payloads are zeros throughout: a SourceSink gadget halts its sink endpoint on anything
// but its pattern, and a halt would outlive the case.

// --- helpers shared by the rows ---------------------------------------------------------------

std::vector<uint8_t> deviceRequest(CaseRun& run, uint32_t seqnum) {
  return wire::bytes(wire::getDeviceDescriptor(seqnum, run.devid()));
}

void handshakeCloses(CaseRun& run, const char* rule, const std::vector<uint8_t>& bytes) {
  auto& c = run.connect(W::kMisbehaved, rule);
  c.sendRaw(bytes);
  run.require(c.closedByServer(kPrompt), "the connection stayed open");
  run.require(c.bytesBeforeClose() == 0,
              "the server answered " + std::to_string(c.bytesBeforeClose()) + " bytes");
}

// Imports, sends `bytes` and requires the worker to close the connection promptly.
void streamCloses(CaseRun& run, const char* rule, const std::vector<uint8_t>& bytes,
                  std::chrono::milliseconds within = kPrompt) {
  auto& c = run.importTarget(W::kMisbehaved, rule);
  c.sendRaw(bytes);
  run.require(c.closedByServer(within), "the connection stayed open");
}

std::vector<uint8_t> patched(std::vector<uint8_t> bytes, size_t at, uint32_t value) {
  wire::put32(bytes, at, value);
  return bytes;
}

// A bulk or interrupt IN endpoint of alternate setting 0 (the F8 and F9 rows).
Endpoint plainIn(const CaseRun& run) {
  auto e = run.target().layout.find(endpoint_type::kBulk, true);
  if (!e) e = run.target().layout.find(endpoint_type::kInterrupt, true);
  return *e;
}
Endpoint bulkOut(const CaseRun& run) {
  return *run.target().layout.find(endpoint_type::kBulk, false);
}
Endpoint isoEndpoint(const CaseRun& run, bool in) {
  return *run.target().layout.find(endpoint_type::kIso, in);
}

proto::RetUnlink expectRetUnlink(CaseRun& run, Connection& c, uint32_t seqnum) {
  auto reply = c.urbs().receive(kPrompt);
  run.require(reply.has_value(), "no RET_UNLINK for seqnum " + std::to_string(seqnum));
  const auto* ret = std::get_if<proto::RetUnlink>(&*reply);
  run.require(ret != nullptr, "a RET_SUBMIT came where a RET_UNLINK was due");
  run.require(ret->base.seqnum == seqnum, "RET_UNLINK for seqnum " +
                                              std::to_string(ret->base.seqnum) + ", not " +
                                              std::to_string(seqnum));
  return *ret;
}

// An IN request the echo device holds (nothing was written): pending until unlinked.
proto::CmdSubmit pendingIn(CaseRun& run, int32_t length) {
  const auto e = *run.target().layout.find(endpoint_type::kBulk, true);
  return wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kIn, length);
}

// --- handshake (F1, F2, F11, E2) ----------------------------------------------------------------

void wrongVersion(CaseRun& run) {
  handshakeCloses(run, "F1", {0x01, 0x06, 0x80, 0x05, 0, 0, 0, 0});
}
void unknownCode(CaseRun& run) {
  handshakeCloses(run, "F1", {0x01, 0x11, 0x80, 0x04, 0, 0, 0, 0});
}
void replyCodeFromClient(CaseRun& run) {
  handshakeCloses(run, "F1", {0x01, 0x11, 0x00, 0x03, 0, 0, 0, 0});
}
void busidWithoutNul(CaseRun& run) {
  std::vector<uint8_t> bytes = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0};
  bytes.insert(bytes.end(), 32, '1');
  handshakeCloses(run, "F2", bytes);
}

void unknownBusid(CaseRun& run) {
  auto& c = run.connect(W::kServed);
  const auto reply = c.import("9-99");
  run.require(reply.has_value(), "no OP_REP_IMPORT");
  run.require(reply->status == 1, "status " + std::to_string(reply->status) + ", not 1");
  run.require(c.closedByServer(kPrompt), "the connection stayed open after the refusal");
}

void importWhileHeld(CaseRun& run) {
  auto& first = run.importTarget(W::kServed);
  auto& second = run.connect(W::kServed);
  const auto reply = second.import(run.target().busid);
  run.require(reply && reply->status == 1, "a second client imported a device already held");
  honestTransfers(first, run.target());
}

void devlistThenGarbage(CaseRun& run) {
  auto& c = run.connect(W::kServed);
  auto bytes = wire::bytes(proto::OpReqDevlist{});
  bytes.insert(bytes.end(), 64, 0xee);
  c.sendRaw(bytes);
  proto::HandshakeReplyDecoder decoder(proto::OpCode::kRepDevlist, proto::Limits{});
  uint8_t chunk[4096];
  for (;;) {
    pollfd pfd{c.fd(), POLLIN, 0};
    run.require(::poll(&pfd, 1, 5000) == 1, "no OP_REP_DEVLIST");
    const ssize_t n = ::recv(c.fd(), chunk, sizeof chunk, 0);
    run.require(n > 0, "closed before OP_REP_DEVLIST");
    decoder.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
    if (auto reply = decoder.next()) {
      run.note(std::to_string(std::get<proto::OpRepDevlist>(*reply).devices.size()) +
               " device(s) listed");
      break;
    }
  }
  run.require(c.closedByServer(kPrompt), "the connection stayed open after the list");
}

void handshakeDribbled(CaseRun& run) {
  auto& c = run.connect(W::kServed);
  const auto reply = c.import(run.target().busid, 2ms);
  run.require(reply && reply->status == 0, "the dribbled import was not answered with status 0");
  honestTransfers(c, run.target());
}

void handshakeStalls(CaseRun& run) {
  auto& c = run.connect(W::kMisbehaved, "F11");
  c.sendRaw(std::vector<uint8_t>{0x01, 0x11, 0x80, 0x03});
  const auto start = std::chrono::steady_clock::now();
  run.require(c.closedByServer(stallLimit(run)), "a stalled handshake was never cut off");
  run.note("cut off after " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count()) +
           " ms");
}

void leavesBeforeRequest(CaseRun& run) {
  run.connect(W::kServed).close();
  auto& half = run.connect(W::kServed);
  half.sendRaw(std::vector<uint8_t>{0x01, 0x11, 0x80});
  half.reset();
}

// --- URB stream framing (F3..F9) ----------------------------------------------------------------

void retSubmitFromClient(CaseRun& run) {
  streamCloses(run, "F3", patched(deviceRequest(run, run.seqnum()), wire::kCommand, 3));
}
void retUnlinkFromClient(CaseRun& run) {
  streamCloses(run, "F3", patched(deviceRequest(run, run.seqnum()), wire::kCommand, 4));
}
void unknownCommand(CaseRun& run) {
  streamCloses(run, "F3", patched(deviceRequest(run, run.seqnum()), wire::kCommand, 0x1234));
}
void handshakeAfterImport(CaseRun& run) {
  auto bytes = wire::bytes(proto::OpReqImport{run.target().busid});
  const auto devlist = wire::bytes(proto::OpReqDevlist{});
  bytes.insert(bytes.end(), devlist.begin(), devlist.end());  // 40 + 8: one header's worth
  streamCloses(run, "F3", bytes);
}

void devidMismatchSubmit(CaseRun& run) {
  streamCloses(run, "F4",
               wire::bytes(wire::getDeviceDescriptor(run.seqnum(), run.devid() ^ 0x00010001u)));
}
void devidMismatchUnlink(CaseRun& run) {
  streamCloses(run, "F4", wire::bytes(wire::unlink(run.seqnum(), run.devid() + 1, 5)));
}

void duplicateSeqnum(CaseRun& run) {
  const uint32_t seqnum = run.seqnum();
  auto bytes = deviceRequest(run, seqnum);
  const auto again = deviceRequest(run, seqnum);
  bytes.insert(bytes.end(), again.begin(), again.end());
  auto& c = run.importTarget(W::kMisbehaved, "F5");
  c.urbs().expect(wire::getDeviceDescriptor(seqnum, run.devid()));
  c.sendRaw(bytes);
  run.require(c.closedByServer(kPrompt), "the connection stayed open");
}
void unlinkReusesPendingSeqnum(CaseRun& run) {
  const uint32_t seqnum = run.seqnum();
  auto bytes = deviceRequest(run, seqnum);
  const auto unlink = wire::bytes(wire::unlink(seqnum, run.devid(), 77777));
  bytes.insert(bytes.end(), unlink.begin(), unlink.end());
  auto& c = run.importTarget(W::kMisbehaved, "F5");
  c.urbs().expect(wire::getDeviceDescriptor(seqnum, run.devid()));
  c.sendRaw(bytes);
  run.require(c.closedByServer(kPrompt), "the connection stayed open");
}

void directionTwo(CaseRun& run) {
  streamCloses(run, "F6", patched(deviceRequest(run, run.seqnum()), wire::kDirection, 2));
}
void unlinkDirectionAllOnes(CaseRun& run) {
  streamCloses(run, "F6",
               patched(wire::bytes(wire::unlink(run.seqnum(), run.devid(), 5)), wire::kDirection,
                       0xffffffff));
}
void endpointSixteen(CaseRun& run) {
  streamCloses(run, "F7",
               wire::bytes(wire::submit(run.seqnum(), run.devid(), 16, Direction::kIn, 8)));
}
void endpointAbsent(CaseRun& run) {
  uint32_t absent = 15;
  for (const auto& e : run.target().layout.endpoints) {
    if (e.number() == absent) --absent;
  }
  streamCloses(run, "F7",
               wire::bytes(wire::submit(run.seqnum(), run.devid(), absent, Direction::kIn, 8)));
}
void endpointWrongDirection(CaseRun& run) {
  const auto e = *run.target().layout.oneWay();
  const auto direction = e.in() ? Direction::kOut : Direction::kIn;
  const std::vector<uint8_t> payload(direction == Direction::kOut ? 8 : 0, 0);
  streamCloses(
      run, "F7",
      wire::bytes(wire::submit(run.seqnum(), run.devid(), e.number(), direction, 8, payload)));
}

// An IN request whose transfer_buffer_length is `length`.
void inLengthCloses(CaseRun& run, uint32_t length) {
  const auto e = plainIn(run);
  const auto request = wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kIn, 8);
  streamCloses(run, "F8", patched(wire::bytes(request), wire::kLength, length));
}
// The header alone: the worker must refuse it without waiting for a payload that never comes.
void outHeaderLengthCloses(CaseRun& run, uint32_t length) {
  const auto e = bulkOut(run);
  const auto request = wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kOut, 0);
  streamCloses(run, "F8", patched(wire::bytes(request), wire::kLength, length));
}

void outPayloadShort(CaseRun& run) {
  const auto e = bulkOut(run);
  auto bytes = wire::bytes(wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kOut, 64,
                                        std::vector<uint8_t>(64, 0)));
  bytes.resize(proto::kUrbHeaderSize + 10);
  streamCloses(run, "F11", bytes, stallLimit(run));
}
// What follows the announced payload is read as the next header, whose command is garbage.
void outPayloadLong(CaseRun& run) {
  const auto e = bulkOut(run);
  auto bytes = wire::bytes(wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kOut, 8,
                                        std::vector<uint8_t>(8, 0)));
  bytes.insert(bytes.end(), proto::kUrbHeaderSize, 0xaa);
  streamCloses(run, "F3", bytes);
}
void inWithPayload(CaseRun& run) {
  const auto e = plainIn(run);
  auto bytes = wire::bytes(wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kIn, 8));
  bytes.insert(bytes.end(), proto::kUrbHeaderSize, 0xaa);
  streamCloses(run, "F3", bytes);
}

// --- isochronous (I1..I5) ---------------------------------------------------------------------

void nonIsoPacketCount(CaseRun& run) {
  const auto e = bulkOut(run);
  auto& c = run.importTarget(W::kServed);
  auto request = wire::submit(run.seqnum(), run.devid(), e.number(), Direction::kOut, 8,
                              std::vector<uint8_t>(8, 0));
  c.urbs().expect(request);
  c.sendRaw(patched(wire::bytes(request), wire::kPackets, 0xffffffff));
  const auto reply = c.urbs().receive(kPrompt);
  run.require(reply.has_value(), "no RET_SUBMIT");
  const auto& ret = std::get<proto::RetSubmit>(*reply);
  run.require(
      ret.status == 0 && ret.actual_length == 8,
      "status " + std::to_string(ret.status) + ", " + std::to_string(ret.actual_length) + " bytes");
}

// An iso request on an endpoint whose alternate setting is selected first, then `edit` applied
// to its bytes; the worker must close the connection.
void isoCloses(CaseRun& run, const char* rule, bool in, uint32_t packets, uint32_t packetLength,
               const std::function<void(std::vector<uint8_t>&, size_t isoAt)>& edit) {
  const auto e = isoEndpoint(run, in);
  auto& c = run.importTarget(W::kMisbehaved, rule);
  run.use(c, e);
  const auto request = wire::iso(run.seqnum(), run.devid(), e.number(),
                                 in ? Direction::kIn : Direction::kOut, packets, packetLength);
  auto bytes = wire::bytes(request);
  edit(bytes, proto::kUrbHeaderSize + request.payload.size());
  c.sendRaw(bytes);
  run.require(c.closedByServer(kPrompt), "the connection stayed open");
}

void headerOnlyPackets(CaseRun& run, uint32_t count) {
  isoCloses(run, "I2", true, 1, isoEndpoint(run, true).maxPacket,
            [count](std::vector<uint8_t>& b, size_t) {
              b.resize(proto::kUrbHeaderSize);
              wire::put32(b, wire::kPackets, count);
            });
}
void isoOffsetBeyondBuffer(CaseRun& run) {
  const uint32_t size = isoEndpoint(run, true).maxPacket;
  isoCloses(run, "I3", true, 2, size, [size](std::vector<uint8_t>& b, size_t at) {
    wire::put32(b, at + proto::kIsoPacketSize + wire::kIsoOffset, 2 * size);
  });
}
void isoOffsetWraps(CaseRun& run) {
  const uint32_t size = isoEndpoint(run, true).maxPacket;
  isoCloses(run, "I3", true, 2, size, [size](std::vector<uint8_t>& b, size_t at) {
    // offset + length wraps to a small value inside the buffer in 32 bits.
    wire::put32(b, at + proto::kIsoPacketSize + wire::kIsoOffset, 0u - size / 2);
  });
}
void isoPacketAboveInterval(CaseRun& run) {
  const uint32_t size = isoEndpoint(run, true).maxPacket;
  isoCloses(run, "I3", true, 1, size + 1, [](std::vector<uint8_t>&, size_t) {});
}
void isoOutLengthsDoNotAddUp(CaseRun& run) {
  const uint32_t size = isoEndpoint(run, false).maxPacket;
  isoCloses(run, "I3", false, 2, size, [](std::vector<uint8_t>& b, size_t at) {
    wire::put32(b, at + proto::kIsoPacketSize + wire::kIsoLength, 1);
  });
}
// Two packets of the endpoint's size, both at offset 0 of a buffer that holds one: each lies
// inside the buffer (the decoder's check), together they carry more than it holds (the worker's).
void isoInOverlapping(CaseRun& run) {
  isoCloses(run, "I3", true, 1, isoEndpoint(run, true).maxPacket,
            [](std::vector<uint8_t>& b, size_t at) {
              wire::put32(b, wire::kPackets, 2);
              const std::vector<uint8_t> again(b.begin() + static_cast<std::ptrdiff_t>(at),
                                               b.begin() + static_cast<std::ptrdiff_t>(at + 16));
              b.insert(b.end(), again.begin(), again.end());
            });
}
void iso1024Packets(CaseRun& run) {
  const auto e = isoEndpoint(run, true);
  auto& c = run.importTarget(W::kServed);
  run.use(c, e);
  const auto request =
      wire::iso(run.seqnum(), run.devid(), e.number(), Direction::kIn, 1024, e.maxPacket);
  c.urbs().send(request);
  const auto reply = c.urbs().receive(15s);
  run.require(reply.has_value(), "no RET_SUBMIT for 1024 packets");
  const auto& ret = std::get<proto::RetSubmit>(*reply);
  run.require(ret.status == 0, "status " + std::to_string(ret.status));
  run.require(ret.iso.size() == 1024, std::to_string(ret.iso.size()) + " descriptors back");
}

// --- control (C1, C3, C4) and flags (T1) --------------------------------------------------------

void controlWLengthMismatch(CaseRun& run) {
  auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
  streamCloses(run, "C1", patched(wire::bytes(request), wire::kLength, 64));
}
void controlDirectionMismatch(CaseRun& run) {
  auto request =
      wire::control(run.seqnum(), run.devid(), wire::setupBytes(0x00, 0x07, 0x0100, 0, 18),
                    std::vector<uint8_t>(18, 0));  // SET_DESCRIPTOR, OUT
  auto bytes = wire::bytes(request);
  bytes[wire::kSetup] = 0x80;  // the setup packet now says IN
  streamCloses(run, "C1", bytes);
}
void setAddress(CaseRun& run) {
  streamCloses(
      run, "C3",
      wire::bytes(wire::control(run.seqnum(), run.devid(), wire::setupBytes(0, 5, 9, 0, 0))));
}
void answeredWithStall(CaseRun& run, std::array<uint8_t, 8> setupPacket) {
  auto& c = run.importTarget(W::kServed);
  const auto ret = transact(c, wire::control(run.seqnum(), run.devid(), setupPacket));
  run.require(ret.status == -EPIPE, "status " + std::to_string(ret.status) + ", not -EPIPE");
  honestTransfers(c, run.target());  // and the connection goes on
}
void foreignInterface(CaseRun& run) {
  answeredWithStall(run,
                    wire::setupBytes(0x81, 0x00, 0, run.target().layout.foreignInterface(), 2));
}
void foreignEndpoint(CaseRun& run) {
  uint8_t absent = 0x8f;
  for (const auto& e : run.target().layout.endpoints) {
    if (e.address == absent) --absent;
  }
  answeredWithStall(run, wire::setupBytes(0x02, 0x01, 0, absent, 0));  // CLEAR_FEATURE(HALT)
}
// C2: standard requests go through the USB stack; one it refuses is an error status, not a
// closed connection, and leaves the device as it was.
void standardRequest(CaseRun& run, std::array<uint8_t, 8> setupPacket, bool succeeds) {
  auto& c = run.importTarget(W::kServed);
  const auto ret = transact(c, wire::control(run.seqnum(), run.devid(), setupPacket));
  run.require(succeeds ? ret.status == 0 : ret.status != 0, "status " + std::to_string(ret.status));
  run.note("status " + std::to_string(ret.status));
  honestTransfers(c, run.target());
}

void allTransferFlags(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
  c.urbs().expect(request);
  c.sendRaw(patched(wire::bytes(request), wire::kFlags, 0xffffffff));
  const auto reply = c.urbs().receive(kPrompt);
  run.require(reply.has_value(), "no RET_SUBMIT");
  const auto& ret = std::get<proto::RetSubmit>(*reply);
  run.require(ret.status == 0 && ret.payload.size() == 18, "status " + std::to_string(ret.status));
}

// --- unlink (U1, U2, U3) ----------------------------------------------------------------------

void unlinkPending(CaseRun& run, int32_t length, int unlinks) {
  auto& c = run.importTarget(W::kServed);
  const auto request = pendingIn(run, length);
  c.urbs().send(request);
  // All unlinks in one write: sent one by one, a later one could find the URB already
  // cancelled, which is U2's case (status 0), not this one.
  std::vector<uint32_t> unlinkSeqnums;
  std::vector<uint8_t> bytes;
  for (int i = 0; i < unlinks; ++i) {
    unlinkSeqnums.push_back(run.seqnum());
    const auto unlink =
        wire::bytes(wire::unlink(unlinkSeqnums.back(), run.devid(), request.base.seqnum));
    bytes.insert(bytes.end(), unlink.begin(), unlink.end());
  }
  c.sendRaw(bytes);
  for (const uint32_t seqnum : unlinkSeqnums) {
    const auto ret = expectRetUnlink(run, c, seqnum);
    run.require(ret.status == -ECONNRESET, "RET_UNLINK status " + std::to_string(ret.status));
  }
  run.require(!c.urbs().receive(300ms).has_value(), "a reply came for the unlinked URB");
  honestTransfers(c, run.target());
}

void unlinkUnknown(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  const uint32_t seqnum = run.seqnum();
  c.urbs().send(wire::unlink(seqnum, run.devid(), 424242));
  const auto ret = expectRetUnlink(run, c, seqnum);
  run.require(ret.status == 0, "RET_UNLINK status " + std::to_string(ret.status));
}
void unlinkCompleted(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  const auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
  run.require(transact(c, request).status == 0, "GET_DESCRIPTOR failed");
  const uint32_t seqnum = run.seqnum();
  c.urbs().send(wire::unlink(seqnum, run.devid(), request.base.seqnum));
  const auto ret = expectRetUnlink(run, c, seqnum);
  run.require(ret.status == 0, "RET_UNLINK status " + std::to_string(ret.status));
}

// U3: the unlink ahead of its submit, in one write, as vhci sends them when it unlinks a URB
// whose submit is still queued. The submit is cancelled before it runs.
void unlinkBeforeSubmit(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  const auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
  const uint32_t seqnum = run.seqnum();  // above the target's, as vhci's counter gives it
  c.urbs().expect(request);
  std::vector<uint8_t> bytes = wire::bytes(wire::unlink(seqnum, run.devid(), request.base.seqnum));
  const auto submit = wire::bytes(request);
  bytes.insert(bytes.end(), submit.begin(), submit.end());
  c.sendRaw(bytes);
  const auto ret = expectRetUnlink(run, c, seqnum);
  run.require(ret.status == -ECONNRESET, "RET_UNLINK status " + std::to_string(ret.status));
  run.require(!c.urbs().receive(300ms).has_value(), "a reply came for the unlinked URB");
  honestTransfers(c, run.target());
}

// 1000 unlinks of nothing and 100 requests each chased by its unlink, in one write: every
// request gets exactly one reply, and a URB is either answered or cancelled, never both.
void unlinkStorm(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  std::vector<uint8_t> bytes;
  std::map<uint32_t, uint32_t> chasedBy;  // unlink seqnum -> the submit it targets
  std::map<uint32_t, int> replies;
  for (int i = 0; i < 1000; ++i) {
    const auto unlink =
        wire::bytes(wire::unlink(run.seqnum(), run.devid(), 900000u + static_cast<uint32_t>(i)));
    bytes.insert(bytes.end(), unlink.begin(), unlink.end());
  }
  for (int i = 0; i < 100; ++i) {
    const auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
    c.urbs().expect(request);
    const auto unlink = wire::unlink(run.seqnum(), run.devid(), request.base.seqnum);
    chasedBy[unlink.base.seqnum] = request.base.seqnum;
    for (const auto& part : {wire::bytes(request), wire::bytes(unlink)})
      bytes.insert(bytes.end(), part.begin(), part.end());
  }
  c.sendRaw(bytes);
  size_t unlinkReplies = 0, cancelled = 0;
  while (unlinkReplies < 1100) {
    const auto reply = c.urbs().receive(10s);
    run.require(reply.has_value(), "only " + std::to_string(unlinkReplies) + " of 1100 RET_UNLINK");
    std::visit([&](const auto& r) { ++replies[r.base.seqnum]; }, *reply);
    if (const auto* ret = std::get_if<proto::RetUnlink>(&*reply)) {
      ++unlinkReplies;
      const auto chased = chasedBy.find(ret->base.seqnum);
      if (chased == chasedBy.end()) {
        run.require(ret->status == 0, "unlink of nothing answered " + std::to_string(ret->status));
      } else if (ret->status == -ECONNRESET) {
        ++cancelled;
        run.require(!replies.contains(chased->second), "a cancelled URB was also answered");
      } else {
        run.require(ret->status == 0 && replies.contains(chased->second),
                    "RET_UNLINK 0 for a URB that got no RET_SUBMIT first");
      }
    }
  }
  for (const auto& [seqnum, count] : replies)
    run.require(count == 1, "seqnum " + std::to_string(seqnum) + " answered twice");
  run.require(!c.urbs().receive(300ms).has_value(), "a reply came for a cancelled URB");
  run.note(std::to_string(cancelled) + " of 100 chased URBs cancelled");
}

// --- back-pressure and timeouts (F10, F11) ----------------------------------------------------

enum class Flood { kBlocked, kCutOff, kNeverBlocked };

// Sends copies of `request` (seqnums renumbered) without reading anything, until the socket
// would block for a second (the worker stopped reading), the worker cuts the connection, or
// `limit` bytes went out.
Flood floodUntilBlocked(Connection& c, const std::vector<uint8_t>& request, uint32_t& seqnum,
                        size_t limit, size_t& sent) {
  std::vector<uint8_t> batch;
  sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  try {
    while (sent < limit && std::chrono::steady_clock::now() < deadline) {
      batch.clear();
      for (int i = 0; i < 256; ++i) {
        const size_t at = batch.size();
        batch.insert(batch.end(), request.begin(), request.end());
        std::vector<uint8_t> header(batch.begin() + static_cast<std::ptrdiff_t>(at),
                                    batch.begin() + static_cast<std::ptrdiff_t>(at + 8));
        wire::put32(header, wire::kSeqnum, seqnum++);
        std::copy(header.begin(), header.end(), batch.begin() + static_cast<std::ptrdiff_t>(at));
      }
      size_t part = 0;
      const bool all = c.trySend(batch, part);
      sent += part;
      if (!all) {
        pollfd pfd{c.fd(), POLLOUT, 0};
        if (::poll(&pfd, 1, 1000) == 0) return Flood::kBlocked;
        // Not blocked for long: finish this batch (never stop mid-message) and go on.
        std::span<const uint8_t> rest(batch.data() + part, batch.size() - part);
        c.sendRaw(rest);
        sent += rest.size();
      }
    }
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe) {
      return Flood::kCutOff;
    }
    throw;
  }
  return Flood::kNeverBlocked;
}

void neverReadsReplies(CaseRun& run) {
  auto& c = run.importTarget(W::kMisbehaved, "F11");
  c.shrinkSendBuffer();
  uint32_t seqnum = run.seqnum();
  const auto request =
      wire::bytes(wire::control(0, run.devid(), wire::setupBytes(0x80, 0x06, 0x0200, 0, 255)));
  size_t sent = 0;
  const Flood flood = floodUntilBlocked(c, request, seqnum, 512u << 20, sent);
  run.require(flood != Flood::kNeverBlocked,
              "the worker kept reading requests whose replies nobody read (" +
                  std::to_string(sent >> 20) + " MiB sent)");
  // With a short peer timeout the worker may give up while the client is still sending.
  run.note(std::string(flood == Flood::kBlocked ? "blocked" : "cut off") + " after " +
           std::to_string(sent >> 20) + " MiB of requests");
  run.meanwhile();
  // Still without reading (reading would be the progress the worker waits for): the broker
  // must see the worker give up.
  const auto end = run.host().waitForEnd(c.peer(), c.index(), stallLimit(run));
  run.require(end.has_value(), "a client that never reads was never cut off");
  run.require(c.closedByServer(kPrompt), "the connection stayed open after the worker ended");
}

void urbsInFlightCap(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  c.shrinkSendBuffer();
  uint32_t seqnum = run.seqnum();
  const auto request = wire::bytes(pendingIn(run, 64));
  size_t sent = 0;
  run.require(
      floodUntilBlocked(c, request, seqnum, 256u << 20, sent) == Flood::kBlocked,
      "the worker kept taking URBs past its cap (" + std::to_string(sent >> 20) + " MiB sent)");
  run.note("blocked after " + std::to_string(sent / request.size()) + " pending URBs sent");
  run.meanwhile();
  // Not close(): the requests the worker is not reading keep the window shut, so a FIN would
  // queue behind them (docs/security.md, "Seen"). A reset gets through.
  c.reset();
}

void bytesInFlightCap(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  for (int i = 0; i < 8; ++i)
    c.urbs().send(pendingIn(run, 16 << 20));
  // Past 64 MiB in flight the worker reads nothing more, so this is not answered.
  c.urbs().send(wire::getDeviceDescriptor(run.seqnum(), run.devid()));
  run.require(!c.urbs().receive(1500ms).has_value(),
              "the worker answered a request sent past its in-flight byte cap");
  run.meanwhile();
  c.reset();
}

void headerDribbled(CaseRun& run) {
  auto& c = run.importTarget(W::kServed);
  const auto request = wire::getDeviceDescriptor(run.seqnum(), run.devid());
  c.urbs().expect(request);
  for (const uint8_t byte : wire::bytes(request)) {
    c.sendRaw(std::span<const uint8_t>(&byte, 1));
    std::this_thread::sleep_for(2ms);
  }
  const auto reply = c.urbs().receive(kPrompt);
  run.require(reply.has_value(), "no RET_SUBMIT for the dribbled request");
  const auto& ret = std::get<proto::RetSubmit>(*reply);
  run.require(ret.status == 0 && ret.payload.size() == 18, "status " + std::to_string(ret.status));
}

void stallMidHeader(CaseRun& run) {
  auto bytes = deviceRequest(run, run.seqnum());
  bytes.resize(20);
  streamCloses(run, "F11", bytes, stallLimit(run));
}

// --- many connections -------------------------------------------------------------------------

void connectionStorm(CaseRun& run);  // below the table

constexpr Case kCases[] = {
    {"handshake-wrong-version", "F1", "closed without a reply; worker exit 4", Needs::kNothing,
     wrongVersion},
    {"handshake-unknown-code", "F1", "closed without a reply; worker exit 4", Needs::kNothing,
     unknownCode},
    {"handshake-reply-code", "F1", "closed without a reply; worker exit 4", Needs::kNothing,
     replyCodeFromClient},
    {"import-busid-without-nul", "F2", "closed without a reply; worker exit 4", Needs::kNothing,
     busidWithoutNul},
    {"import-unknown-busid", "E2", "OP_REP_IMPORT status 1, then closed; worker exit 0",
     Needs::kNothing, unknownBusid},
    {"handshake-stalls", "F11", "closed after the peer timeout; worker exit 4", Needs::kNothing,
     handshakeStalls},
    {"leaves-before-request", "F11", "connections closed or reset before a request: worker exit 0",
     Needs::kNothing, leavesBeforeRequest},
    {"devlist-then-garbage", "F1", "OP_REP_DEVLIST, then closed; worker exit 0", Needs::kNothing,
     devlistThenGarbage},
    {"import-while-held", "E2", "second importer gets status 1; the first keeps working",
     Needs::kDevice, importWhileHeld},
    {"handshake-dribbled", "F11", "import sent a byte at a time is served", Needs::kDevice,
     handshakeDribbled},
    {"ret-submit-from-client", "F3", "closed; worker exit 4", Needs::kDevice, retSubmitFromClient},
    {"ret-unlink-from-client", "F3", "closed; worker exit 4", Needs::kDevice, retUnlinkFromClient},
    {"unknown-command", "F3", "closed; worker exit 4", Needs::kDevice, unknownCommand},
    {"handshake-after-import", "F3", "closed; worker exit 4", Needs::kDevice, handshakeAfterImport},
    {"devid-mismatch-submit", "F4", "closed; worker exit 4", Needs::kDevice, devidMismatchSubmit},
    {"devid-mismatch-unlink", "F4", "closed; worker exit 4", Needs::kDevice, devidMismatchUnlink},
    {"duplicate-seqnum", "F5", "closed; worker exit 4", Needs::kDevice, duplicateSeqnum},
    {"unlink-reuses-pending-seqnum", "F5", "closed; worker exit 4", Needs::kDevice,
     unlinkReusesPendingSeqnum},
    {"direction-2", "F6", "closed; worker exit 4", Needs::kDevice, directionTwo},
    {"unlink-direction-all-ones", "F6", "closed; worker exit 4", Needs::kDevice,
     unlinkDirectionAllOnes},
    {"endpoint-16", "F7", "closed; worker exit 4", Needs::kDevice, endpointSixteen},
    {"endpoint-absent", "F7", "closed; worker exit 4", Needs::kDevice, endpointAbsent},
    {"endpoint-wrong-direction", "F7", "closed; worker exit 4", Needs::kOneWay,
     endpointWrongDirection},
    {"length-negative", "F8", "closed; worker exit 4", Needs::kInEndpoint,
     [](CaseRun& run) { inLengthCloses(run, 0xffffffff); }},
    {"length-int-min-header-only", "F8", "closed before any payload; worker exit 4",
     Needs::kBulkOut, [](CaseRun& run) { outHeaderLengthCloses(run, 0x80000000); }},
    {"length-above-cap-header-only", "F8", "closed before any payload; worker exit 4",
     Needs::kBulkOut, [](CaseRun& run) { outHeaderLengthCloses(run, (16u << 20) + 1); }},
    {"length-max-int-in", "F8", "closed; worker exit 4", Needs::kInEndpoint,
     [](CaseRun& run) { inLengthCloses(run, 0x7fffffff); }},
    {"out-payload-short", "F9", "closed after the peer timeout (F11); worker exit 4",
     Needs::kBulkOut, outPayloadShort},
    {"out-payload-long", "F9", "the surplus is the next header: closed (F3); worker exit 4",
     Needs::kBulkOut, outPayloadLong},
    {"in-with-payload", "F9", "the payload is the next header: closed (F3); worker exit 4",
     Needs::kInEndpoint, inWithPayload},
    {"non-iso-packet-count", "I1", "number_of_packets ignored: answered, status 0", Needs::kBulkOut,
     nonIsoPacketCount},
    {"iso-zero-packets", "I2", "closed; worker exit 4", Needs::kIsoIn,
     [](CaseRun& run) { headerOnlyPackets(run, 0); }},
    {"iso-negative-packets", "I2", "closed; worker exit 4", Needs::kIsoIn,
     [](CaseRun& run) { headerOnlyPackets(run, 0xffffffff); }},
    {"iso-1025-packets", "I2", "closed; worker exit 4", Needs::kIsoIn,
     [](CaseRun& run) { headerOnlyPackets(run, 1025); }},
    {"iso-max-int-packets", "I2", "closed before the descriptors; worker exit 4", Needs::kIsoIn,
     [](CaseRun& run) { headerOnlyPackets(run, 0x7fffffff); }},
    {"iso-offset-beyond-buffer", "I3", "closed; worker exit 4", Needs::kIsoIn,
     isoOffsetBeyondBuffer},
    {"iso-offset-wraps", "I3", "closed; worker exit 4", Needs::kIsoIn, isoOffsetWraps},
    {"iso-packet-above-interval", "I3", "closed; worker exit 4", Needs::kIsoIn,
     isoPacketAboveInterval},
    {"iso-out-lengths-short", "I3", "closed; worker exit 4", Needs::kIsoOut,
     isoOutLengthsDoNotAddUp},
    {"iso-in-overlapping", "I3", "closed; worker exit 4", Needs::kIsoIn, isoInOverlapping},
    {"iso-1024-packets", "I5", "answered: status 0, 1024 descriptors", Needs::kIsoIn,
     iso1024Packets},
    {"control-wlength-mismatch", "C1", "closed; worker exit 4", Needs::kDevice,
     controlWLengthMismatch},
    {"control-direction-mismatch", "C1", "closed; worker exit 4", Needs::kDevice,
     controlDirectionMismatch},
    {"set-address", "C3", "closed; worker exit 4", Needs::kDevice, setAddress},
    {"foreign-interface-request", "C4", "answered -EPIPE; the connection goes on", Needs::kDevice,
     foreignInterface},
    {"foreign-endpoint-request", "C4", "answered -EPIPE; the connection goes on", Needs::kDevice,
     foreignEndpoint},
    {"set-configuration-again", "C2", "SET_CONFIGURATION(1) through the USB stack: status 0",
     Needs::kDevice,
     [](CaseRun& run) { standardRequest(run, wire::setupBytes(0x00, 0x09, 1, 0, 0), true); }},
    {"set-configuration-unknown", "C2", "an error status; the connection and device go on",
     Needs::kDevice,
     [](CaseRun& run) { standardRequest(run, wire::setupBytes(0x00, 0x09, 0xee, 0, 0), false); }},
    {"set-interface-unknown-alt", "C2", "an error status; the connection and device go on",
     Needs::kDevice,
     [](CaseRun& run) {
       standardRequest(
           run, wire::setupBytes(0x01, 0x0b, 0xee, run.target().layout.interfaces.at(0), 0), false);
     }},
    {"all-transfer-flags", "T1", "flags masked: answered, status 0", Needs::kDevice,
     allTransferFlags},
    {"unlink-pending", "U1", "RET_UNLINK -104, no RET_SUBMIT", Needs::kPendingIn,
     [](CaseRun& run) { unlinkPending(run, 64, 1); }},
    {"unlink-pending-50-times", "U1", "50 x RET_UNLINK -104, no RET_SUBMIT", Needs::kPendingIn,
     [](CaseRun& run) { unlinkPending(run, 64, 50); }},
    {"unlink-16mib-buffer", "U1", "16 MiB IN accepted, RET_UNLINK -104", Needs::kPendingIn,
     [](CaseRun& run) { unlinkPending(run, 16 << 20, 1); }},
    {"unlink-unknown", "U2", "RET_UNLINK 0", Needs::kDevice, unlinkUnknown},
    {"unlink-completed", "U2", "RET_UNLINK 0", Needs::kDevice, unlinkCompleted},
    {"unlink-before-submit", "U3", "RET_UNLINK -104, no RET_SUBMIT", Needs::kDevice,
     unlinkBeforeSubmit},
    {"unlink-storm", "U2", "1100 unlinks: one reply per request, none answered twice",
     Needs::kDevice, unlinkStorm},
    {"urbs-in-flight-cap", "F10", "the worker stops reading at its URB cap (sends block)",
     Needs::kPendingIn, urbsInFlightCap},
    {"bytes-in-flight-cap", "F10", "the worker stops reading at 64 MiB in flight",
     Needs::kPendingIn, bytesInFlightCap},
    {"never-reads-replies", "F11",
     "sends block (back-pressure), then closed after the peer timeout; worker exit 4",
     Needs::kDevice, neverReadsReplies},
    {"header-dribbled", "F11", "a header sent a byte at a time is answered", Needs::kDevice,
     headerDribbled},
    {"stall-mid-header", "F11", "closed after the peer timeout; worker exit 4", Needs::kDevice,
     stallMidHeader},
    {"connection-storm", "F11",
     "2000 connections opened and dropped in 40 s: every worker exits 0, the broker answers after",
     Needs::kStorm, connectionStorm},
};

// Opens and drops connections one after the other in four ways (close, reset, half a request, a
// request whose reply is never read), faster than workers start, so that the broker's 64-worker
// cap is reached; every connection the broker saw must be accounted for.
void connectionStorm(CaseRun& run) {
  const int kConnections = run.settings().stormConnections;
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  std::vector<std::pair<std::string, size_t>> peers;
  int made = 0, refused = 0;
  for (; made < kConnections && std::chrono::steady_clock::now() < deadline; ++made) {
    try {
      // The listen queue is short and full while the broker starts workers: a connection that
      // does not get in at once is dropped half-open, which is one more shape of the storm.
      Connection c(run.settings().port, run.countEarlier(), 20ms);
      peers.emplace_back(c.peer(), c.index());
      switch (made % 4) {
        case 0:
          c.close();
          break;
        case 1:
          c.reset();
          break;
        case 2:
          c.sendRaw(std::vector<uint8_t>{0x01, 0x11, 0x80});
          c.close();
          break;
        default:
          c.sendRaw(wire::bytes(proto::OpReqDevlist{}));
          c.reset();
          break;
      }
    } catch (const std::system_error&) {
      ++refused;
    }
  }
  run.require(made == kConnections, "only " + std::to_string(made) + " connections in 40 s");
  run.note(std::to_string(made) + " connections");
  size_t workers = 0, unanswered = 0, unseen = 0;
  for (const auto& [peer, index] : peers) {
    const auto record = run.host().waitForEnd(peer, index, 30s);
    if (!record) {
      // Reset while still in the listen queue: the broker never saw it.
      if (!run.host().record(peer, index)) {
        ++unseen;
        continue;
      }
      run.require(false, peer + ": its worker never ended");
    }
    if (record->unanswered) {
      ++unanswered;
      continue;
    }
    ++workers;
    run.require(record->end == "exited with status 0",
                peer + ": worker " + record->end.value_or("?"));
  }
  run.note(std::to_string(workers) + " served by a worker, " + std::to_string(unanswered) +
           " closed at the worker cap, " + std::to_string(unseen) + " reset before the broker " +
           "accepted them, " + std::to_string(refused) + " dropped while connecting");
  auto& c = run.connect(W::kServed);
  run.require(c.devlist().has_value(), "no OP_REP_DEVLIST after the storm");
}

}  // namespace

std::span<const Case> hostileCases() {
  return kCases;
}

}  // namespace usbip::hostile
