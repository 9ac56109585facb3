// Byte-exact encoding of every USB/IP message (all integers big-endian), and the decoders that
// turn a byte stream, fed in arbitrary pieces, back into messages while enforcing the rules of
// the input-rules document that need no device state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "protocol/errors.h"
#include "protocol/limits.h"
#include "protocol/messages.h"

namespace usbip::proto {

// Wire sizes.
inline constexpr size_t kOpHeaderSize = 8;         // version, code, status
inline constexpr size_t kDeviceRecordSize = 312;   // struct usbip_usb_device
inline constexpr size_t kInterfaceRecordSize = 4;  // struct usbip_usb_interface
inline constexpr size_t kUrbHeaderSize = 48;       // struct usbip_header
inline constexpr size_t kIsoPacketSize = 16;       // struct usbip_iso_packet_descriptor

// Encoders append to `out` and throw std::invalid_argument for a value inconsistent with itself
// (payload size vs. length field, number_of_packets vs. descriptors, over-long strings).
// RET_SUBMIT and RET_UNLINK are written with devid, direction and ep 0, as the kernel's stub
// sends them; RET_SUBMIT's number_of_packets must equal iso.size() (0 for non-iso, rule I1).
// RET_SUBMIT's payload is the IN data packed without gaps (see packIsoInData for iso URBs).
void encode(const OpReqDevlist&, std::vector<uint8_t>& out);
void encode(const OpRepDevlist&, std::vector<uint8_t>& out);
void encode(const OpReqImport&, std::vector<uint8_t>& out);
void encode(const OpRepImport&, std::vector<uint8_t>& out);
void encode(const CmdSubmit&, std::vector<uint8_t>& out);
void encode(const RetSubmit&, std::vector<uint8_t>& out);
// RET_SUBMIT as the wire lays it out around the payload: what comes before it (`header`) and
// after it (the iso descriptors, `trailer`), with the same checks as encode(). A sender that
// writes header, reply.payload and trailer in one gathered write never copies the payload.
void encodeAroundPayload(const RetSubmit&, std::vector<uint8_t>& header,
                         std::vector<uint8_t>& trailer);
void encode(const CmdUnlink&, std::vector<uint8_t>& out);
void encode(const RetUnlink&, std::vector<uint8_t>& out);

enum class TransferType { kControl, kIsochronous, kBulk, kInterrupt };

// What the decoder must know about an endpoint of the current configuration.
struct EndpointInfo {
  TransferType type = TransferType::kControl;
  uint32_t maxIsoBytesPerInterval = 0;  // I3, isochronous only: wMaxPacketSize * mult (* burst)
};

// Answers "does endpoint `ep` exist for `direction`, and what is it?"; nullopt = no such endpoint
// (rule F7). Endpoint 0 is control in both directions. The transfer type always comes from here,
// never from the peer.
using EndpointLookup = std::function<std::optional<EndpointInfo>(uint32_t ep, Direction direction)>;

// Server side, before import: decodes OP_REQ_DEVLIST and OP_REQ_IMPORT (rules F1, F2). It never
// consumes bytes past the end of the one message it decodes; `takeRemainder()` hands them on.
class HandshakeDecoder {
 public:
  // Appends received bytes.
  void feed(std::span<const uint8_t> bytes);
  // The next complete request, or nullopt if more bytes are needed. Throws ProtocolError.
  std::optional<ClientHandshake> next();
  // Bytes received after the last decoded request (the start of the URB stream).
  std::vector<uint8_t> takeRemainder();

 private:
  std::vector<uint8_t> buffer_;
};

// Server side, after import: decodes CMD_SUBMIT and CMD_UNLINK (F3, F6, F7, F8, F9, I1, I2, I3,
// C1, C3, T1). `transfer_flags` come out masked to the allowed set (T1). Device-state rules
// F4 (devid), F5 (duplicate seqnum), F10 (caps) and C4 (recipients) are the worker's job.
class UrbStreamDecoder {
 public:
  UrbStreamDecoder(Limits limits, EndpointLookup endpoints);
  void feed(std::span<const uint8_t> bytes);
  // Receiving without a copy: where the next bytes of the stream go, at most `chunk` of them;
  // then received(count) with what was written there. A large OUT payload whose header has been
  // framed (by next()) gets its own buffer, the one the transfer will use, so that its bytes are
  // written once, by the kernel. After such a payload the next read is one header long, so that
  // the following payload is not swallowed into the shared buffer either.
  std::span<uint8_t> receiveBuffer(size_t chunk);
  void received(size_t count);
  std::optional<ClientUrbMessage> next();
  // Bytes held of messages not yet returned by next().
  size_t buffered() const;

  // OUT payloads from this size up are received into their own buffer; smaller ones are copied.
  static constexpr size_t kDirectPayloadMinimum = 1024;

 private:
  // A header that passed validation, kept while its payload and descriptors arrive, so that the
  // header is checked (and the endpoint looked up) once per message.
  struct Framed {
    ClientUrbMessage message;  // everything but payload and iso filled in
    TransferType type = TransferType::kControl;
    uint32_t maxIsoBytesPerInterval = 0;
    size_t payloadSize = 0;      // OUT data after the header
    size_t descriptorsSize = 0;  // iso packet descriptors after the data
    bool direct = false;         // the payload is received into the message's own buffer
    size_t directReceived = 0;   // how much of it has arrived
  };
  Framed frameHeader();
  ClientUrbMessage finish(Framed framed);
  size_t held() const { return end_ - start_; }
  TransferBytes& directPayload();
  void startDirectPayload();

  Limits limits_;
  EndpointLookup endpoints_;
  std::vector<uint8_t> buffer_;  // [start_, end_) is received and not yet decoded
  size_t start_ = 0;
  size_t end_ = 0;
  std::optional<Framed> framed_;
  bool lastPayloadDirect_ = false;
};

// Client side: decodes OP_REP_DEVLIST or OP_REP_IMPORT, whichever was asked for (R1).
class HandshakeReplyDecoder {
 public:
  HandshakeReplyDecoder(OpCode expected, Limits limits);
  void feed(std::span<const uint8_t> bytes);
  // OpRepDevlist or OpRepImport according to `expected`.
  std::optional<std::variant<OpRepDevlist, OpRepImport>> next();
  // Bytes received after the decoded reply (the start of the URB stream after an import).
  std::vector<uint8_t> takeRemainder();

 private:
  std::optional<OpRepImport> nextImport();
  std::optional<OpRepDevlist> nextDevlist();
  void consume(size_t count);

  OpCode expected_;
  Limits limits_;
  std::vector<uint8_t> buffer_;
  // DEVLIST progress, so that each device record is parsed once however the bytes arrive.
  std::optional<OpRepDevlist> devlist_;
  uint32_t expectedDevices_ = 0;
  size_t parsed_ = 0;  // bytes of buffer_ already turned into devlist_
};

// What a client remembers of a submitted URB, needed to frame its RET_SUBMIT (the reply's own
// direction and ep fields are zero on the wire, as the kernel's stub sends them).
struct PendingSubmit {
  Direction direction = Direction::kOut;
  bool isochronous = false;
  int32_t transfer_buffer_length = 0;
  int32_t number_of_packets = 0;
};
using PendingLookup = std::function<std::optional<PendingSubmit>(uint32_t seqnum)>;

// Client side, after import: decodes RET_SUBMIT and RET_UNLINK (F3, F6, F9, I1, I2, I4). A
// RET_SUBMIT whose seqnum `pending` does not know is an F3 violation. IN iso data stays packed.
class ServerUrbDecoder {
 public:
  ServerUrbDecoder(Limits limits, PendingLookup pending);
  void feed(std::span<const uint8_t> bytes);
  std::optional<ServerUrbMessage> next();
  size_t buffered() const;

 private:
  struct Framed {
    ServerUrbMessage message;  // everything but payload and iso filled in
    PendingSubmit pending;
    size_t totalSize = 0;
  };
  Framed frameHeader();
  ServerUrbMessage finish(Framed framed);

  Limits limits_;
  PendingLookup pending_;
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;
  std::optional<Framed> framed_;
};

// Isochronous IN data travels packed: packet i's actual_length bytes follow packet i-1's, whatever
// the descriptors' offsets (the kernel's stub_tx / usbip_pad_iso). packIsoInData builds that from
// a transfer buffer laid out by offsets; unpackIsoInData places packed data back at the offsets
// into a buffer of `transferBufferLength` bytes. Both check every descriptor against the buffers
// and throw std::invalid_argument on inconsistency.
TransferBytes packIsoInData(std::span<const uint8_t> transferBuffer,
                            std::span<const IsoPacket> packets);
TransferBytes unpackIsoInData(std::span<const uint8_t> packed, std::span<const IsoPacket> packets,
                              size_t transferBufferLength);

}  // namespace usbip::proto
