// Layout of a worker_session_* input: decoder limits, the engine's knobs (read sizes, the F10
// caps, the I5 split size; 0 = the production default), then the bytes a client sends: the
// handshake, then the URB stream. Shared by the targets and the seed generator.
#pragma once

#include <span>

#include "fuzz/fuzz_input.h"
#include "fuzz/limits_choice.h"
#include "worker/urb_engine.h"

namespace usbip::fuzz {

struct WorkerSessionInput {
  LimitsChoice limits;
  uint8_t handshakeChunk = 0;  // bytes per read while waiting for the request; 0 = 512
  uint8_t readChunk = 0;       // UrbEngineOptions::readChunkBytes
  uint8_t maxUrbsInFlight = 0;
  uint16_t maxBytesInFlight = 0;
  uint16_t maxOutboundBytes = 0;
  uint8_t maxIsoPacketsPerTransfer = 0;
  std::span<const uint8_t> stream;

  static WorkerSessionInput read(FuzzInput& in) {
    WorkerSessionInput input;
    input.limits = LimitsChoice::read(in);
    input.handshakeChunk = in.u8();
    input.readChunk = in.u8();
    input.maxUrbsInFlight = in.u8();
    input.maxBytesInFlight = in.u16();
    input.maxOutboundBytes = in.u16();
    input.maxIsoPacketsPerTransfer = in.u8();
    input.stream = in.rest();
    return input;
  }
  void write(FuzzInputWriter& out) const {
    limits.write(out);
    out.u8(handshakeChunk);
    out.u8(readChunk);
    out.u8(maxUrbsInFlight);
    out.u16(maxBytesInFlight);
    out.u16(maxOutboundBytes);
    out.u8(maxIsoPacketsPerTransfer);
    out.bytes(stream);
  }

  size_t handshakeChunkBytes() const { return handshakeChunk == 0 ? 512 : handshakeChunk; }

  worker::UrbEngineOptions engineOptions() const {
    worker::UrbEngineOptions options;
    options.limits = limits.limits;
    if (readChunk != 0) options.readChunkBytes = readChunk;
    if (maxUrbsInFlight != 0) options.maxUrbsInFlight = maxUrbsInFlight;
    if (maxBytesInFlight != 0) options.maxBytesInFlight = maxBytesInFlight;
    if (maxOutboundBytes != 0) options.maxOutboundBytes = maxOutboundBytes;
    if (maxIsoPacketsPerTransfer != 0) options.maxIsoPacketsPerTransfer = maxIsoPacketsPerTransfer;
    // Nothing here may depend on the wall clock: the session ends when it is idle (see
    // EndWhenIdle), never by a timeout.
    options.peerTimeout = std::chrono::hours(1);
    return options;
  }
};

}  // namespace usbip::fuzz
