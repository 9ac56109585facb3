// Layout of a server_decoders input: limits, the endpoint table, the piece sizes, then the bytes
// a client sends (handshake, then the URB stream). Shared by the target and the seed generator.
#pragma once

#include <span>

#include "fuzz/endpoint_table.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/limits_choice.h"
#include "fuzz/pieces.h"

namespace usbip::fuzz {

struct ServerDecodersInput {
  LimitsChoice limits;
  EndpointTable endpoints;
  PieceSizes pieces;
  std::span<const uint8_t> stream;

  static ServerDecodersInput read(FuzzInput& in) {
    ServerDecodersInput input;
    input.limits = LimitsChoice::read(in);
    input.endpoints = EndpointTable::read(in);
    input.pieces = PieceSizes::read(in);
    input.stream = in.rest();
    return input;
  }
  void write(FuzzInputWriter& out) const {
    limits.write(out);
    endpoints.write(out);
    pieces.write(out);
    out.bytes(stream);
  }
};

}  // namespace usbip::fuzz
