// The URB engine: serves one imported device to one client. It reads CMD_SUBMIT and CMD_UNLINK
// from the client's socket (already past the import handshake), enforces the rules that need
// the device's state (F4, F5, F7, F10, F11, C2, C4, U1, U2; the codec enforces the rest) and the
// device's URB-level policy (policy/urb_limits.h), runs the URBs on a DeviceBackend and writes
// RET_SUBMIT / RET_UNLINK back — all in one poll() loop over the socket and the backend's fds,
// never blocking on the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"
#include "policy/urb_limits.h"
#include "protocol/codec.h"
#include "protocol/errors.h"
#include "protocol/limits.h"
#include "worker/control_requests.h"
#include "worker/device_backend.h"
#include "worker/device_state.h"
#include "worker/iso_split.h"
#include "worker/loop_clock.h"
#include "worker/outbound_queue.h"
#include "worker/read_only_storage.h"

namespace usbip::worker {

struct UrbEngineOptions {
  proto::Limits limits;  // per-URB caps the decoder applies (F8, I2)
  // F10: URBs (CMD_SUBMITs plus CMD_UNLINKs waiting for their target) and buffer bytes in
  // flight. At the cap the engine stops reading the socket; the one URB that crosses the cap is
  // still taken, so in-flight bytes stay below maxBytesInFlight + limits.maxTransferLength.
  uint32_t maxUrbsInFlight = 1024;
  uint64_t maxBytesInFlight = 64u << 20;
  // Replies queued for a slow reader before the engine stops reading requests.
  size_t maxOutboundBytes = 16u << 20;
  // F11: a client that leaves a message half-sent, or does not take a queued reply, for this
  // long is cut off.
  std::chrono::milliseconds peerTimeout{30000};
  // U3: a CMD_UNLINK can reach the engine before the CMD_SUBMIT it names (vhci sends an unlink
  // ahead of a submit still in its queue). At most this many such unlinks wait for their
  // submit; each is answered 0 once the client has sent nothing for earlyUnlinkGrace.
  size_t maxEarlyUnlinks = 64;
  std::chrono::milliseconds earlyUnlinkGrace{2000};
  size_t readChunkBytes = 64u << 10;
  size_t maxIsoPacketsPerTransfer = kUsbfsMaxIsoPacketsPerUrb;  // I5
  // The device's URB-level policy (ImportedDevice.limits). Its size caps narrow the three above
  // (limits.maxTransferLength, maxUrbsInFlight, maxBytesInFlight: the smaller one applies); the
  // rest decides, request by request, what reaches the device.
  policy::UrbLimits policy;
};

enum class EngineEnd {
  kClientClosed,       // EOF, reset or hang-up on the socket
  kProtocolViolation,  // the client broke a rule (EngineResult::rule says which)
  kPeerStalled,        // F11
  kDeviceGone,         // the device disconnected (a transfer or request reported -ENODEV)
  kFailure,            // an OS or backend failure on our side
};

std::string_view toString(EngineEnd end);

struct EngineStats {
  uint64_t submitted = 0;             // CMD_SUBMITs accepted
  uint64_t completed = 0;             // RET_SUBMITs queued
  uint64_t unlinked = 0;              // CMD_UNLINKs received
  uint64_t unlinkedBeforeSubmit = 0;  // CMD_SUBMITs cancelled by a CMD_UNLINK sent ahead (U3)
  uint64_t refused = 0;  // requests the policy kept from the device (answered with an error)
};

struct EngineResult {
  EngineEnd end = EngineEnd::kClientClosed;
  std::optional<proto::Rule> rule;  // set for kProtocolViolation and kPeerStalled (F11)
  std::string detail;
  EngineStats stats;
};

class UrbEngine {
 public:
  // `client`: the connected socket, handshake done. `alreadyReceived`: bytes read past the
  // handshake (the start of the URB stream). `backend` must outlive the engine. Throws
  // std::invalid_argument when the backend's active configuration cannot be parsed.
  UrbEngine(UniqueFd client, std::vector<uint8_t> alreadyReceived, DeviceBackend& backend,
            UrbEngineOptions options = {});
  UrbEngine(const UrbEngine&) = delete;
  UrbEngine& operator=(const UrbEngine&) = delete;
  ~UrbEngine();

  // Serves the client until it goes away or breaks a rule; then cancels everything pending,
  // drains the backend, closes the socket and says why it ended. Call once.
  EngineResult run();

 private:
  // One CMD_SUBMIT not answered yet: handed to the backend (possibly as several transfers, iso
  // rule I5), or, on the default control pipe, answered but waiting for the requests before it.
  struct PendingUrb {
    proto::Direction direction = proto::Direction::kOut;
    proto::TransferType type = proto::TransferType::kControl;
    int32_t transferBufferLength = 0;
    uint64_t accountedBytes = 0;
    std::vector<proto::IsoPacket> iso;  // the request's descriptors
    std::vector<uint64_t> transferIds;
    std::vector<TransferResult> results;
    size_t outstanding = 0;
    std::vector<uint32_t> unlinkedBy;          // CMD_UNLINK seqnums waiting for this URB (U1)
    bool onDefaultPipe = false;                // endpoint 0: answered in arrival order
    bool resolved = false;                     // the device is done with it
    std::optional<proto::RetSubmit> answer;    // once resolved, unless unlinked
    std::optional<uint32_t> writeProtectByte;  // read_only: a MODE SENSE reply's WP byte
  };
  struct TransferRef {
    uint32_t seqnum;
    size_t piece;
  };

  void serve();
  void processInput();
  void pollOnce();
  bool wantsInput() const;
  std::optional<LoopClock::time_point> stallDeadline() const;
  void readAvailable();
  bool readSocket();
  void flushOutbound();

  void handle(proto::CmdSubmit submit);
  void handle(const proto::CmdUnlink& unlink);
  bool holdForItsSubmit(const proto::CmdUnlink& unlink);
  void cancelBeforeSubmission(const proto::CmdSubmit& submit, std::vector<uint32_t> unlinkedBy);
  // U3, for a CMD_SUBMIT that just arrived: answers 0 (U2) the held unlinks whose submit can no
  // longer come (CMD_SUBMITs arrive in seqnum order), and takes out and returns those naming it.
  std::vector<uint32_t> settleHeldUnlinks(uint32_t submitSeqnum);
  // The client went quiet: none of the held unlinks' submits is coming; each is answered 0.
  void answerAllHeldUnlinks();
  void checkDevid(const proto::BasicHeader& base) const;
  void checkFreshSeqnum(uint32_t seqnum) const;
  bool handleControl(const proto::CmdSubmit& submit);
  std::optional<std::string> refusedByPolicy(const SpecialRequest& request) const;
  void answerAtOnce(const proto::CmdSubmit& submit, int32_t status,
                    StorageVerdict::Answer data = {});
  // A resolved URB's answer, now or, on the default pipe, after the requests before it.
  void answerInOrder(uint32_t seqnum, PendingUrb urb);
  void refuse(std::string_view kind, const std::string& detail);
  int32_t performSpecial(const SpecialRequest& request);
  void submitToBackend(proto::CmdSubmit submit, proto::TransferType type,
                       std::optional<uint32_t> writeProtectByte = std::nullopt);
  void onTransferDone(uint64_t id, TransferResult result);
  void finish(PendingUrb& urb);
  void sendAnswer(uint32_t seqnum, PendingUrb& urb);
  void releaseDefaultPipe();
  // Takes the IN data out of urb.results: the reply owns it from here on, uncopied.
  proto::RetSubmit replyFor(PendingUrb& urb) const;
  void queueRetSubmit(proto::RetSubmit reply);
  void queueRetUnlink(uint32_t seqnum, int32_t status);
  void noteStatus(int32_t status);
  void shutDown();

  UniqueFd client_;
  DeviceBackend& backend_;
  UrbEngineOptions options_;
  DeviceState state_;
  uint32_t devid_;
  proto::UrbStreamDecoder decoder_;
  OutboundQueue outbound_;
  ReadOnlyStorageGuard storage_;          // guards.read_only; watches nothing otherwise
  std::set<std::string> refusalsLogged_;  // kinds of refusal already logged at warning level

  std::map<uint32_t, PendingUrb> pending_;  // by CMD_SUBMIT seqnum
  std::unordered_map<uint64_t, TransferRef> transfers_;
  std::set<uint32_t> waitingUnlinks_;
  // U3: held CMD_UNLINKs by their own seqnum (rule F5 looks there too), each to the seqnum of
  // the CMD_SUBMIT it waits for; and the highest CMD_SUBMIT seqnum seen, which tells a URB not
  // submitted yet from one already answered.
  std::map<uint32_t, uint32_t> heldUnlinks_;
  std::optional<uint32_t> highestSubmitSeqnum_;
  // Seqnums of the default control pipe's unanswered CMD_SUBMITs, oldest first. A real control
  // pipe answers in order; a request the engine answers at once (C2, C4) must not overtake
  // transfers still running before it (usbtest's queued control test checks exactly that).
  std::deque<uint32_t> defaultPipeOrder_;
  uint64_t bytesInFlight_ = 0;
  uint64_t nextTransferId_ = 1;

  bool clientGone_ = false;
  bool deviceGone_ = false;
  bool closing_ = false;
  bool ran_ = false;
  // Read once per turn of the loop, right after poll; the coarse clock (loop_clock.h) costs no
  // system call, and the rest of the turn works with the same instant.
  LoopClock::time_point now_;
  LoopClock::time_point readProgress_;   // last byte in, or input re-enabled
  LoopClock::time_point writeProgress_;  // last byte out, or queue filled
  bool wasWantingInput_ = true;
  std::vector<pollfd> pollFds_;  // poll()'s array, refilled every turn
  EngineStats stats_;
  std::string clientGoneDetail_;
};

}  // namespace usbip::worker
