// The client's side of a fuzzed session: the requests it sent (as decoded from its own stream)
// and the replies the worker sent back, checked against the rules every reply must keep:
// a RET_SUBMIT answers an unanswered CMD_SUBMIT of that seqnum and satisfies what vhci checks
// (ServerUrbDecoder: F9, I1, I4); a RET_UNLINK answers a CMD_UNLINK; -ECONNRESET means its
// target was pending, or sent after it (U3), and gets no RET_SUBMIT (U1); 0 means the target was
// answered first or never existed (U2); no request is answered twice; answers on endpoint 0
// (RET_SUBMIT, or the RET_UNLINK that cancels) come in the order of the requests, as the kernel's
// queue would give.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/codec.h"

namespace usbip::fuzz {

class ReplyTracker {
 public:
  explicit ReplyTracker(std::vector<proto::ClientUrbMessage> requests);

  // What the client remembers of the CMD_SUBMIT a RET_SUBMIT with `seqnum` answers.
  std::optional<proto::PendingSubmit> pendingFor(uint32_t seqnum) const;
  // Aborts (FUZZ_REQUIRE) when `reply` breaks a rule.
  void onReply(const proto::ServerUrbMessage& reply);

 private:
  enum class State { kUnanswered, kAnswered, kCancelled };
  struct Sent {
    proto::ClientUrbMessage request;
    State state = State::kUnanswered;
  };

  // The first unanswered request of that kind with that seqnum.
  std::optional<size_t> firstUnanswered(uint32_t seqnum, bool submit) const;
  bool onDefaultPipe(size_t index) const;
  // Answers on endpoint 0 keep the order of the requests: every earlier one is answered.
  void checkDefaultPipeOrder(size_t answered) const;
  // The last CMD_SUBMIT with `seqnum` sent before position `before`.
  std::optional<size_t> lastSubmitBefore(uint32_t seqnum, size_t before) const;
  // The first CMD_SUBMIT with `seqnum` sent after position `after`.
  std::optional<size_t> firstSubmitAfter(uint32_t seqnum, size_t after) const;

  std::vector<Sent> sent_;
};

}  // namespace usbip::fuzz
