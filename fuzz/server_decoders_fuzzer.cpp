// The decoders a server runs on a client's bytes: HandshakeDecoder, then UrbStreamDecoder on the
// remainder once an import was decoded. The stream is decoded three times: fed in the pieces the
// input chooses, received as the worker receives it (each piece written where receiveBuffer()
// asks, decoding after every read), and fed all at once. All three must give the same messages
// and the same error, every message
// must obey the input rules and survive an encode/decode round trip, and the bytes must be
// accounted for exactly. Anything but a ProtocolError escaping is a bug.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/request_checks.h"
#include "fuzz/server_decoders_input.h"
#include "protocol/codec.h"

namespace usbip::fuzz {
namespace {

struct Outcome {
  std::vector<proto::ClientHandshake> handshakes;
  std::vector<proto::ClientUrbMessage> requests;
  std::optional<std::pair<proto::Rule, std::string>> error;  // rule and field
  size_t leftover = 0;  // bytes received that are not (yet) part of a message
  bool operator==(const Outcome&) const = default;
};

class ServerSide {
 public:
  explicit ServerSide(const ServerDecodersInput& input) : input_(input) {}

  void feed(std::span<const uint8_t> piece) {
    if (urbs_) {
      urbs_->feed(piece);
      drainRequests();
      return;
    }
    handshake_.feed(piece);
    while (auto request = handshake_.next()) {
      checkDecodedHandshake(*request);
      outcome_.handshakes.push_back(*request);
      if (std::holds_alternative<proto::OpReqImport>(*request)) {
        urbs_.emplace(input_.limits.limits, input_.endpoints.lookup());
        urbs_->feed(handshake_.takeRemainder());
        drainRequests();
        return;
      }
    }
  }

  // As the worker reads its socket: the piece goes where the decoder asks, in as many reads as
  // that takes (a large OUT payload's own buffer takes no more than the payload).
  void receive(std::span<const uint8_t> piece) {
    if (!urbs_) {
      // The handshake decoder has no receiving side: the piece is fed, and the part of it after
      // an import (the start of the URB stream) reaches the URB decoder through feed() too.
      feed(piece);
      return;
    }
    while (!piece.empty()) {
      std::span<uint8_t> space = urbs_->receiveBuffer(piece.size());
      FUZZ_REQUIRE(!space.empty() && space.size() <= piece.size());
      std::copy_n(piece.begin(), space.size(), space.begin());
      urbs_->received(space.size());
      piece = piece.subspan(space.size());
      drainRequests();
    }
  }

  // After an error the leftover depends on how much was fed before it: it is left at 0.
  Outcome finish() {
    if (!outcome_.error) {
      outcome_.leftover = urbs_ ? urbs_->buffered() : handshake_.takeRemainder().size();
    }
    return std::move(outcome_);
  }
  void fail(const proto::ProtocolError& error) {
    outcome_.error = std::make_pair(error.rule(), error.field());
  }

 private:
  void drainRequests() {
    while (auto request = urbs_->next()) {
      checkDecodedRequest(*request, input_.endpoints, input_.limits.limits);
      outcome_.requests.push_back(std::move(*request));
    }
  }

  const ServerDecodersInput& input_;
  proto::HandshakeDecoder handshake_;
  std::optional<proto::UrbStreamDecoder> urbs_;
  Outcome outcome_;
};

enum class Delivery { kFeed, kReceive };

Outcome decode(const ServerDecodersInput& input,
               const std::vector<std::span<const uint8_t>>& pieces,
               Delivery delivery = Delivery::kFeed) {
  ServerSide server(input);
  try {
    for (auto piece : pieces) {
      if (delivery == Delivery::kReceive) {
        server.receive(piece);
      } else {
        server.feed(piece);
      }
    }
  } catch (const proto::ProtocolError& error) {
    server.fail(error);
  }
  return server.finish();
}

void checkAccounting(const Outcome& outcome, size_t streamSize) {
  if (outcome.error) return;  // the rest of the stream was never looked at
  size_t total = outcome.leftover;
  for (const auto& request : outcome.handshakes)
    total += encodedSize(request);
  for (const auto& request : outcome.requests)
    total += encodedSize(request);
  FUZZ_REQUIRE(total == streamSize);
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace usbip::fuzz;
  FuzzInput in({data, size});
  ServerDecodersInput input = ServerDecodersInput::read(in);

  std::vector<std::span<const uint8_t>> pieces = input.pieces.cut(input.stream);
  Outcome inPieces = decode(input, pieces);
  Outcome received = decode(input, pieces, Delivery::kReceive);
  Outcome atOnce = decode(input, {input.stream});
  FUZZ_REQUIRE(inPieces == atOnce);
  FUZZ_REQUIRE(received == atOnce);
  checkAccounting(atOnce, input.stream.size());
  return 0;
}
