// The decoder limits of one run: the production defaults, or small ones from the input so that
// the fuzzer reaches every boundary (F8, I2, R1) with inputs of a few hundred bytes.
#pragma once

#include "fuzz/fuzz_input.h"
#include "protocol/limits.h"

namespace usbip::fuzz {

struct LimitsChoice {
  proto::Limits limits;

  static LimitsChoice read(FuzzInput& in) {
    LimitsChoice choice;
    if (in.u8() & 1) {
      choice.limits.maxTransferLength = in.u16();
      choice.limits.maxIsoPackets = in.u16();
      choice.limits.maxDevlistDevices = in.u8();
      choice.limits.maxInterfaces = in.u8();
    }
    return choice;
  }
  // Writes the defaults as such, and anything else as the small limits it must fit in.
  void write(FuzzInputWriter& out) const {
    if (limits.maxTransferLength == proto::Limits{}.maxTransferLength &&
        limits.maxIsoPackets == proto::Limits{}.maxIsoPackets &&
        limits.maxDevlistDevices == proto::Limits{}.maxDevlistDevices &&
        limits.maxInterfaces == proto::Limits{}.maxInterfaces) {
      out.u8(0);
      return;
    }
    out.u8(1);
    out.u16(static_cast<uint16_t>(limits.maxTransferLength));
    out.u16(static_cast<uint16_t>(limits.maxIsoPackets));
    out.u8(static_cast<uint8_t>(limits.maxDevlistDevices));
    out.u8(static_cast<uint8_t>(limits.maxInterfaces));
  }
};

}  // namespace usbip::fuzz
