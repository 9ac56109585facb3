// Every decoder, fed mutated fixtures in random pieces, either decodes messages or throws
// ProtocolError: no other exception, no crash (run under the sanitizers too).
#include <gtest/gtest.h>

#include <random>

#include "protocol/codec.h"
#include "protocol/test_fixtures.h"
#include "protocol/test_support.h"

namespace usbip::proto::test {
namespace {

Bytes mutate(Bytes bytes, std::mt19937& random) {
  std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
  std::uniform_int_distribution<int> value(0, 255);
  std::uniform_int_distribution<int> count(1, 4);
  for (int i = count(random); i > 0; --i)
    bytes[position(random)] = static_cast<uint8_t>(value(random));
  return bytes;
}

template <typename MakeDecoder>
void expectOnlyProtocolErrors(MakeDecoder makeDecoder, const Bytes& original) {
  std::mt19937 random(12345);
  for (unsigned round = 0; round < 2000; ++round) {
    Bytes bytes = mutate(original, random);
    auto decoder = makeDecoder();
    try {
      decodeInRandomPieces(decoder, bytes, round);
    } catch (const ProtocolError&) {
      // the expected way to refuse
    } catch (const std::exception& error) {
      FAIL() << "round " << round << ": " << error.what();
    }
  }
}

TEST(MutatedInput, HandshakeDecoderThrowsOnlyProtocolErrors) {
  expectOnlyProtocolErrors([] { return HandshakeDecoder(); }, kReqImportBytes + kReqDevlistBytes);
}

TEST(MutatedInput, HandshakeReplyDecoderThrowsOnlyProtocolErrors) {
  expectOnlyProtocolErrors([] { return HandshakeReplyDecoder(OpCode::kRepDevlist, Limits{}); },
                           kRepDevlistBytes);
  expectOnlyProtocolErrors([] { return HandshakeReplyDecoder(OpCode::kRepImport, Limits{}); },
                           kRepImportBytes);
}

TEST(MutatedInput, UrbStreamDecoderThrowsOnlyProtocolErrors) {
  expectOnlyProtocolErrors([] { return UrbStreamDecoder(Limits{}, testEndpoints); },
                           kCmdSubmitControlInBytes + kCmdSubmitBulkOutBytes +
                               kCmdSubmitIsoOutBytes + kCmdSubmitIsoInBytes + kCmdUnlinkBytes);
}

TEST(MutatedInput, ServerUrbDecoderThrowsOnlyProtocolErrors) {
  expectOnlyProtocolErrors([] { return ServerUrbDecoder(Limits{}, testPending); },
                           kRetSubmitControlInBytes + kRetSubmitIsoInBytes + kRetUnlinkBytes);
}

}  // namespace
}  // namespace usbip::proto::test
