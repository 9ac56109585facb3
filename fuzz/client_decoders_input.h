// Layout of a client_decoders input: which reply is expected (bit 0 of the first byte: DEVLIST,
// else IMPORT), limits, the pending URBs, the piece sizes, then the bytes a server sends.
// Shared by the target and the seed generator.
#pragma once

#include <span>

#include "fuzz/fuzz_input.h"
#include "fuzz/limits_choice.h"
#include "fuzz/pending_table.h"
#include "fuzz/pieces.h"
#include "protocol/messages.h"

namespace usbip::fuzz {

struct ClientDecodersInput {
  proto::OpCode expected = proto::OpCode::kRepImport;
  LimitsChoice limits;
  PendingTable pending;
  PieceSizes pieces;
  std::span<const uint8_t> stream;

  static ClientDecodersInput read(FuzzInput& in) {
    ClientDecodersInput input;
    input.expected = (in.u8() & 1) ? proto::OpCode::kRepDevlist : proto::OpCode::kRepImport;
    input.limits = LimitsChoice::read(in);
    input.pending = PendingTable::read(in);
    input.pieces = PieceSizes::read(in);
    input.stream = in.rest();
    return input;
  }
  void write(FuzzInputWriter& out) const {
    out.u8(expected == proto::OpCode::kRepDevlist ? 1 : 0);
    limits.write(out);
    pending.write(out);
    pieces.write(out);
    out.bytes(stream);
  }
};

}  // namespace usbip::fuzz
