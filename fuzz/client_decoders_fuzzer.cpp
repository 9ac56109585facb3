// The decoders a client runs on a server's bytes: HandshakeReplyDecoder for the reply it asked
// for, then, after a successful import, ServerUrbDecoder on the remainder. As for the server
// side: decoded in the input's pieces and all at once with the same result, every message checked
// against the rules and round-tripped, every byte accounted for, only ProtocolError thrown.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/client_decoders_input.h"
#include "fuzz/reply_checks.h"
#include "protocol/codec.h"

namespace usbip::fuzz {
namespace {

struct Outcome {
  std::optional<HandshakeReply> handshake;
  std::vector<proto::ServerUrbMessage> replies;
  std::optional<std::pair<proto::Rule, std::string>> error;
  size_t leftover = 0;
  bool operator==(const Outcome&) const = default;
};

class ClientSide {
 public:
  explicit ClientSide(const ClientDecodersInput& input)
      : input_(input), handshake_(input.expected, input.limits.limits) {}

  void feed(std::span<const uint8_t> piece) {
    if (urbs_) {
      urbs_->feed(piece);
      drainReplies();
      return;
    }
    if (outcome_.handshake) {  // a client reads nothing after a DEVLIST or a failed import
      ignored_ += piece.size();
      return;
    }
    handshake_.feed(piece);
    handshakeBytes_ += piece.size();
    auto reply = handshake_.next();
    if (!reply) return;
    checkDecodedReply(*reply, input_.expected, input_.limits.limits);
    outcome_.handshake = *reply;
    std::vector<uint8_t> remainder = handshake_.takeRemainder();
    const auto* import = std::get_if<proto::OpRepImport>(&*reply);
    if (import && import->status == 0) {
      urbs_.emplace(input_.limits.limits, input_.pending.lookup());
      urbs_->feed(remainder);
      drainReplies();
    } else {
      ignored_ += remainder.size();
    }
  }

  Outcome finish() {
    if (!outcome_.error) {
      if (urbs_) {
        outcome_.leftover = urbs_->buffered();
      } else if (outcome_.handshake) {
        outcome_.leftover = ignored_;
      } else {  // takeRemainder() is only for after a reply: part of a DEVLIST may be parsed
        outcome_.leftover = handshakeBytes_;
      }
    }
    return std::move(outcome_);
  }
  void fail(const proto::ProtocolError& error) {
    outcome_.error = std::make_pair(error.rule(), error.field());
  }

 private:
  void drainReplies() {
    while (auto reply = urbs_->next()) {
      checkDecodedReply(*reply, input_.pending, input_.limits.limits);
      outcome_.replies.push_back(std::move(*reply));
    }
  }

  const ClientDecodersInput& input_;
  proto::HandshakeReplyDecoder handshake_;
  std::optional<proto::ServerUrbDecoder> urbs_;
  size_t handshakeBytes_ = 0;  // fed to handshake_
  size_t ignored_ = 0;
  Outcome outcome_;
};

Outcome decode(const ClientDecodersInput& input,
               const std::vector<std::span<const uint8_t>>& pieces) {
  ClientSide client(input);
  try {
    for (auto piece : pieces)
      client.feed(piece);
  } catch (const proto::ProtocolError& error) {
    client.fail(error);
  }
  return client.finish();
}

void checkAccounting(const Outcome& outcome, size_t streamSize) {
  if (outcome.error) return;
  size_t total = outcome.leftover;
  if (outcome.handshake) total += encodedSize(*outcome.handshake);
  for (const auto& reply : outcome.replies)
    total += encodedSize(reply);
  FUZZ_REQUIRE(total == streamSize);
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace usbip::fuzz;
  FuzzInput in({data, size});
  ClientDecodersInput input = ClientDecodersInput::read(in);

  Outcome inPieces = decode(input, input.pieces.cut(input.stream));
  Outcome atOnce = decode(input, {input.stream});
  FUZZ_REQUIRE(inPieces == atOnce);
  checkAccounting(atOnce, input.stream.size());
  return 0;
}
