#include "fuzz/reply_tracker.h"

#include <cerrno>
#include <variant>

#include "fuzz/check.h"

namespace usbip::fuzz {

ReplyTracker::ReplyTracker(std::vector<proto::ClientUrbMessage> requests) {
  for (proto::ClientUrbMessage& request : requests)
    sent_.push_back({std::move(request), State::kUnanswered});
}

std::optional<size_t> ReplyTracker::firstUnanswered(uint32_t seqnum, bool submit) const {
  for (size_t i = 0; i < sent_.size(); ++i) {
    const Sent& sent = sent_[i];
    if (sent.state != State::kUnanswered) continue;
    if (std::holds_alternative<proto::CmdSubmit>(sent.request) != submit) continue;
    bool same = std::visit([&](const auto& r) { return r.base.seqnum == seqnum; }, sent.request);
    if (same) return i;
  }
  return std::nullopt;
}

std::optional<size_t> ReplyTracker::lastSubmitBefore(uint32_t seqnum, size_t before) const {
  for (size_t i = before; i-- > 0;) {
    const auto* submit = std::get_if<proto::CmdSubmit>(&sent_[i].request);
    if (submit && submit->base.seqnum == seqnum) return i;
  }
  return std::nullopt;
}

std::optional<size_t> ReplyTracker::firstSubmitAfter(uint32_t seqnum, size_t after) const {
  for (size_t i = after + 1; i < sent_.size(); ++i) {
    const auto* submit = std::get_if<proto::CmdSubmit>(&sent_[i].request);
    if (submit && submit->base.seqnum == seqnum) return i;
  }
  return std::nullopt;
}

bool ReplyTracker::onDefaultPipe(size_t index) const {
  const auto* submit = std::get_if<proto::CmdSubmit>(&sent_[index].request);
  return submit && submit->base.ep == 0;
}

void ReplyTracker::checkDefaultPipeOrder(size_t answered) const {
  if (!onDefaultPipe(answered)) return;
  for (size_t i = 0; i < answered; ++i) {
    if (onDefaultPipe(i)) FUZZ_REQUIRE(sent_[i].state != State::kUnanswered);
  }
}

std::optional<proto::PendingSubmit> ReplyTracker::pendingFor(uint32_t seqnum) const {
  std::optional<size_t> index = firstUnanswered(seqnum, true);
  if (!index) return std::nullopt;
  const auto& submit = std::get<proto::CmdSubmit>(sent_[*index].request);
  return proto::PendingSubmit{submit.base.direction, !submit.iso.empty(),
                              submit.transfer_buffer_length, submit.number_of_packets};
}

void ReplyTracker::onReply(const proto::ServerUrbMessage& reply) {
  if (const auto* submitted = std::get_if<proto::RetSubmit>(&reply)) {
    // ServerUrbDecoder framed it with pendingFor(), so such a request exists.
    std::optional<size_t> index = firstUnanswered(submitted->base.seqnum, true);
    FUZZ_REQUIRE(index.has_value());
    checkDefaultPipeOrder(*index);
    sent_[*index].state = State::kAnswered;
    return;
  }
  const auto& unlinked = std::get<proto::RetUnlink>(reply);
  std::optional<size_t> index = firstUnanswered(unlinked.base.seqnum, false);
  FUZZ_REQUIRE(index.has_value());  // a RET_UNLINK answers a CMD_UNLINK, once
  sent_[*index].state = State::kAnswered;
  uint32_t target = std::get<proto::CmdUnlink>(sent_[*index].request).unlink_seqnum;
  std::optional<size_t> submit = lastSubmitBefore(target, *index);
  if (unlinked.status == -ECONNRESET) {
    // U1: the target was pending, and its RET_SUBMIT must never come. U3: or it was sent after
    // the unlink, which cancelled it before it ran.
    if (!submit) submit = firstSubmitAfter(target, *index);
    FUZZ_REQUIRE(submit.has_value());
    FUZZ_REQUIRE(sent_[*submit].state != State::kAnswered);
    if (sent_[*submit].state == State::kUnanswered) checkDefaultPipeOrder(*submit);
    sent_[*submit].state = State::kCancelled;
  } else {
    // U2: the target's RET_SUBMIT (if it ever existed) went out first.
    FUZZ_REQUIRE(unlinked.status == 0);
    if (submit) FUZZ_REQUIRE(sent_[*submit].state != State::kUnanswered);
  }
}

}  // namespace usbip::fuzz
